// `fovea train detector`: trains the OCR character detector on text lines
// with COCO ground truth (`fovea synth-lines` output), with a progress bar,
// validation AP per epoch, best checkpoint and a training-curves PNG.
import ArgumentParser
import FoveaDetection
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation

struct TrainDetectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detector",
        abstract: "Train the character detector on text lines with COCO ground truth.",
        discussion: """
        Holds out a seeded part of the lines; after each epoch the detector reads those whole lines and \
        their COCO AP@[.5:.95] picks the checkpoint written to --output. The defaults train the committed \
        CenterNet (stride 4, Gaussian heatmap); --stride 8 --assignment centre-cell trains a YOLO-style grid, \
        and --class-head adds 47 class logits (read with `fovea detect --labels detector-head`).
        """
    )

    @Option(help: "COCO ground truth (as `fovea synth-lines` writes).")
    var groundTruth: String

    @Option(help: "Folder holding the images the ground truth names (default: the ground truth's folder).")
    var images: String?

    @Option(help: "Passes over the training windows.")
    var epochs = 12

    @Option(help: "Windows per optimisation step.")
    var batchSize = 32

    @Option(help: "Adam learning rate (cosine decay to 0 over all epochs).")
    var learningRate: Float = 0.002

    @Option(help: "Fraction of the lines held out for validation.")
    var validationSplit = 0.1

    @Option(help: "Use only the first N lines.")
    var limit: Int?

    @Option(help: "Random seed for the split, initial weights and shuffling.")
    var seed: UInt64 = 7

    @Option(help: "Feature-map stride: 4 or 8.")
    var stride = 4

    @Option(help: "Positive cells: gaussian (CenterNet's heatmap) or centre-cell (only the cell holding the centre, YOLO-like objectness).")
    var assignment = CenterAssignment.gaussian.rawValue

    @Flag(help: "Also train a class head (the 47 EMNIST ByMerge classes, softmax cross-entropy at centre cells).")
    var classHead = false

    @Option(help: "Weight of the class head's cross-entropy (with --class-head).")
    var classWeight: Float = 1

    @Option(help: "Threads for BLAS and the engine's loops (default: all cores).")
    var threads: Int?

    @Option(help: "Where to write the best model (safetensors).")
    var output: String

    @Option(help: "Folder for training-curves.png.")
    var plotsDir: String?

    func validate() throws {
        if !CharacterDetector.strides.contains(stride) { throw ValidationError("--stride must be 4 or 8, got \(stride)") }
        if CenterAssignment(rawValue: assignment) == nil {
            throw ValidationError("--assignment must be gaussian or centre-cell, got '\(assignment)'")
        }
    }

    func run() throws {
        if let threads { Engine.setThreads(max(1, threads)) }
        var lines = try LineSet.load(contentsOfFile: groundTruth)
        if let limit, limit < lines.count { lines = Array(lines.prefix(max(1, limit))) }
        let folder = images ?? URL(fileURLWithPath: groundTruth).deletingLastPathComponent().path
        var options = DetectorTrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.validationSplit = validationSplit
        options.seed = seed
        options.stride = stride
        options.assignment = CenterAssignment(rawValue: assignment)!
        options.classHead = classHead
        options.classWeight = classWeight
        try options.check()
        let outputURL = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: outputURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        note("training the character detector on \(lines.count) lines of \(groundTruth) "
             + "(\(Int((validationSplit * 100).rounded()))% held out), stride \(stride), \(assignment) cells"
             + (classHead ? ", class head" : "") + ", \(Engine.threads) threads")
        let bar = ProgressBar(batchSize: batchSize)
        var apCurve = [Double](), ap50Curve = [Double]()
        let result = try DetectorTraining.train(
            lines: lines, imagesFolder: folder, options: options, output: outputURL,
            onBatch: { bar.update($0) },
            onEpoch: { e in
                bar.finish()
                apCurve.append(e.ap); ap50Curve.append(e.ap50)
                var line = String(format: "epoch %d/%d: loss %.4f", e.result.epoch, e.result.epochs, Double(e.result.loss))
                if let vl = e.result.valLoss { line += String(format: " val_loss %.4f", Double(vl)) }
                line += String(format: " val AP %.4f AP50 %.4f (%.1f s)", e.ap, e.ap50, e.result.seconds)
                if e.saved { line += ", saved to \(output)" }
                note(line)
            })
        if let plotsDir {
            try FileManager.default.createDirectory(atPath: plotsDir, withIntermediateDirectories: true)
            let path = URL(fileURLWithPath: plotsDir).appendingPathComponent("training-curves.png").path
            try TrainingPlots.curves(result.history, figures: [("AP@[.5:.95]", apCurve), ("AP50", ap50Curve)],
                                     figureName: "validation AP",
                                     title: "character detector on \(URL(fileURLWithPath: groundTruth).lastPathComponent)")
                .write(to: path)
            print("plot: \(path)")
        }
        print("model: \(output) (epoch \(result.bestEpoch) of \(result.history.epochsRun))")
        print("training lines: \(result.trainLines) (\(result.windows) windows), validation lines: \(result.validationLines)")
        print(String(format: "validation AP@[.5:.95] %.4f, AP50 %.4f", result.bestAP, result.bestAP50))
    }
}
