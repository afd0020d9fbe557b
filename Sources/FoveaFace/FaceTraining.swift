// FaceTraining: trains the face-crop model (landmarks + smile on one
// backbone) on the training split, picks the checkpoint by validation loss,
// then fits the smile score's Platt scaling and threshold on validation and
// records them in the model file. Augmentation keeps the labels right: every
// crop also appears mirrored (left/right points swapped), and every copy is
// shifted, scaled and rotated a little with its points moved to match;
// brightness and contrast vary per batch.
import FoveaEngine
import Foundation

public struct FaceTrainingOptions: Sendable {
    public var epochs = 12
    public var batchSize = 64
    public var learningRate: Float = 0.002
    public var seed: UInt64 = 3
    public init() {}
}

public struct FaceEvaluation: Sendable {
    public var nmePerPoint: [Double]
    public var nme: Double
    public var baselineNMEPerPoint: [Double]
    public var baselineNME: Double
    public var auc: Double
    public var accuracy: Double
    public var majorityAccuracy: Double
    public var faces: Int
    public var probabilities: [Double]
    public var labels: [Int]
}

public enum FaceTraining {
    /// A crop warped by a small similarity transform about its centre, with
    /// its points moved the same way (edge pixels repeat outside the crop).
    static func warp(_ pixels: ArraySlice<UInt8>, points: [Float]?, rng: inout SplitMix64) -> ([UInt8], [Float]?) {
        let n = FaceCropSet.side
        let angle = rng.uniform(-8, 8) * Float.pi / 180
        let scale = rng.uniform(0.92, 1.08)
        let dx = rng.uniform(-3, 3), dy = rng.uniform(-3, 3)
        let c = Float(n - 1) / 2
        let (ca, sa) = (cos(angle) * scale, sin(angle) * scale)
        let base = pixels.startIndex
        var out = [UInt8](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n {
                // Inverse map: output → source.
                let ux = Float(x) - c - dx, uy = Float(y) - c - dy
                let sx = (ca * ux + sa * uy) / (scale * scale) + c
                let sy = (-sa * ux + ca * uy) / (scale * scale) + c
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                func at(_ xx: Int, _ yy: Int) -> Float {
                    Float(pixels[base + min(max(yy, 0), n - 1) * n + min(max(xx, 0), n - 1)])
                }
                let v = (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
                out[y * n + x] = UInt8(min(255, max(0, v.rounded())))
            }
        }
        let moved = points.map { p in
            (0..<10).flatMap { k -> [Float] in
                let ux = p[2 * k] - c, uy = p[2 * k + 1] - c
                return [ca * ux - sa * uy + c + dx, sa * ux + ca * uy + c + dy]
            }
        }
        return (out, moved)
    }

    /// The training tensors: each crop with landmarks as it is and mirrored
    /// with a random warp. Crops without landmarks are left out.
    static func trainingTensors(_ set: FaceCropSet, seed: UInt64) -> (x: Tensor, landmarks: Tensor, smile: Tensor) {
        let usable = (0..<set.count).filter { set.landmarks[$0] != nil }
        let base = set.subset(usable)
        let mirrored = base.mirrored()
        var rng = SplitMix64(seed: seed)
        let n = FaceCropSet.side * FaceCropSet.side
        var pixels = base.pixels, marks = base.landmarks.flatMap { FaceAnalyzer.encode($0!) }
        for i in 0..<mirrored.count {
            let (p, m) = warp(mirrored.pixels[(i * n)..<((i + 1) * n)], points: mirrored.landmarks[i], rng: &rng)
            pixels += p
            marks += FaceAnalyzer.encode(m!)
        }
        let count = base.count * 2
        return (FaceAnalyzer.tensor(pixels, count: count), Tensor(shape: [count, 20], data: marks),
                Tensor(shape: [count], data: (base.smiles + mirrored.smiles).map(Float.init)))
    }

    static func tensors(_ set: FaceCropSet) -> (x: Tensor, landmarks: Tensor, smile: Tensor) {
        let usable = (0..<set.count).filter { set.landmarks[$0] != nil }
        let s = set.subset(usable)
        return (FaceAnalyzer.tensor(s.pixels, count: s.count),
                Tensor(shape: [s.count, 20], data: s.landmarks.flatMap { FaceAnalyzer.encode($0!) }),
                Tensor(shape: [s.count], data: s.smiles.map(Float.init)))
    }

    /// Brightness and contrast jitter of a batch (labels unchanged).
    final class Jitter {
        private var rng: SplitMix64
        init(seed: UInt64) { rng = SplitMix64(seed: seed) }
        func apply(_ x: inout Tensor) {
            let n = FaceCropSet.side * FaceCropSet.side
            let count = x.count / n
            var values = x.data
            for i in 0..<count {
                let contrast = rng.uniform(0.7, 1.3), brightness = rng.uniform(-0.15, 0.15)
                for k in (i * n)..<((i + 1) * n) { values[k] = min(1, max(0, (values[k] - 0.5) * contrast + 0.5 + brightness)) }
            }
            x.data = values
        }
    }

    public static func train(set: FaceCropSet, options: FaceTrainingOptions, output: URL,
                             onBatch: ((BatchProgress) -> Void)? = nil,
                             onEpoch: ((EpochResult, Double, Bool) -> Void)? = nil) throws -> (history: History, bestEpoch: Int, validation: FaceEvaluation) {
        let (trainIndices, validationIndices, _) = set.split()
        let train = set.subset(trainIndices), validation = set.subset(validationIndices)
        let t = trainingTensors(train, seed: options.seed)
        let v = tensors(validation)
        let validationTruth = validation.landmarks.compactMap { $0 }
        Engine.seed(options.seed)
        let model = try FaceAnalyzer.makeModel(meanFace: FaceMetrics.meanShape(train.landmarks.compactMap { $0 }))
        let steps = (t.x.batchCount + options.batchSize - 1) / options.batchSize
        model.compile(optimizer: Adam(learningRate: options.learningRate, schedule: .cosine(total: options.epochs * steps)))
        var notes = ["kind": FaceAnalyzer.kind, "seed": String(options.seed), "epochs": String(options.epochs),
                     "train_crops": String(train.count), "validation_crops": String(validation.count),
                     "split": "FaceCropSet.split(validation: 0.15, test: 0.15, seed: 2026)",
                     "landmarks": FacePoint.allCases.map(\.name).joined(separator: ",")]
        var best = Float.infinity, bestEpoch = 0
        var failure: Error?
        let jitter = Jitter(seed: options.seed &+ 1)
        let history = try model.fit(
            x: t.x, y: ["landmarks": t.landmarks, "smile": t.smile], epochs: options.epochs, batchSize: options.batchSize,
            validation: (v.x, ["landmarks": v.landmarks, "smile": v.smile]), shuffle: true, seed: options.seed,
            augment: { jitter.apply(&$0) },
            callbacks: TrainingCallbacks(onBatchEnd: onBatch, onEpochEnd: { result in
                let score = result.logs["val_loss"] ?? result.loss
                var saved = false
                if score < best {
                    best = score; bestEpoch = result.epoch
                    notes["epoch"] = String(result.epoch)
                    do {
                        try MultiOutputModelFile(model: model, labels: ["no smile", "smile"], training: notes).write(to: output)
                        saved = true
                    } catch {
                        failure = error
                        return .stop
                    }
                }
                let marks = model.predict(v.x, batchSize: 256)["landmarks"]!.data.map(FaceAnalyzer.decode)
                let nme = FaceMetrics.nme(predicted: (0..<validationTruth.count).map { Array(marks[($0 * 20)..<(($0 + 1) * 20)]) },
                                          truth: validationTruth).overall
                onEpoch?(result, nme, saved)
                return .proceed
            }))
        if let failure { throw failure }
        // Calibrate the kept checkpoint on validation and record it.
        let kept = try FaceAnalyzer(contentsOf: output.path)
        let usable = (0..<validation.count).filter { validation.landmarks[$0] != nil }
        let vs = validation.subset(usable)
        let (_, logits) = kept.raw(vs.pixels, count: vs.count)
        let (a, b) = FaceMetrics.plattFit(logits: logits, labels: vs.smiles)
        let calibrated = logits.map { 1 / (1 + exp(-(a * $0 + b))) }
        let threshold = FaceMetrics.bestThreshold(probabilities: calibrated, labels: vs.smiles)
        var final = kept.training
        final["platt_a"] = String(a); final["platt_b"] = String(b); final["smile_threshold"] = String(threshold)
        try MultiOutputModelFile(model: kept.model, labels: ["no smile", "smile"], training: final).write(to: output)
        let calibratedModel = try FaceAnalyzer(contentsOf: output.path)
        return (history, bestEpoch, evaluate(calibratedModel, on: validation, meanShapeFrom: train))
    }

    /// The figures of `analyzer` on `set`; the naive baseline puts every
    /// point at its mean position over `meanShapeFrom`.
    public static func evaluate(_ analyzer: FaceAnalyzer, on set: FaceCropSet, meanShapeFrom reference: FaceCropSet) -> FaceEvaluation {
        let results = analyzer.analyze(set.pixels, count: set.count)
        let withPoints = (0..<set.count).filter { set.landmarks[$0] != nil }
        let truth = withPoints.map { set.landmarks[$0]! }
        let predicted = withPoints.map { i in results[i].landmarks.flatMap { [$0.x, $0.y] } }
        let (per, overall) = FaceMetrics.nme(predicted: predicted, truth: truth)
        let mean = FaceMetrics.meanShape(reference.landmarks.compactMap { $0 })
        let (basePer, baseOverall) = FaceMetrics.nme(predicted: Array(repeating: mean, count: truth.count), truth: truth)
        let p = results.map(\.smileProbability)
        let positives = set.smiles.filter { $0 == 1 }.count
        return FaceEvaluation(nmePerPoint: per, nme: overall, baselineNMEPerPoint: basePer, baselineNME: baseOverall,
                              auc: FaceMetrics.auc(scores: p, labels: set.smiles),
                              accuracy: FaceMetrics.accuracy(probabilities: p, labels: set.smiles, threshold: analyzer.threshold),
                              majorityAccuracy: Double(max(positives, set.count - positives)) / Double(max(set.count, 1)),
                              faces: set.count, probabilities: p, labels: set.smiles)
    }
}
