// LandmarkTraining: trains the landmark regressor (FaceLandmarker) alone on
// the training split and keeps the checkpoint with the best validation NME,
// so no smile head pulls the choice elsewhere. Every epoch draws a fresh
// random warp of each training crop and of its mirror image (points moved
// and, for the mirror, left and right swapped), so longer training meets new
// views instead of memorising one; brightness and contrast vary per batch.
// Whether to average with the mirrored reading at inference is chosen on
// validation too and recorded in the model file.
import FoveaEngine
import Foundation

public struct LandmarkTrainingOptions: Sendable {
    public var epochs = 30
    public var batchSize = 64
    public var learningRate: Float = 0.002
    public var seed: UInt64 = 3
    /// Heatmap: validation NME 2.82% against the dense model's 5.60% (README, Docs/landmark-training.txt).
    public var architecture = LandmarkArchitecture.heatmap
    public init() {}
}

/// One epoch's figures: training and validation loss, validation NME read
/// once and flip-averaged, and whether the checkpoint was saved.
public struct LandmarkEpoch: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var loss: Double
    public var validationLoss: Double
    public var nme: Double
    public var flipNME: Double
    public var seconds: Double
    public var saved: Bool
}

/// The kept checkpoint's validation NME, per point and overall, as used
/// (flip-averaged or not, whichever validation preferred), beside the
/// mean-shape baseline.
public struct LandmarkValidation: Sendable {
    public var nmePerPoint: [Double]
    public var nme: Double
    public var baselineNMEPerPoint: [Double]
    public var baselineNME: Double
    public var flipAveraging: Bool
    public var faces: Int
}

public enum LandmarkTraining {
    /// Every crop and its mirror image, each under a fresh random warp.
    static func epochTensors(_ base: FaceCropSet, mirrored: FaceCropSet, rng: inout SplitMix64) -> (x: Tensor, landmarks: Tensor) {
        let n = FaceCropSet.side * FaceCropSet.side
        var pixels = [UInt8](), marks = [Float]()
        pixels.reserveCapacity(2 * base.count * n)
        marks.reserveCapacity(2 * base.count * 20)
        for set in [base, mirrored] {
            for i in 0..<set.count {
                let (p, m) = FaceTraining.warp(set.pixels[(i * n)..<((i + 1) * n)], points: set.landmarks[i], rng: &rng)
                pixels += p
                marks += FaceAnalyzer.encode(m!)
            }
        }
        let count = 2 * base.count
        return (FaceAnalyzer.tensor(pixels, count: count), Tensor(shape: [count, 20], data: marks))
    }

    /// NME of `landmarker` on the crops of `set` that have points, read once
    /// and flip-averaged (one forward pass over the crops and their mirrors).
    public static func nme(_ landmarker: FaceLandmarker, on set: FaceCropSet)
        -> (single: (perPoint: [Double], overall: Double), flipped: (perPoint: [Double], overall: Double)) {
        let withPoints = (0..<set.count).filter { set.landmarks[$0] != nil }
        let s = set.subset(withPoints)
        let truth = s.landmarks.map { $0! }
        let both = landmarker.predict(s.pixels + FaceLandmarker.mirroredPixels(s.pixels, count: s.count), count: 2 * s.count)
        let direct = Array(both[..<(20 * s.count)])
        let averaged = FaceLandmarker.flipAverage(direct: direct, mirrored: Array(both[(20 * s.count)...]))
        func rows(_ v: [Float]) -> [[Float]] { (0..<s.count).map { Array(v[($0 * 20)..<(($0 + 1) * 20)]) } }
        return (FaceMetrics.nme(predicted: rows(direct), truth: truth), FaceMetrics.nme(predicted: rows(averaged), truth: truth))
    }

    public static func train(set: FaceCropSet, options: LandmarkTrainingOptions, output: URL,
                             onBatch: ((BatchProgress) -> Void)? = nil,
                             onEpoch: ((LandmarkEpoch) -> Void)? = nil) throws -> (history: History, bestEpoch: Int, validation: LandmarkValidation) {
        let (trainIndices, validationIndices, _) = set.split()
        let train = set.subset(trainIndices.filter { set.landmarks[$0] != nil })
        let validation = set.subset(validationIndices.filter { set.landmarks[$0] != nil })
        let mirrored = train.mirrored()
        let v = FaceTraining.tensors(validation)
        Engine.seed(options.seed)
        let meanFace = FaceMetrics.meanShape(train.landmarks.map { $0! })
        let model = try FaceLandmarker.makeModel(meanFace: meanFace, architecture: options.architecture)
        let steps = (2 * train.count + options.batchSize - 1) / options.batchSize
        model.compile(optimizer: Adam(learningRate: options.learningRate, schedule: .cosine(total: options.epochs * steps)))
        var notes = ["kind": FaceLandmarker.kind, "architecture": options.architecture.rawValue,
                     "seed": String(options.seed), "epochs": String(options.epochs),
                     "train_crops": String(train.count), "validation_crops": String(validation.count),
                     "split": "FaceCropSet.split(validation: 0.15, test: 0.15, seed: 2026)",
                     "selection": "best validation NME (flip-averaged or single, whichever is lower)",
                     "landmarks": FacePoint.allCases.map(\.name).joined(separator: ",")]
        var history = History()
        var best = Double.infinity, bestEpoch = 0
        var rng = SplitMix64(seed: options.seed &+ 7)
        let jitter = FaceTraining.Jitter(seed: options.seed &+ 1)
        let landmarker = FaceLandmarker(model: model, training: notes)
        for epoch in 1...max(options.epochs, 1) {
            let started = Date()
            let t = epochTensors(train, mirrored: mirrored, rng: &rng)
            let h = try model.fit(
                x: t.x, y: ["landmarks": t.landmarks], epochs: 1, batchSize: options.batchSize,
                validation: (v.x, ["landmarks": v.landmarks]), shuffle: true, seed: options.seed &+ UInt64(epoch),
                augment: { jitter.apply(&$0) },
                callbacks: TrainingCallbacks(onBatchEnd: onBatch.map { report in { p in
                    report(BatchProgress(epoch: epoch, epochs: options.epochs, batch: p.batch, batchCount: p.batchCount,
                                         loss: p.loss, accuracy: nil, imagesPerSecond: p.imagesPerSecond))
                } }))
            let (single, flipped) = nme(landmarker, on: validation)
            for (k, values) in h.metrics { history.metrics[k, default: []] += values }
            history.metrics["val_nme", default: []].append(Float(single.overall))
            history.metrics["val_nme_flip", default: []].append(Float(flipped.overall))
            let score = min(single.overall, flipped.overall)
            var saved = false
            if score < best {
                best = score; bestEpoch = epoch
                notes["epoch"] = String(epoch)
                notes["val_nme"] = String(format: "%.5f", single.overall)
                notes["val_nme_flip"] = String(format: "%.5f", flipped.overall)
                notes["flip_averaging"] = flipped.overall <= single.overall ? "true" : "false"
                try MultiOutputModelFile(model: model, training: notes).write(to: output)
                saved = true
            }
            onEpoch?(LandmarkEpoch(epoch: epoch, epochs: options.epochs, loss: Double(h.loss.last ?? .nan),
                                   validationLoss: Double(h.valLoss.last ?? .nan), nme: single.overall,
                                   flipNME: flipped.overall, seconds: Date().timeIntervalSince(started), saved: saved))
        }
        let kept = try FaceLandmarker(contentsOf: output.path)
        let (single, flipped) = nme(kept, on: validation)
        let used = kept.flipAveraging ? flipped : single
        let (basePer, baseOverall) = FaceMetrics.nme(predicted: Array(repeating: meanFace, count: validation.count),
                                                     truth: validation.landmarks.map { $0! })
        return (history, bestEpoch, LandmarkValidation(nmePerPoint: used.perPoint, nme: used.overall, baselineNMEPerPoint: basePer,
                                                       baselineNME: baseOverall, flipAveraging: kept.flipAveraging,
                                                       faces: validation.count))
    }
}
