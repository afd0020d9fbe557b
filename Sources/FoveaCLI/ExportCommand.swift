// `fovea export`: a Fovea model file as ONNX or TensorFlow Lite, with the
// named inputs and outputs of its contract (see FoveaExport.ModelContract).
import ArgumentParser
import FoveaExport
import Foundation

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a model to ONNX or TensorFlow Lite.",
        discussion: """
        Classifiers take `image` [N, 28, 28, 1] (0..1, characters upright) and give `probabilities` \
        [N, classes]; the character detector takes `image` [N, H, W, 1] (H and W given at run time) \
        and gives `heatmap`, `size` and `offset` on its stride-4 (or 8) grid, with a class head \
        also `class_probabilities` [N, H/4, W/4, classes]; the face-crop model takes `image` \
        [N, 64, 64, 1] and gives `landmarks` [N, 20] (crop pixels) and `smile` [N, 2], the \
        face-landmarks model `landmarks` alone (one pass; flip averaging is the caller's). \
        Labels, kind and preprocessing are in the file's metadata. The output is written to a \
        temporary file beside it and renamed only when complete.
        """
    )

    @Argument(help: "Model file (safetensors) written by Fovea.")
    var model: String

    @Option(help: "onnx or tflite (default: from the output's extension).")
    var format: ExportFormat?

    @Option(name: .shortAndLong, help: "The file to write.")
    var output: String

    @Option(help: "ONNX opset (13 to 21).")
    var opset = 17

    @Option(help: "Batch size: 'dynamic' (given at run time) or a fixed count.")
    var batch = "dynamic"

    func run() throws {
        guard let batchSize = BatchSize(batch) else {
            throw ExportError.badOption(name: "--batch", reason: "'\(batch)' is neither 'dynamic' nor a positive count")
        }
        guard let format = format ?? ExportFormat(path: output) else {
            throw ExportError.unknownFormat(URL(fileURLWithPath: output).pathExtension)
        }
        if QuantizedModelFile.isQuantized(model) {
            guard format == .tflite else {
                throw ExportError.unsupported(layer: "model", reason: "\(model) is an int8 model, which exports to TFLite only (--format tflite)")
            }
            let bytes = try TFLiteWriter.serialized(QuantizedModelFile.read(model), batch: batchSize)
            try Exporter.writeAtomically(Data(bytes), to: output)
            print("\(output): tflite int8, \(bytes.count) bytes")
            return
        }
        let summary = try Exporter.export(model: model, format: format, to: output, opset: opset, batch: batchSize)
        let g = summary.graph
        func describe(_ tensors: [ExportTensor]) -> String {
            tensors.map { "\($0.name) [\($0.shape.map(\.description).joined(separator: ", "))]" }.joined(separator: ", ")
        }
        print("\(output): \(format.rawValue), \(summary.bytes) bytes")
        print("  inputs:  \(describe(g.inputs))")
        print("  outputs: \(describe(g.outputs))")
    }
}
