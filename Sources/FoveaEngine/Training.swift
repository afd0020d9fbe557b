// The training loop shared by Sequential and MultiOutputModel: seeded
// shuffling, mini-batches, optional augmentation, validation, per-batch
// progress and epoch-end callbacks (checkpoints, early stopping), History.

import Foundation

/// Per-epoch metrics, keyed as Keras names them ("loss", "accuracy",
/// "val_loss", "val_accuracy", and "<head>_loss" for multi-output models).
public struct History: Sendable {
    public var metrics: [String: [Float]] = [:]
    public var epochsRun: Int { metrics["loss"]?.count ?? 0 }

    public var loss: [Float] { metrics["loss"] ?? [] }
    public var accuracy: [Float] { metrics["accuracy"] ?? [] }
    public var valLoss: [Float] { metrics["val_loss"] ?? [] }
    public var valAccuracy: [Float] { metrics["val_accuracy"] ?? [] }

    public init() {}
}

/// Reported after every batch, e.g. to draw a progress bar.
public struct BatchProgress: Sendable {
    /// 1-based epoch and batch numbers.
    public let epoch: Int
    public let epochs: Int
    public let batch: Int
    public let batchCount: Int
    /// Running means over the epoch so far.
    public let loss: Float
    public let accuracy: Float?
    public let imagesPerSecond: Double

    public init(epoch: Int, epochs: Int, batch: Int, batchCount: Int, loss: Float, accuracy: Float?, imagesPerSecond: Double) {
        self.epoch = epoch
        self.epochs = epochs
        self.batch = batch
        self.batchCount = batchCount
        self.loss = loss
        self.accuracy = accuracy
        self.imagesPerSecond = imagesPerSecond
    }
}

/// Reported at the end of every epoch.
public struct EpochResult: Sendable {
    public let epoch: Int
    public let epochs: Int
    /// This epoch's metrics, keyed as in History.
    public let logs: [String: Float]
    public let seconds: Double

    public var loss: Float { logs["loss"] ?? .nan }
    public var accuracy: Float? { logs["accuracy"] }
    public var valLoss: Float? { logs["val_loss"] }
    public var valAccuracy: Float? { logs["val_accuracy"] }
}

public enum TrainingControl: Sendable {
    case proceed
    /// End training after this epoch (early stopping).
    case stop
}

public struct TrainingCallbacks {
    public var onBatchEnd: ((BatchProgress) -> Void)?
    public var onEpochEnd: ((EpochResult) -> TrainingControl)?

    public init(onBatchEnd: ((BatchProgress) -> Void)? = nil,
                onEpochEnd: ((EpochResult) -> TrainingControl)? = nil) {
        self.onBatchEnd = onBatchEnd
        self.onEpochEnd = onEpochEnd
    }
}

/// What the loop needs from a model: one training step and one evaluation
/// step on a batch, each returning named metrics for that batch.
protocol BatchTrainable: AnyObject {
    func trainOnBatch(_ x: Tensor, _ targets: [Tensor]) throws -> [String: Float]
    func testOnBatch(_ x: Tensor, _ targets: [Tensor]) throws -> [String: Float]
}

/// Accumulates batch metrics weighted by batch size.
private struct MetricMeans {
    var sums: [String: Double] = [:]
    var samples = 0

    mutating func add(_ m: [String: Float], count: Int) {
        for (k, v) in m { sums[k, default: 0] += Double(v) * Double(count) }
        samples += count
    }

    func mean(_ key: String) -> Float? {
        sums[key].map { Float($0 / Double(max(samples, 1))) }
    }

    var means: [String: Float] {
        sums.mapValues { Float($0 / Double(max(samples, 1))) }
    }
}

func evaluateLoop(_ model: BatchTrainable, x: Tensor, targets: [Tensor], batchSize: Int) throws -> [String: Float] {
    let n = x.batchCount
    let bs = max(1, batchSize)
    var means = MetricMeans()
    for start in stride(from: 0, to: n, by: bs) {
        let idx = Array(start..<min(start + bs, n))[...]
        let m = try model.testOnBatch(gatherBatch(x, indices: idx), targets.map { gatherBatch($0, indices: idx) })
        means.add(m, count: idx.count)
    }
    return means.means
}

func trainingLoop(_ model: BatchTrainable, x: Tensor, targets: [Tensor], epochs: Int, batchSize: Int,
                  validation: (x: Tensor, targets: [Tensor])?, shuffle: Bool, seed: UInt64,
                  augment: ((inout Tensor) -> Void)?, callbacks: TrainingCallbacks) throws -> History {
    guard epochs >= 0, batchSize > 0 else {
        throw EngineError.invalidArgument("epochs must be ≥ 0 and batch size > 0, got \(epochs) and \(batchSize)")
    }
    let n = x.batchCount
    EngineRandom.shared.reseed(seed)
    var history = History()
    let batchCount = (n + batchSize - 1) / batchSize
    guard epochs > 0 else { return history }
    for epoch in 1...epochs {
        let started = DispatchTime.now().uptimeNanoseconds
        let order = shuffle ? EngineRandom.shared.with { $0.permutation(n) } : Array(0..<n)
        var means = MetricMeans()
        for b in 0..<batchCount {
            let idx = order[(b * batchSize)..<min((b + 1) * batchSize, n)]
            var xb = gatherBatch(x, indices: idx)
            augment?(&xb)
            let m = try model.trainOnBatch(xb, targets.map { gatherBatch($0, indices: idx) })
            means.add(m, count: idx.count)
            if let onBatch = callbacks.onBatchEnd {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                onBatch(BatchProgress(epoch: epoch, epochs: epochs, batch: b + 1, batchCount: batchCount,
                                      loss: means.mean("loss") ?? .nan, accuracy: means.mean("accuracy"),
                                      imagesPerSecond: Double(means.samples) / max(seconds, 1e-9)))
            }
        }
        var logs = means.means
        if let validation {
            for (k, v) in try evaluateLoop(model, x: validation.x, targets: validation.targets, batchSize: batchSize) {
                logs["val_" + k] = v
            }
        }
        for (k, v) in logs { history.metrics[k, default: []].append(v) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if callbacks.onEpochEnd?(EpochResult(epoch: epoch, epochs: epochs, logs: logs, seconds: seconds)) == .stop {
            break
        }
    }
    return history
}

extension Sequential: BatchTrainable {
    func trainOnBatch(_ x: Tensor, _ targets: [Tensor]) throws -> [String: Float] {
        let (loss, accuracy) = try trainStep(x: x, y: targets[0])
        return accuracy.map { ["loss": loss, "accuracy": $0] } ?? ["loss": loss]
    }

    func testOnBatch(_ x: Tensor, _ targets: [Tensor]) throws -> [String: Float] {
        guard let loss else {
            throw EngineError.invalidArgument("\(name): call compile(optimizer:loss:) before evaluating")
        }
        let (value, accuracy) = testStep(x: x, y: targets[0], loss: loss)
        return accuracy.map { ["loss": value, "accuracy": $0] } ?? ["loss": value]
    }

    private func checkData(x: Tensor, y: Tensor, role: String) throws {
        guard let loss else {
            throw EngineError.invalidArgument("\(name): call compile(optimizer:loss:) before fit or evaluate")
        }
        try validate(input: x)
        guard y.batchCount == x.batchCount else {
            throw EngineError.shapeMismatch("\(role): \(x.batchCount) samples but \(y.batchCount) targets")
        }
        do {
            try loss.validate(target: y, predictionShape: [x.batchCount] + outputShape)
        } catch {
            throw EngineError.shapeMismatch("\(role) targets: \(error)")
        }
    }

    /// Trains with the compiled optimizer and loss. Deterministic for a
    /// seed: the seed drives shuffling and dropout masks.
    @discardableResult
    public func fit(x: Tensor, y: Tensor, epochs: Int = 1, batchSize: Int = 32,
                    validation: (Tensor, Tensor)? = nil, shuffle: Bool = true, seed: UInt64 = 0,
                    augment: ((inout Tensor) -> Void)? = nil,
                    callbacks: TrainingCallbacks = TrainingCallbacks()) throws -> History {
        try checkData(x: x, y: y, role: "training data")
        if let (vx, vy) = validation { try checkData(x: vx, y: vy, role: "validation data") }
        return try trainingLoop(self, x: x, targets: [y], epochs: epochs, batchSize: batchSize,
                                validation: validation.map { ($0.0, [$0.1]) }, shuffle: shuffle, seed: seed,
                                augment: augment, callbacks: callbacks)
    }

    /// Mean loss and accuracy (nil if the loss has none) over a data set.
    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 32) throws -> (loss: Float, accuracy: Float?) {
        try checkData(x: x, y: y, role: "evaluation data")
        let logs = try evaluateLoop(self, x: x, targets: [y], batchSize: batchSize)
        return (logs["loss"] ?? .nan, logs["accuracy"])
    }
}
