// ModelSummary: the Keras `model.summary()` table — each layer's name, type,
// output shape and parameter count, with total / trainable / non-trainable
// totals counted as Keras does (BatchNormalization moving statistics and the
// weights of frozen layers are non-trainable). Also Codable, for `--json`.
import Foundation

public struct ModelSummary: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var name: String
        public var type: String
        /// Without the batch dimension.
        public var outputShape: [Int]
        public var params: Int
        public var trainableParams: Int
        /// The head a layer belongs to in a multi-output model; nil for the trunk.
        public var head: String?
    }

    public var model: String
    public var inputShape: [Int]
    public var rows: [Row]
    public var totalParams: Int
    public var trainableParams: Int
    public var nonTrainableParams: Int

    /// One group of layers: the trunk (head nil) or a named head.
    public struct Section {
        public var head: String?
        public var layers: [Layer]
        public var outputShapes: [[Int]]

        public init(head: String? = nil, layers: [Layer], outputShapes: [[Int]]) {
            self.head = head
            self.layers = layers
            self.outputShapes = outputShapes
        }
    }

    public init(model: String, inputShape: [Int], sections: [Section]) {
        self.model = model
        self.inputShape = inputShape
        rows = sections.flatMap { section in
            zip(section.layers, section.outputShapes).map { layer, shape in
                let params = layer.parameters.reduce(0) { $0 + $1.value.count }
                let trainable = layer.trainable
                    ? layer.parameters.filter { !$0.isState }.reduce(0) { $0 + $1.value.count } : 0
                return Row(name: layer.name, type: layer.typeName, outputShape: shape,
                           params: params, trainableParams: trainable, head: section.head)
            }
        }
        totalParams = rows.reduce(0) { $0 + $1.params }
        trainableParams = rows.reduce(0) { $0 + $1.trainableParams }
        nonTrainableParams = totalParams - trainableParams
    }

    public init(model: String, inputShape: [Int], layers: [Layer], outputShapes: [[Int]]) {
        self.init(model: model, inputShape: inputShape,
                  sections: [Section(layers: layers, outputShapes: outputShapes)])
    }

    public init(_ model: Sequential) {
        self.init(model: model.name, inputShape: model.inputShape, layers: model.layers, outputShapes: model.outputShapes)
    }

    /// The trunk's layers, then each head's under its name.
    public init(_ model: MultiOutputModel, name: String = "functional") {
        self.init(model: name, inputShape: model.trunk.inputShape, sections:
            [Section(layers: model.trunk.layers, outputShapes: model.trunk.outputShapes)]
            + model.heads.map { Section(head: $0.name, layers: $0.model.layers, outputShapes: $0.model.outputShapes) })
    }

    /// The table as Keras 3 prints it, drawn in plain ASCII so it survives any
    /// terminal or log file. Columns widen for long names instead of wrapping.
    public var table: String {
        let header = ["Layer (type)", "Output Shape", "Param #"]
        let cells = rows.map { ["\($0.name) (\($0.type))", Self.shapeText($0.outputShape), Self.grouped($0.params)] }
        var widths = [31, 22, 13]
        for row in cells + [header] {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ fill: Character) -> String {
            "+" + widths.map { String(repeating: fill, count: $0 + 2) }.joined(separator: "+") + "+"
        }
        func format(_ row: [String]) -> String {
            let left = row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0)
            let mid = row[1].padding(toLength: widths[1], withPad: " ", startingAt: 0)
            let right = String(repeating: " ", count: widths[2] - row[2].count) + row[2]
            return "| \(left) | \(mid) | \(right) |"
        }
        var out = ["Model: \"\(model)\"", line("-"), format(header), line("=")]
        var currentHead: String?
        for (row, cell) in zip(rows, cells) {
            if row.head != currentHead, let head = row.head {
                out.append(line("-"))
                out.append(format(["head \"\(head)\"", "", ""]))
                out.append(line("-"))
            }
            currentHead = row.head
            out.append(format(cell))
        }
        out.append(line("-"))
        out.append(" Total params: \(Self.grouped(totalParams)) (\(Self.memory(totalParams)))")
        out.append(" Trainable params: \(Self.grouped(trainableParams)) (\(Self.memory(trainableParams)))")
        out.append(" Non-trainable params: \(Self.grouped(nonTrainableParams)) (\(Self.memory(nonTrainableParams)))")
        return out.joined(separator: "\n")
    }

    /// "(None, 26, 26, 64)", with None standing for the batch dimension.
    static func shapeText(_ shape: [Int]) -> String {
        "(" + (["None"] + shape.map(String.init)).joined(separator: ", ") + ")"
    }

    /// 2808751 -> "2,808,751".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Float32 weight memory in Keras' units (powers of 1024, two decimals).
    static func memory(_ params: Int) -> String {
        var size = Double(params * MemoryLayout<Float>.size)
        for unit in ["B", "KB", "MB", "GB"] {
            if size < 1024 { return String(format: "%.2f ", size) + unit }
            size /= 1024
        }
        return String(format: "%.2f TB", size)
    }
}
