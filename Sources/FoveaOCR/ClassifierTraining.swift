// ClassifierTraining: trains a character classifier on an EMNIST-format set —
// seeded validation split, optional augmentation, best checkpoint by
// validation accuracy, early stopping, and the validation confusion matrix of
// the checkpoint that was kept.
import FoveaEngine
import Foundation

public enum ClassifierTrainingError: Error, CustomStringConvertible {
    case unknownArchitecture(String)
    case badOption(String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let name):
            return "unknown architecture '\(name)'; expected one of \(ClassifierTraining.architectureNames.joined(separator: ", "))"
        case .badOption(let message):
            return message
        }
    }
}

public struct ClassifierTrainingOptions: Sendable {
    public var architecture = "fovea-emnist"
    public var epochs = 10
    public var batchSize = 64
    public var learningRate: Float = 0.001
    /// Decay the learning rate to 0 over the run along a half cosine (per step), as Keras's CosineDecay.
    public var cosineDecay = false
    /// Fraction of the images held out (seeded random choice) for validation, checkpoints and early stopping.
    public var validationSplit = 0.1
    /// Stop after this many epochs without a better validation accuracy (nil: never).
    public var earlyStoppingPatience: Int?
    public var augmentation: AugmentationOptions?
    public var seed: UInt64 = 42

    public init() {}

    /// Throws when an option is out of range or names no known architecture.
    public func check() throws {
        guard ClassifierTraining.architectureNames.contains(architecture) else {
            throw ClassifierTrainingError.unknownArchitecture(architecture)
        }
        guard epochs >= 1 else { throw ClassifierTrainingError.badOption("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ClassifierTrainingError.badOption("batch size must be at least 1, got \(batchSize)") }
        guard learningRate > 0 else { throw ClassifierTrainingError.badOption("learning rate must be positive, got \(learningRate)") }
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw ClassifierTrainingError.badOption("validation split must be in [0, 1), got \(validationSplit)")
        }
        if let patience = earlyStoppingPatience, patience < 1 {
            throw ClassifierTrainingError.badOption("early-stopping patience must be at least 1 epoch, got \(patience)")
        }
    }
}

public struct ClassifierTrainingResult {
    public var history: History
    /// 1-based epoch of the checkpoint written to the output file.
    public var bestEpoch: Int
    public var trainCount: Int
    public var validation: EMNISTDataset?
    /// The kept checkpoint on the validation split (nil without one).
    public var confusion: ConfusionMatrix?
}

public enum ClassifierTraining {
    /// The small network used for smoke tests and quick experiments.
    public static let tinyArchitecture = "tiny-cnn"

    public static var architectureNames: [String] {
        Architecture.allCases.filter { $0 != .cholletConvBase }.map(\.rawValue) + [tinyArchitecture]
    }

    /// A fresh model with `classes` softmax outputs for 28x28x1 images.
    public static func makeModel(architecture name: String, classes: Int) throws -> Sequential {
        if name == tinyArchitecture {
            return try Sequential(inputShape: [28, 28, 1], layers: [
                Conv2D(filters: 8, kernelSize: 3, strides: 2, activation: .relu),
                MaxPooling2D(poolSize: 2),
                Flatten(),
                Dense(units: classes, activation: .softmax),
            ])
        }
        guard let arch = Architecture(rawValue: name), arch != .cholletConvBase else {
            throw ClassifierTrainingError.unknownArchitecture(name)
        }
        return try arch.make(classes: classes, inputShape: arch == .textbookCNN ? [28, 28] : [28, 28, 1])
    }

    /// Seeded split of 0..<count into (train, validation); validation gets
    /// round(count * fraction) indices, each part in ascending order.
    public static func split(count: Int, validationFraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        var rng = SplitMix64(seed: seed ^ 0x5B11_7000)
        let order = rng.permutation(count)
        let held = min(count, Int((Double(count) * validationFraction).rounded()))
        return (Array(order[held...]).sorted(), Array(order[..<held]).sorted())
    }

    /// Trains and writes the best checkpoint to `output`. `onEpoch` gets each
    /// epoch's figures and whether a checkpoint was written after it.
    public static func train(data: EMNISTDataset, mapping: LabelMapping, options: ClassifierTrainingOptions,
                             output: URL, startingFrom initial: Sequential? = nil, notes extraNotes: [String: String] = [:],
                             onBatch: ((BatchProgress) -> Void)? = nil,
                             onEpoch: ((EpochResult, Bool) -> Void)? = nil) throws -> ClassifierTrainingResult {
        try options.check()
        guard data.images.height == 28 && data.images.width == 28 else {
            throw ClassifierTrainingError.badOption("images are \(data.images.height)x\(data.images.width); the classifiers take 28x28")
        }
        if let bad = data.labels.first(where: { $0 >= mapping.count }) {
            throw ClassifierTrainingError.badOption("label \(bad) has no entry in the label mapping (\(mapping.count) classes)")
        }
        let (trainIndices, validationIndices) = split(count: data.count, validationFraction: options.validationSplit,
                                                      seed: options.seed)
        guard !trainIndices.isEmpty else { throw ClassifierTrainingError.badOption("no training images left after the validation split") }
        let train = data.subset(trainIndices)
        let validation = validationIndices.isEmpty ? nil : data.subset(validationIndices)

        Engine.seed(options.seed)
        let model = try initial ?? makeModel(architecture: options.architecture, classes: mapping.count)
        let stepsPerEpoch = (train.count + options.batchSize - 1) / options.batchSize
        let schedule: LearningRateSchedule = options.cosineDecay ? .cosine(total: options.epochs * stepsPerEpoch) : .constant
        try model.compile(optimizer: Adam(learningRate: options.learningRate, schedule: schedule),
                          loss: SoftmaxCrossEntropy(sparse: true))
        let augmenter = options.augmentation.map { Augmenter(options: $0, seed: options.seed) }
        var notes = ["architecture": options.architecture, "seed": String(options.seed),
                     "learning_rate": String(options.learningRate),
                     "schedule": options.cosineDecay ? "cosine" : "constant", "batch_size": String(options.batchSize),
                     "train_images": String(train.count), "validation_images": String(validation?.count ?? 0),
                     "augment": augmenter == nil ? "false" : "true"].merging(extraNotes) { _, new in new }

        var best: Float = -.infinity
        var bestEpoch = 0
        var sinceBest = 0
        var saveError: Error?
        let callbacks = TrainingCallbacks(onBatchEnd: onBatch, onEpochEnd: { result in
            // Without a validation split the training accuracy picks the checkpoint.
            let score = result.valAccuracy ?? result.accuracy ?? -result.loss
            var saved = false
            if score > best {
                best = score
                bestEpoch = result.epoch
                sinceBest = 0
                notes["epoch"] = String(result.epoch)
                notes["val_accuracy"] = result.valAccuracy.map { String($0) }
                do {
                    try ModelFile(model: model, labels: mapping.labels, training: notes).write(to: output)
                    saved = true
                } catch {
                    saveError = error
                    return .stop
                }
            } else {
                sinceBest += 1
            }
            onEpoch?(result, saved)
            if let patience = options.earlyStoppingPatience, sinceBest >= patience { return .stop }
            return .proceed
        })
        let history = try model.fit(x: train.images.tensor(), y: train.labelTensor(), epochs: options.epochs,
                                    batchSize: options.batchSize,
                                    validation: validation.map { ($0.images.tensor(), $0.labelTensor()) },
                                    shuffle: true, seed: options.seed,
                                    augment: augmenter.map { a in { a.augment(&$0) } }, callbacks: callbacks)
        if let saveError { throw saveError }

        var confusion: ConfusionMatrix?
        if let validation {
            let kept = try CharacterClassifier(contentsOf: output.path)
            confusion = kept.evaluate(validation)
        }
        return ClassifierTrainingResult(history: history, bestEpoch: bestEpoch, trainCount: train.count,
                                        validation: validation, confusion: confusion)
    }
}
