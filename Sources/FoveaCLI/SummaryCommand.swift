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

    func run() throws {
        let file: ModelFile
        if let arch = Architecture(rawValue: model) {
            let shape = try inputShape.map(parseShape)
            Engine.seed(seed)
            file = ModelFile(model: try arch.make(classes: classes, inputShape: shape),
                             training: ["architecture": arch.rawValue, "seed": String(seed)])
        } else if FileManager.default.fileExists(atPath: model) {
            guard classes == nil, inputShape == nil else {
                throw ValidationError("--classes and --input-shape apply to built-in architectures, not to a saved model file")
            }
            file = try ModelFile(contentsOf: URL(fileURLWithPath: model))
        } else {
            throw ValidationError("'\(model)' is neither a built-in architecture (\(Architecture.allCases.map(\.rawValue).joined(separator: ", "))) nor an existing file")
        }

        if let saveWeights { try file.write(to: URL(fileURLWithPath: saveWeights)) }
        if let dumpWeights { try writeJSONDump(file, to: dumpWeights) }

        let summary = ModelSummary(model: file.model.name, inputShape: file.model.inputShape,
                                   layers: file.model.layers, outputShapes: file.model.outputShapes)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.table)
            if !file.labels.isEmpty {
                let shown = file.labels.prefix(20).joined(separator: " ")
                print(" Labels (\(file.labels.count)): \(shown)\(file.labels.count > 20 ? " …" : "")")
            }
            for key in file.training.keys.sorted() { print(" \(key): \(file.training[key]!)") }
        }
    }

    private func parseShape(_ text: String) throws -> [Int] {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--input-shape '\(text)': expected positive sizes joined by 'x', e.g. 28x28x1")
        }
        return parts.map { $0! }
    }

    private func writeJSONDump(_ file: ModelFile, to path: String) throws {
        // Swift prints a Float with the fewest digits that read back to the same
        // bits, so the dump is exact.
        var out = "{\"tensors\": {"
        var first = true
        for layer in file.model.layers {
            for p in layer.parameters {
                if !first { out += ",\n" }
                first = false
                let values = p.value.data.map { "\($0)" }.joined(separator: ",")
                out += "\"\(ModelFile.key(layer: layer, parameter: p))\": {\"shape\": \(p.value.shape), \"values\": [\(values)]}"
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
