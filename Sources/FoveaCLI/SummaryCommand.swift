// `fovea summary`: the Keras-style table of a built-in architecture or of a
// saved model file, and the way to write a fresh model's weights to disk.
import ArgumentParser
import FoveaEngine
import Foundation

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts, as Keras' model.summary().",
        discussion: """
            MODEL is a built-in architecture or a path to a model file saved by Fovea (.safetensors).
            Built-in architectures:
            \(Architecture.allCases.map { "  \($0.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \($0.about)" }.joined(separator: "\n"))
            Built-in multi-output architectures:
            \(MultiOutputArchitecture.allCases.map { "  \($0.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \($0.about)" }.joined(separator: "\n"))
            """)

    @Argument(help: "A built-in architecture name or a .safetensors model file.")
    var model: String

    @Option(help: "Number of output classes of a built-in architecture (default: the architecture's own).")
    var classes: Int?

    @Option(help: ArgumentHelp("Input shape of a built-in architecture, e.g. 28x28x1.", valueName: "HxWxC"))
    var inputShape: String?

    @Option(help: "Seed for the fresh weights of a built-in architecture.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Write the model (architecture, weights) to FILE as safetensors.", valueName: "FILE"))
    var saveWeights: String?

    @Option(help: ArgumentHelp("Write every weight as JSON numbers to FILE ({\"tensors\": {name: {shape, values}}}).",
                               valueName: "FILE"))
    var dumpWeights: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    /// What the command needs from a single- or multi-output model.
    private struct Loaded {
        var summary: ModelSummary
        var layers: [Layer]
        var labels: [String] = []
        var training: [String: String] = [:]
        var write: (URL) throws -> Void
    }

    func run() throws {
        let loaded = try load()
        if let saveWeights { try loaded.write(URL(fileURLWithPath: saveWeights)) }
        if let dumpWeights { try writeJSONDump(loaded.layers, to: dumpWeights) }
        try printSummary(loaded.summary, labels: loaded.labels, training: loaded.training)
    }

    private func load() throws -> Loaded {
        if let arch = Architecture(rawValue: model) {
            Engine.seed(seed)
            let file = ModelFile(model: try arch.make(classes: classes, inputShape: try inputShape.map(parseShape)),
                                 training: ["architecture": arch.rawValue, "seed": String(seed)])
            return Loaded(summary: ModelSummary(file.model), layers: file.model.layers, training: file.training,
                          write: file.write)
        }
        if let arch = MultiOutputArchitecture(rawValue: model) {
            Engine.seed(seed)
            let file = MultiOutputModelFile(
                model: try arch.make(classes: classes, inputShape: try inputShape.map(parseShape)),
                training: ["architecture": arch.rawValue, "seed": String(seed)])
            return Loaded(summary: ModelSummary(file.model), layers: allLayers(file.model), training: file.training,
                          write: file.write)
        }
        guard FileManager.default.fileExists(atPath: model) else {
            let names = Architecture.allCases.map(\.rawValue) + MultiOutputArchitecture.allCases.map(\.rawValue)
            throw ValidationError("'\(model)' is neither a built-in architecture (\(names.joined(separator: ", "))) nor an existing file")
        }
        guard classes == nil, inputShape == nil else {
            throw ValidationError("--classes and --input-shape apply to built-in architectures, not to a saved model file")
        }
        let st = try SafetensorsFile(contentsOf: URL(fileURLWithPath: model))
        if ModelFile.architectureClass(of: st) == "FoveaMultiOutput" {
            let file = try MultiOutputModelFile(file: st, source: model)
            return Loaded(summary: ModelSummary(file.model), layers: allLayers(file.model), labels: file.labels,
                          training: file.training, write: file.write)
        }
        let file = try ModelFile(file: st, source: model)
        return Loaded(summary: ModelSummary(file.model), layers: file.model.layers, labels: file.labels,
                      training: file.training, write: file.write)
    }

    private func allLayers(_ model: MultiOutputModel) -> [Layer] {
        model.trunk.layers + model.heads.flatMap(\.model.layers)
    }

    private func printSummary(_ summary: ModelSummary, labels: [String], training: [String: String]) throws {
        if json {
            // The summary's own keys plus what the model file carries.
            var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any] ?? [:]
            object["labels"] = labels
            object["training"] = training
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(summary.table)
            if !labels.isEmpty {
                print(" Labels (\(labels.count)): \(labels.prefix(20).joined(separator: " "))\(labels.count > 20 ? " …" : "")")
            }
            for key in training.keys.sorted() { print(" \(key): \(training[key]!)") }
        }
    }

    private func parseShape(_ text: String) throws -> [Int] {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--input-shape '\(text)': expected positive sizes joined by 'x', e.g. 28x28x1")
        }
        return parts.map { $0! }
    }

    private func writeJSONDump(_ layers: [Layer], to path: String) throws {
        // Swift prints a Float with the fewest digits that read back to the same
        // bits, so the dump is exact. Non-finite values use the literals
        // Python's json module reads (NaN, Infinity).
        func number(_ v: Float) -> String {
            v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : "\(v)"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        func string(_ s: String) throws -> String { String(decoding: try encoder.encode(s), as: UTF8.self) }
        var out = "{\"tensors\": {"
        var first = true
        for layer in layers {
            for p in layer.parameters {
                if !first { out += ",\n" }
                first = false
                let values = p.value.data.map(number).joined(separator: ",")
                out += "\(try string(ModelFile.key(layer: layer, parameter: p))): {\"shape\": \(p.value.shape), \"values\": [\(values)]}"
            }
        }
        out += "}}\n"
        do {
            try out.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
