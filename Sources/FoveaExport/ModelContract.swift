// ModelContract: what an exported file promises its users, per kind of
// Fovea model: the input and output names and shapes, the post-processing
// moved into the graph so that outputs mean what Fovea's pipelines mean
// (face landmarks in crop pixels, the detector's heat as a probability, its
// sizes and offsets in input pixels and a class head's logits as softmax
// probabilities), and the metadata written beside (what is left to the
// caller, such as face-landmarks' flip averaging, said there).
import FoveaEngine
import Foundation

/// The batch axis of an exported model: given at run time, or fixed.
public enum BatchSize: Equatable, Sendable, CustomStringConvertible {
    case dynamic
    case fixed(Int)

    public init?(_ text: String) {
        if text == "dynamic" { self = .dynamic; return }
        guard let n = Int(text), n > 0 else { return nil }
        self = .fixed(n)
    }

    var dim: Dim {
        switch self {
        case .dynamic: return .dynamic("N", nominal: 1)
        case .fixed(let n): return .fixed(n)
        }
    }

    public var description: String {
        switch self {
        case .dynamic: return "dynamic"
        case .fixed(let n): return "\(n)"
        }
    }
}

public enum ModelContract {
    public static let classifierPreprocessing =
        "float32 NHWC [N, 28, 28, 1], values 0..1 with ink 1 and paper 0; characters upright as Fovea reads EMNIST IDX (NIST's transposed storage undone); a character picture becomes a sample as EMNIST made them: ink box centred in a square, aspect ratio kept, 2-pixel border, resampled to 28x28, intensities stretched to 0..1 (Fovea's CharacterNormalizer)"
    public static let detectorPreprocessing =
        "float32 NHWC [N, H, W, 1], a text line made ink-high (1) on paper 0 whatever its polarity, background light flattened, the rows holding ink resampled to 32 pixels high, width a multiple of 4 (Fovea's LineInput); outputs on the stride-4 grid: heatmap = P(a character centre in the cell), size = box width, height in input pixels, offset = the centre's x, y offset from the cell's top-left corner in input pixels"
    public static let faceDetectorPreprocessing =
        "float32 NHWC [N, H, W, 1], a photo's luma (0.299 R + 0.587 G + 0.114 B, alpha over white, rounded to a byte: Fovea's FaceCrop.luma), byte / 255 (0..1), rows top to bottom, height and width multiples of 8 (pad on the right and bottom by repeating the edge pixel); Fovea reads a photo as a pyramid: longest side 256, then 128, then 64 (a level below 48 skipped; shrunk by 2x2 area halvings, then a resize to the exact size), each level a separate input, the levels' boxes meeting in one NMS (IoU 0.4, and a box lying 60% inside a better one dropped), each face made the square of its box's mean side; outputs on the stride-8 grid: heatmap = P(a face centre in the cell), size = box width, height in input pixels, offset = the centre's x, y offset from the cell's top-left corner in input pixels"
    public static let facePreprocessing =
        "float32 NHWC [N, 64, 64, 1], a 64x64 grey face crop (luma), pixel / 255, rows top to bottom; landmarks: 10 points as x, y pairs in crop pixels (centre of the top-left pixel at 0, 0); smile: softmax probabilities [no smile, smile], before the Platt calibration in platt_a / platt_b"

    public static let landmarksPreprocessing =
        "float32 NHWC [N, 64, 64, 1], a 64x64 grey face crop (luma), pixel / 255, rows top to bottom; landmarks: 10 points as x, y pairs in crop pixels (centre of the top-left pixel at 0, 0), from one forward pass (see flip_averaging)"
    public static let flipAveraging =
        "done by the caller, not in this file: Fovea also runs the crop mirrored left to right (pixel x → 63 − x), mirrors those points back (x → 63 − x, eye_left ↔ eye_right and mouth_left ↔ mouth_right swapped, the other points kept) and averages the two readings point by point"

    /// The export graph of the model in `file`.
    public static func graph(file: SafetensorsFile, source: String, batch: BatchSize) throws -> ExportGraph {
        do {
            if ModelFile.architectureClass(of: file) == "FoveaMultiOutput" {
                return try multiOutputGraph(MultiOutputModelFile(file: file, source: source), batch: batch)
            }
            return try sequentialGraph(ModelFile(file: file, source: source), batch: batch)
        } catch let error as ExportError {
            throw error
        } catch {
            throw ExportError.unreadableModel(path: source, reason: "\(error)")
        }
    }

    public static func graph(contentsOf path: String, batch: BatchSize) throws -> ExportGraph {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ExportError.unreadableModel(path: path, reason: "\(error)")
        }
        return try graph(file: file, source: path, batch: batch)
    }

    static func sequentialGraph(_ file: ModelFile, batch: BatchSize) throws -> ExportGraph {
        let model = file.model
        let kind = file.training["kind"]
        if kind == "character-detector" || kind == "face-detector" { return try detectorGraph(file, batch: batch) }
        var builder = GraphBuilder()
        let shape = [batch.dim] + model.inputShape.map(Dim.fixed)
        let (last, outShape) = try builder.append(model, input: "image", shape: shape)
        let isClassifier = model.outputShape.count == 1 && builder.nodes.last.map(endsInSoftmax) == true
        var graph = ExportGraph(name: model.name, inputs: [ExportTensor(name: isClassifier ? "image" : "input", shape: shape)],
                                outputs: [], nodes: builder.nodes, metadata: [])
        let output = isClassifier ? "probabilities" : "output"
        graph.rename(last, to: output)
        if !isClassifier { graph.rename("image", to: "input") }
        graph.outputs = [ExportTensor(name: output, shape: outShape)]
        graph.metadata = [("kind", kind ?? (isClassifier ? "classifier" : "model")), ("labels", try json(file.labels))]
        if isClassifier && model.inputShape == [28, 28, 1] { graph.metadata.append(("preprocessing", classifierPreprocessing)) }
        graph.metadata += extras(file.training)
        return graph
    }

    /// A CenterNet detector (the character detector, stride 4 or 8, or the
    /// face detector, stride 8): height and width given at run time, its last 1x1
    /// convolution split into the three head maps, and with a K-class head
    /// (metadata class_head = K, 5 + K filters) a fourth, the class softmax.
    static func detectorGraph(_ file: ModelFile, batch: BatchSize) throws -> ExportGraph {
        let model = file.model
        guard model.inputShape.count == 3, model.inputShape[2] == 1 else {
            throw ExportError.unsupported(layer: "input", reason: "a \(file.training["kind"] ?? "character-detector") takes [H, W, 1], this one \(model.inputShape)")
        }
        let shape = [batch.dim, .dynamic("height", nominal: model.inputShape[0]),
                     .dynamic("width", nominal: model.inputShape[1]), .fixed(1)]
        var builder = GraphBuilder()
        let (last, _) = try builder.append(model, input: "image", shape: shape)
        let classes = Int(file.training["class_head"] ?? "0") ?? -1
        let layerName = model.layers.last?.name ?? "?"
        guard classes >= 0, let head = builder.nodes.popLast(), head.output == last, case .conv(let w) = head.op,
              w.kernelHeight == 1, w.kernelWidth == 1, w.stride == 1, w.filters == 5 + classes, head.activation == .linear else {
            let found = model.layers.last.flatMap { ($0 as? Conv2D)?.filters }.map { ", this one has \($0)" } ?? ""
            throw ExportError.unsupported(
                layer: layerName,
                reason: "a \(file.training["kind"] ?? "character-detector") must end in a linear 1x1 Conv2D with 5 filters (heat, width, height, x and y offset), which the export splits into its three maps, or with 5 + K filters for a K-class head (metadata class_head = K, here \(file.training["class_head"] ?? "absent"))\(found)")
        }
        if classes > 0 && file.labels.count != classes {
            throw ExportError.unsupported(layer: layerName, reason: "a class head of \(classes) classes needs \(classes) labels, the file has \(file.labels.count)")
        }
        let stride = model.inputShape[0] / model.outputShape[0]
        var graph = ExportGraph(name: model.name, inputs: [ExportTensor(name: "image", shape: shape)], outputs: [],
                                nodes: builder.nodes, metadata: [])
        var parts: [(String, Range<Int>, Activation, Float)] = [
            ("heatmap", 0..<1, .sigmoid, 1), ("size", 1..<3, .linear, Float(stride)), ("offset", 3..<5, .linear, Float(stride)),
        ]
        if classes > 0 { parts.append(("class_probabilities", 5..<(5 + classes), .softmax, 1)) }
        for (name, channels, activation, scale) in parts {
            var part = w
            part.filters = channels.count
            part.kernel = (0..<w.inChannels).flatMap { i in channels.map { w.kernel[i * w.filters + $0] * scale } }
            part.bias = channels.map { w.bias[$0] * scale }
            var outShape = head.outputShape
            outShape[3] = .fixed(channels.count)
            graph.nodes.append(ExportNode(name: "\(head.name)/\(name)", op: .conv(part), activation: activation,
                                          input: head.input, output: name, outputShape: outShape))
            graph.outputs.append(ExportTensor(name: name, shape: outShape))
        }
        let kind = file.training["kind"] ?? "character-detector"
        var preprocessing = kind == "face-detector" ? faceDetectorPreprocessing
            : detectorPreprocessing.replacingOccurrences(of: "stride-4", with: "stride-\(stride)")
            .replacingOccurrences(of: "multiple of 4", with: "multiple of \(stride)")
        if classes > 0 { preprocessing += "; class_probabilities = softmax over the \(classes) classes of the labels metadata, read at a cell kept as a character centre" }
        graph.metadata = [("kind", kind), ("labels", try json(file.labels)),
                          ("preprocessing", preprocessing), ("stride", "\(stride)")]
        if classes > 0 { graph.metadata.append(("class_head", "\(classes)")) }
        return graph
    }

    static func multiOutputGraph(_ file: MultiOutputModelFile, batch: BatchSize) throws -> ExportGraph {
        let model = file.model
        let kind = file.training["kind"]
        let isFace = kind == "face-crop", isLandmarker = kind == "face-landmarks"
        if isFace || isLandmarker {
            let heads = isFace ? ["landmarks", "smile"] : ["landmarks"]
            guard model.trunk.inputShape == [64, 64, 1], model.heads.map(\.name) == heads else {
                throw ExportError.unsupported(layer: "heads", reason: "a \(kind!) model takes [64, 64, 1] and has heads \(heads.joined(separator: ", ")); this one \(model.trunk.inputShape), \(model.heads.map(\.name))")
            }
        }
        var builder = GraphBuilder()
        let shape = [batch.dim] + model.trunk.inputShape.map(Dim.fixed)
        let (features, featureShape) = try builder.append(model.trunk, input: "image", shape: shape)
        var outputs: [ExportTensor] = []
        var renames: [(String, String)] = []
        for head in model.heads {
            let (last, outShape) = try builder.append(head.model, input: features, shape: featureShape)
            renames.append((last, head.name))
            outputs.append(ExportTensor(name: head.name, shape: outShape))
        }
        var graph = ExportGraph(name: model.trunk.name, inputs: [ExportTensor(name: "image", shape: shape)], outputs: outputs,
                                nodes: builder.nodes, metadata: [])
        for (from, to) in renames { graph.rename(from, to: to) }
        if isFace || isLandmarker {
            // The landmark head learns (coordinate − 32) / 32; the file gives crop pixels.
            guard let i = graph.nodes.lastIndex(where: { $0.output == "landmarks" }), case .dense(var w) = graph.nodes[i].op,
                  graph.nodes[i].activation == .linear, w.units == 20 else {
                throw ExportError.unsupported(layer: "landmarks", reason: "the landmark head must end in a linear Dense layer of 20 units")
            }
            w.kernel = w.kernel.map { $0 * 32 }
            w.bias = w.bias.map { $0 * 32 + 32 }
            graph.nodes[i].op = .dense(w)
            graph.metadata = [("kind", kind!), ("labels", try json(file.labels)),
                              ("preprocessing", isFace ? facePreprocessing : landmarksPreprocessing)]
            if isLandmarker && file.training["flip_averaging"] != "false" { graph.metadata.append(("flip_averaging", flipAveraging)) }
        } else {
            graph.metadata = [("kind", kind ?? "multi-output"), ("labels", try json(file.labels))]
        }
        graph.metadata += extras(file.training)
        return graph
    }

    private static func endsInSoftmax(_ node: ExportNode) -> Bool {
        if case .activation(.softmax) = node.op { return true }
        return node.activation == .softmax
    }

    /// Training notes users of the exported file need (calibration, point names).
    private static func extras(_ training: [String: String]) -> [(key: String, value: String)] {
        ["platt_a", "platt_b", "smile_threshold", "landmarks"].compactMap { key in training[key].map { (key, $0) } }
    }

    private static func json(_ labels: [String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: labels), as: UTF8.self)
    }
}

extension ExportGraph {
    /// Renames a tensor everywhere it is read or written.
    mutating func rename(_ from: String, to: String) {
        for i in nodes.indices {
            if nodes[i].input == from { nodes[i].input = to }
            if nodes[i].output == from { nodes[i].output = to }
        }
        for i in inputs.indices where inputs[i].name == from { inputs[i].name = to }
    }
}
