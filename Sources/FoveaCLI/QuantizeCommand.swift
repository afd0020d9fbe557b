// `fovea quantize`: the int8 version of a character classifier (weights per
// output channel, activations calibrated on real images), with its accuracy
// beside the float model's when a labelled test set is given.
import ArgumentParser
import FoveaEngine
import FoveaExport
import FoveaOCR
import Foundation

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a classifier to int8 (weights per channel, activations calibrated).",
        discussion: """
        Writes a safetensors file with int8 kernels, their per-channel scales and int32 biases; \
        `fovea quantize --test-images` runs it with Fovea's int8 kernels, `fovea export` writes \
        it as a fully integer TensorFlow Lite model.
        """
    )

    @Argument(help: "Float classifier (safetensors).")
    var model: String

    @Option(help: "IDX images to calibrate the activation ranges on (EMNIST, read upright).")
    var calibrationImages: String

    @Option(help: "Number of calibration images (the first ones of the file).")
    var calibrationCount = 2000

    @Option(name: .shortAndLong, help: "The int8 model file to write.")
    var output: String

    @Option(help: "IDX images to measure the accuracy on, float and int8 (with --test-labels).")
    var testImages: String?

    @Option(help: "IDX labels matching --test-images.")
    var testLabels: String?

    func validate() throws {
        if (testImages == nil) != (testLabels == nil) { throw ValidationError("--test-images and --test-labels go together") }
        if calibrationCount < 1 { throw ValidationError("--calibration-count must be at least 1") }
    }

    func run() throws {
        let file: ModelFile
        do {
            let weights = try SafetensorsFile(contentsOf: URL(fileURLWithPath: model))
            if ModelFile.architectureClass(of: weights) == "FoveaMultiOutput" {
                throw ExportError.unsupported(layer: "heads", reason: "\(model) is a multi-output model; int8 quantization takes classifiers")
            }
            file = try ModelFile(file: weights, source: model)
        } catch let error as ExportError {
            throw error
        } catch {
            throw ExportError.unreadableModel(path: model, reason: "\(error)")
        }
        let images = try IDX.readImages(path: calibrationImages, transposed: true)
        let calibration = images.subset(Array(0..<min(calibrationCount, images.count))).tensor()
        let graph = try Quantizer.quantize(file, calibration: calibration)
        try QuantizedModelFile.write(graph, to: output)
        let floatBytes = (try FileManager.default.attributesOfItem(atPath: model)[.size] as? Int) ?? 0
        let intBytes = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("\(output): int8, \(intBytes) bytes (\(String(format: "%.1f", 100 * Double(intBytes) / Double(max(1, floatBytes))))% of \(floatBytes)), calibrated on \(calibration.batchCount) images")
        guard let testImages, let testLabels else { return }
        let test = try IDX.readImages(path: testImages, transposed: true)
        let labels = try IDX.readLabels(path: testLabels)
        guard labels.count == test.count else {
            throw ValidationError("\(testLabels): \(labels.count) labels for \(test.count) images")
        }
        var floatRight = 0, intRight = 0, same = 0
        let started = Date()
        for start in stride(from: 0, to: test.count, by: 500) {
            let x = test.subset(Array(start..<min(start + 500, test.count))).tensor()
            let pf = file.model.predict(x, batchSize: 250), pq = graph.predict(x)
            let k = pf.shape[1]
            for i in 0..<x.batchCount {
                let rowF = pf.data[(i * k)..<((i + 1) * k)], rowQ = pq.data[(i * k)..<((i + 1) * k)]
                let af = rowF.indices.max { rowF[$0] < rowF[$1] }! - i * k
                let aq = rowQ.indices.max { rowQ[$0] < rowQ[$1] }! - i * k
                if af == labels[start + i] { floatRight += 1 }
                if aq == labels[start + i] { intRight += 1 }
                if af == aq { same += 1 }
            }
        }
        let n = Double(test.count)
        print(String(format: "accuracy on %d images: float %.2f%%, int8 %.2f%% (%+.2f points); same top class for %.2f%%; %.1f s",
                     test.count, 100 * Double(floatRight) / n, 100 * Double(intRight) / n,
                     100 * Double(intRight - floatRight) / n, 100 * Double(same) / n, Date().timeIntervalSince(started)))
    }
}
