// FaceDetectorTraining: trains the face detector on synthetic photos made
// from the TRAIN split's face crops (FaceComposer), encoded as CenterNet
// targets. After every epoch the detector reads a validation set (the
// VALIDATION split's crops on the training backgrounds, whole photos through
// the pyramid, exactly as at inference) and COCO AP picks the checkpoint.
// The same evaluation, on the TEST split's crops over held-out backgrounds,
// gives the figures `fovea evaluate-face-detector` reports.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public struct FaceDetectorTrainingOptions: Sendable {
    public var epochs = 10
    public var batchSize = 32
    public var learningRate: Float = 0.002
    /// Synthetic training pictures (square, `imageSide` pixels).
    public var trainImages = 6000
    public var imageSide = 128
    public var validationImages = 200
    public var seed: UInt64 = 12
    /// Start from this detector's weights (fine-tuning) instead of random ones.
    public var initialModel: String?

    public init() {}

    public func check() throws {
        guard epochs >= 1, batchSize >= 1, learningRate > 0, trainImages >= 1, validationImages >= 0,
              imageSide >= 32, imageSide % FaceDetector.stride == 0 else {
            throw FaceDetectorTrainingError.badOption(
                "epochs, batch size and training images ≥ 1, learning rate > 0, image side a multiple of 8 ≥ 32")
        }
    }
}

public enum FaceDetectorTrainingError: Error, CustomStringConvertible {
    case badOption(String)

    public var description: String {
        switch self {
        case .badOption(let m): return "face detector training: \(m)"
        }
    }
}

public struct FaceDetectorEpoch: Sendable {
    public var result: EpochResult
    public var ap: Double
    public var ap50: Double
    public var saved: Bool
}

public struct FaceDetectionFigures: Sendable {
    /// The 12 COCO stats (AP@[.5:.95], AP50, AP75, small, medium, large, AR…).
    public var stats: [Double]
    public var images: Int
    public var faces: Int
    public var detections: Int
    public var ap: Double { stats[0] }
    public var ap50: Double { stats[1] }
}

public enum FaceDetectorTraining {
    /// Whole synthetic photos of varied size, as the evaluation reads them.
    public static func evaluationPhotos(faces: FaceCropSet, backgrounds: FaceBackgrounds, count: Int, seed: UInt64)
        -> [ComposedPhoto] {
        var composer = FaceComposer(faces: faces, backgrounds: backgrounds)
        composer.minFace = 16
        composer.maxFace = 240
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let w = 160 + Int(rng.next() % 161), h = 160 + Int(rng.next() % 161)
            return composer.compose(width: w, height: h, rng: &rng)
        }
    }

    /// COCO figures of `detector` on photos (class-agnostic, category "face"),
    /// with the ground truth and detections for `fovea evaluate`.
    public static func evaluate(_ detector: FaceDetector, on photos: [ComposedPhoto], minScore: Double = 0.05) throws
        -> (figures: FaceDetectionFigures, groundTruth: COCOGroundTruth, detections: [COCODetection]) {
        var images = [COCOImage](), annotations = [COCOAnnotation](), detections = [COCODetection]()
        var id = 1
        for (i, p) in photos.enumerated() {
            images.append(COCOImage(id: i + 1, width: Double(p.width), height: Double(p.height), fileName: String(format: "photo-%05d.png", i + 1)))
            for b in p.faces {
                annotations.append(COCOAnnotation(id: id, imageID: i + 1, categoryID: 1, bbox: (b.x1, b.y1, b.width, b.height),
                                                  area: b.area, isCrowd: false))
                id += 1
            }
            let image = Image(width: p.width, height: p.height, channels: 1, pixels: p.pixels)
            for d in try detector.faces(in: image, minScore: minScore) {
                detections.append(COCODetection(imageID: i + 1, categoryID: 1, bbox: (d.box.x1, d.box.y1, d.box.width, d.box.height),
                                                score: d.score))
            }
        }
        let gt = COCOGroundTruth(images: images, categories: [COCOCategory(id: 1, name: "face")], annotations: annotations)
        var evaluator = try COCOEvaluator(groundTruth: gt, detections: detections)
        evaluator.evaluate()
        evaluator.accumulate()
        let figures = FaceDetectionFigures(stats: evaluator.summarize().values, images: photos.count,
                                           faces: annotations.count, detections: detections.count)
        return (figures, gt, detections)
    }

    /// Training tensors: `count` square pictures and their CenterNet targets.
    static func tensors(_ composer: FaceComposer, count: Int, side: Int, seed: UInt64) -> (x: Tensor, y: Tensor) {
        let geometry = CenterNetGeometry(stride: FaceDetector.stride)
        let fs = side / FaceDetector.stride
        var xs = [Float](), ys = [Float]()
        xs.reserveCapacity(count * side * side)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<count {
            let p = composer.compose(width: side, height: side, rng: &rng)
            xs += p.pixels.map { Float($0) / 255 }
            ys += geometry.targets(boxes: p.faces, featureHeight: fs, featureWidth: fs)
        }
        return (Tensor(shape: [count, side, side, 1], data: xs),
                Tensor(shape: [count, fs, fs, CenterNetGeometry.targetChannels], data: ys))
    }

    public static func train(set: FaceCropSet, backgrounds: FaceBackgrounds, options: FaceDetectorTrainingOptions, output: URL,
                             onBatch: ((BatchProgress) -> Void)? = nil,
                             onEpoch: ((FaceDetectorEpoch) -> Void)? = nil)
        throws -> (history: History, bestEpoch: Int, best: FaceDetectionFigures?, trainFaces: Int) {
        try options.check()
        let (trainIndices, validationIndices, _) = set.split()
        let train = set.subset(trainIndices), validation = set.subset(validationIndices)
        var composer = FaceComposer(faces: train, backgrounds: backgrounds)
        composer.maxFace = Double(options.imageSide) * 0.8
        let (x, y) = tensors(composer, count: options.trainImages, side: options.imageSide, seed: options.seed)
        let photos = evaluationPhotos(faces: validation, backgrounds: backgrounds, count: options.validationImages,
                                      seed: options.seed &+ 1)

        Engine.seed(options.seed)
        let model = try options.initialModel.map {
            try FaceDetector(contentsOf: $0).model.resized(inputShape: [options.imageSide, options.imageSide, 1])
        } ?? FaceDetector.makeModel(height: options.imageSide, width: options.imageSide)
        let steps = (x.batchCount + options.batchSize - 1) / options.batchSize
        try model.compile(optimizer: Adam(learningRate: options.learningRate, schedule: .cosine(total: options.epochs * steps)),
                          loss: CenterNetLoss())
        var notes = ["kind": FaceDetector.kind, "stride": String(FaceDetector.stride), "seed": String(options.seed),
                     "learning_rate": String(options.learningRate), "batch_size": String(options.batchSize),
                     "epochs": String(options.epochs), "train_images": String(options.trainImages),
                     "image_side": String(options.imageSide), "train_crops": String(train.count),
                     "split": "FaceCropSet.split(validation: 0.15, test: 0.15, seed: 2026), train crops only",
                     "validation_photos": String(photos.count)]
        if let initial = options.initialModel { notes["initial_model"] = URL(fileURLWithPath: initial).lastPathComponent }
        var best = -Double.infinity, bestEpoch = 0
        var bestFigures: FaceDetectionFigures?
        var failure: Error?
        let callbacks = TrainingCallbacks(onBatchEnd: onBatch, onEpochEnd: { result in
            do {
                let detector = try FaceDetector(model: model)
                let figures = photos.isEmpty ? nil : try evaluate(detector, on: photos).figures
                let ap = figures?.ap ?? -Double(result.loss)
                var saved = false
                if ap > best {
                    best = ap; bestEpoch = result.epoch; bestFigures = figures
                    notes["epoch"] = String(result.epoch)
                    if let figures {
                        notes["val_ap"] = String(format: "%.4f", figures.ap)
                        notes["val_ap50"] = String(format: "%.4f", figures.ap50)
                    }
                    try ModelFile(model: model, labels: ["face"], training: notes).write(to: output)
                    saved = true
                }
                onEpoch?(FaceDetectorEpoch(result: result, ap: figures?.ap ?? .nan, ap50: figures?.ap50 ?? .nan, saved: saved))
                return .proceed
            } catch {
                failure = error
                return .stop
            }
        })
        let history = try model.fit(x: x, y: y, epochs: options.epochs, batchSize: options.batchSize,
                                    shuffle: true, seed: options.seed, callbacks: callbacks)
        if let failure { throw failure }
        return (history, bestEpoch, bestFigures, train.count)
    }
}
