// `fovea train`: the training command group, and `fovea train classifier`,
// which trains a character classifier on EMNIST-format IDX files with a
// progress bar, best-checkpoint saving and training plots.
import ArgumentParser
import FoveaEngine
import FoveaImage
import FoveaOCR
import FoveaPlot
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model.",
        subcommands: [TrainClassifierCommand.self, TrainDetectorCommand.self, TrainLineClassifierCommand.self,
                      TrainLandmarksCommand.self, TrainFaceDetectorCommand.self]
    )
}

struct TrainClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier",
        abstract: "Train a character classifier on EMNIST-format IDX files.",
        discussion: """
        Holds out a seeded random part of the images for validation, saves the model to --output \
        whenever the validation accuracy improves, and ends with training curves and a confusion \
        matrix (on the validation split) in --plots-dir.
        """
    )

    @Option(help: "IDX images file (idx3-ubyte, gzipped or raw).")
    var images: String

    @Option(help: "IDX labels file (idx1-ubyte, gzipped or raw) matching --images.")
    var labels: String

    @Option(help: "Label mapping file (`label ascii_code` per line, as NIST's emnist-*-mapping.txt); default: the 47 EMNIST ByMerge classes.")
    var mapping: String?

    @Option(help: "Network architecture: \(ClassifierTraining.architectureNames.joined(separator: ", ")).")
    var arch = "fovea-emnist"

    @Option(help: "Number of passes over the training images.")
    var epochs = 10

    @Option(help: "Images per optimisation step.")
    var batchSize = 64

    @Option(help: "Adam learning rate.")
    var learningRate: Float = 0.001

    @Flag(help: "Decay the learning rate along a half cosine to 0 over all epochs (Keras CosineDecay).")
    var cosine = false

    @Option(help: "Fraction of the images held out for validation (0 disables validation).")
    var validationSplit = 0.1

    @Option(help: "Stop after this many epochs without a better validation accuracy.")
    var earlyStoppingPatience: Int?

    @Flag(help: "Augment training batches with random shifts (±2 px), rotations (±10°) and scaling (0.9–1.1).")
    var augment = false

    @Flag(help: "With --augment, add elastic distortion.")
    var elastic = false

    @Option(help: "Train on the first N images only (quick experiments).")
    var limit: Int?

    @Flag(help: "The IDX images are stored upright (MNIST) rather than transposed (EMNIST).")
    var upright = false

    @Option(help: "Random seed for the split, initial weights, shuffling, dropout and augmentation.")
    var seed: UInt64 = 42

    @Option(help: "Threads for BLAS and the engine's loops (default: all cores).")
    var threads: Int?

    @Option(help: "Where to write the best model (safetensors).")
    var output: String

    @Option(help: "Folder for training-curves.png and confusion-matrix.png.")
    var plotsDir: String?

    @Flag(help: "Print the final summary as JSON on stdout.")
    var json = false

    /// The training options themselves (ranges, architecture) are checked by ClassifierTraining.
    func validate() throws {
        if let n = limit, n < 1 { throw ValidationError("--limit must be at least 1, got \(n)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if elastic && !augment { throw ValidationError("--elastic needs --augment") }
    }

    func run() throws {
        var options = ClassifierTrainingOptions()
        options.architecture = arch
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.cosineDecay = cosine
        options.validationSplit = validationSplit
        options.earlyStoppingPatience = earlyStoppingPatience
        options.augmentation = augment ? AugmentationOptions(elasticAlpha: elastic ? 34 : 0) : nil
        options.seed = seed
        try options.check()
        if let threads { Engine.setThreads(threads) }
        let labelMapping = try mapping.map { try LabelMapping(contentsOf: $0) } ?? .emnistByMerge
        var data = try EMNISTDataset.load(images: images, labels: labels, transposed: !upright,
                                          classCount: labelMapping.count)
        if let limit, limit < data.count { data = data.subset(Array(0..<limit)) }
        let outputURL = URL(fileURLWithPath: output)
        try makeFolder(outputURL.deletingLastPathComponent().path, for: "--output")
        if let plotsDir { try makeFolder(plotsDir, for: "--plots-dir") }

        note("training \(arch) on \(data.count) images of \(images) (\(labelMapping.count) classes, "
             + "\(Int((validationSplit * 100).rounded()))% held out for validation), \(Engine.threads) threads")
        let bar = ProgressBar(batchSize: batchSize)
        let result = try ClassifierTraining.train(
            data: data, mapping: labelMapping, options: options, output: outputURL,
            onBatch: { bar.update($0) },
            onEpoch: { epoch, saved in
                bar.finish()
                var line = "epoch \(epoch.epoch)/\(epoch.epochs): loss \(fmt(epoch.loss)) accuracy \(fmt(epoch.accuracy))"
                if let vl = epoch.valLoss { line += " val_loss \(fmt(vl))" }
                if let va = epoch.valAccuracy { line += " val_accuracy \(fmt(va))" }
                line += String(format: " (%.1f s)", epoch.seconds)
                if saved { line += ", saved to \(output)" }
                note(line)
            })

        var plots = [String]()
        if let plotsDir {
            let curves = URL(fileURLWithPath: plotsDir).appendingPathComponent("training-curves.png").path
            try TrainingPlots.curves(result.history, title: "\(arch) on \(URL(fileURLWithPath: images).lastPathComponent)")
                .write(to: curves)
            plots.append(curves)
            if let confusion = result.confusion {
                let path = URL(fileURLWithPath: plotsDir).appendingPathComponent("confusion-matrix.png").path
                try TrainingPlots.confusion(confusion, mapping: labelMapping,
                                            title: "validation confusion, epoch \(result.bestEpoch)").write(to: path)
                plots.append(path)
            }
        }
        report(result, mapping: labelMapping, plots: plots)
    }

    private func makeFolder(_ path: String, for option: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).localizedDescription
            throw ClassifierCommandError("\(path): cannot create the folder for \(option) (\(reason))")
        }
    }

    private func report(_ result: ClassifierTrainingResult, mapping: LabelMapping, plots: [String]) {
        let h = result.history
        let best = result.bestEpoch - 1
        if json {
            let confused = result.confusion?.mostConfused(10) ?? []
            var object: [String: Any] = [
                "model": output, "architecture": arch, "epochs_run": h.epochsRun, "best_epoch": result.bestEpoch,
                "train_images": result.trainCount, "validation_images": result.validation?.count ?? 0,
                "loss": h.loss, "accuracy": h.accuracy, "val_loss": h.valLoss, "val_accuracy": h.valAccuracy,
                "plots": plots,
                "most_confused": confused.map { ["true": mapping.label($0.truth), "predicted": mapping.label($0.predicted),
                                                 "count": $0.count] as [String: Any] },
            ]
            if let c = result.confusion { object["best_val_accuracy"] = c.accuracy }
            printJSONObject(object)
            return
        }
        print("model: \(output) (epoch \(result.bestEpoch) of \(h.epochsRun))")
        print("training images: \(result.trainCount), validation images: \(result.validation?.count ?? 0)")
        if h.accuracy.indices.contains(best) { print("train accuracy: \(fmt(h.accuracy[best]))") }
        if let c = result.confusion { print("validation accuracy: \(fmt(Float(c.accuracy))) (\(c.correct)/\(c.total))") }
        if let c = result.confusion { printMostConfused(c, mapping: mapping) }
        for p in plots { print("plot: \(p)") }
    }
}

private func fmt(_ v: Float?) -> String {
    guard let v else { return "-" }
    return String(format: "%.4f", Double(v))
}

/// The per-epoch progress bar on stderr: redrawn in place on a terminal, a
/// line every ~10% of the epoch otherwise (logs, CI).
final class ProgressBar {
    private let batchSize: Int
    private let isTTY = isatty(STDERR_FILENO) != 0
    private var lastDecile = -1
    private var drawn = false

    init(batchSize: Int) { self.batchSize = batchSize }

    func update(_ p: BatchProgress) {
        let fraction = Double(p.batch) / Double(max(p.batchCount, 1))
        let decile = Int(fraction * 10)
        if !isTTY {
            guard decile != lastDecile else { return }
            lastDecile = decile
        }
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
            + String(repeating: " ", count: max(0, width - filled - 1))
        let remaining = p.imagesPerSecond > 0 ? Double((p.batchCount - p.batch) * batchSize) / p.imagesPerSecond : 0
        var line = "epoch \(p.epoch)/\(p.epochs) [\(bar)] \(p.batch)/\(p.batchCount) loss \(fmt(p.loss))"
        if let a = p.accuracy { line += " acc \(fmt(a))" }
        line += String(format: " %.0f img/s ETA ", p.imagesPerSecond) + clock(remaining)
        if isTTY {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
            drawn = true
        } else {
            note(line)
        }
    }

    /// Ends the in-place line so the next message starts on a fresh one.
    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
        lastDecile = -1
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
