// `fovea train line-classifier`: fits a character classifier to text lines
// by training it further on the characters of synthetic lines, cropped as
// the OCR pipeline crops them, with the classes drawn uniformly.
import ArgumentParser
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation

struct TrainLineClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "line-classifier",
        abstract: "Fine-tune a character classifier on characters cropped from text lines.",
        discussion: """
        Starts from --init (default: the committed EMNIST classifier), holds out a seeded part of the \
        crops, keeps the checkpoint with the best validation accuracy, and records in the model that \
        its class prior is uniform (the OCR pipeline then applies no logit adjustment).
        """
    )

    @Option(help: "COCO ground truth of the lines (as `fovea synth-lines` writes).")
    var groundTruth: String

    @Option(help: "Folder holding the line images (default: the ground truth's folder).")
    var images: String?

    @Option(help: "Classifier to start from (default: the committed EMNIST model).")
    var initialModel: String?

    @Option(help: "Crops per character (the first exact, the others jittered).")
    var copies = 2

    @Option(help: "Passes over the crops.")
    var epochs = 3

    @Option(help: "Crops per optimisation step.")
    var batchSize = 64

    @Option(help: "Adam learning rate (cosine decay to 0).")
    var learningRate: Float = 0.0003

    @Option(help: "Fraction of the crops held out for validation.")
    var validationSplit = 0.1

    @Option(help: "Random seed.")
    var seed: UInt64 = 5

    @Option(help: "Threads for BLAS and the engine's loops (default: all cores).")
    var threads: Int?

    @Option(help: "Where to write the best model (safetensors).")
    var output: String

    @Option(help: "Folder for training-curves.png.")
    var plotsDir: String?

    func run() throws {
        if let threads { Engine.setThreads(max(1, threads)) }
        let start = try CharacterClassifier(contentsOf: initialModel ?? ModelLocator.defaultModel().path)
        let lines = try LineSet.load(contentsOfFile: groundTruth)
        let folder = images ?? URL(fileURLWithPath: groundTruth).deletingLastPathComponent().path
        let data = try LineCrops.dataset(lines: lines, imagesFolder: folder, mapping: start.mapping, copies: copies, seed: seed)
        note("fine-tuning on \(data.count) crops of \(lines.count) lines, \(Engine.threads) threads")
        var options = ClassifierTrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.cosineDecay = true
        options.validationSplit = validationSplit
        options.seed = seed
        options.augmentation = AugmentationOptions(maxShift: 1, maxRotation: 5, scaleRange: 0.95...1.05)
        let outputURL = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: outputURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bar = ProgressBar(batchSize: batchSize)
        let result = try ClassifierTraining.train(
            data: data, mapping: start.mapping, options: options, output: outputURL, startingFrom: start.model,
            notes: ["class_prior": "uniform", "fine_tuned_on": URL(fileURLWithPath: groundTruth).path],
            onBatch: { bar.update($0) },
            onEpoch: { epoch, saved in
                bar.finish()
                note(String(format: "epoch %d/%d: loss %.4f val_accuracy %.4f (%.1f s)%@", epoch.epoch, epoch.epochs,
                            Double(epoch.loss), Double(epoch.valAccuracy ?? .nan), epoch.seconds, saved ? ", saved" : ""))
            })
        if let plotsDir {
            try FileManager.default.createDirectory(atPath: plotsDir, withIntermediateDirectories: true)
            let path = URL(fileURLWithPath: plotsDir).appendingPathComponent("training-curves.png").path
            try TrainingPlots.curves(result.history, title: "line classifier (fine-tuned)").write(to: path)
            print("plot: \(path)")
        }
        print("model: \(output) (epoch \(result.bestEpoch) of \(result.history.epochsRun))")
        if let c = result.confusion { print(String(format: "validation accuracy on line crops: %.4f (%d/%d)", c.accuracy, c.correct, c.total)) }
    }
}
