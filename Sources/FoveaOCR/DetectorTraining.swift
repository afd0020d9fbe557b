// DetectorTraining: trains the character detector on text lines with COCO
// ground truth (as `fovea synth-lines` writes). Lines are normalised exactly
// as at inference (LineInput), cut into fixed-width windows for batching,
// and encoded as CenterNet targets (Gaussian or centre-cell, stride 4 or 8,
// with the characters' classes when a class head is trained); a seeded part
// of the lines is held out, and after every epoch the detector reads those
// whole lines and COCO AP picks the checkpoint.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public struct DetectorTrainingOptions: Sendable {
    public var epochs = 12
    public var batchSize = 32
    public var learningRate: Float = 0.002
    public var cosineDecay = true
    public var validationSplit = 0.1
    /// Width of the training windows, detector pixels (a multiple of 4).
    public var windowWidth = 128
    public var seed: UInt64 = 7
    /// Feature-map stride: 4 (the default) or 8.
    public var stride = 4
    public var assignment = CenterAssignment.gaussian
    /// Train a class head (the EMNIST ByMerge classes) with softmax
    /// cross-entropy at the centre cells.
    public var classHead = false
    /// Weight of the class head's cross-entropy against the heatmap loss.
    public var classWeight: Float = 1

    public init() {}

    public func check() throws {
        guard epochs >= 1, batchSize >= 1, learningRate > 0, (0..<1).contains(validationSplit),
              CharacterDetector.strides.contains(stride), windowWidth >= 16, windowWidth % stride == 0, classWeight > 0 else {
            throw DetectorTrainingError.badOption(
                "epochs and batch size ≥ 1, learning rate > 0, validation split in [0, 1), stride 4 or 8, "
                + "window width a multiple of the stride ≥ 16, class weight > 0")
        }
    }

    /// The head's classes: EMNIST ByMerge, as `fovea synth-lines` labels characters.
    public static let headLabels = LabelMapping.emnistByMerge
}

public enum DetectorTrainingError: Error, CustomStringConvertible {
    case badOption(String)
    case badImage(String)

    public var description: String {
        switch self {
        case .badOption(let m): return "detector training: \(m)"
        case .badImage(let m): return "detector training: \(m)"
        }
    }
}

public struct DetectorEpoch: Sendable {
    public var result: EpochResult
    /// Validation COCO AP@[.5:.95] and AP50 of whole lines.
    public var ap: Double
    public var ap50: Double
    public var saved: Bool
}

public struct DetectorTrainingResult {
    public var history: History
    public var bestEpoch: Int
    public var bestAP: Double
    public var bestAP50: Double
    public var trainLines: Int
    public var validationLines: Int
    public var windows: Int
}

public enum DetectorTraining {
    /// A line loaded and normalised, with its boxes in detector pixels.
    struct Example {
        var record: LineRecord
        var input: LineInput
        var boxes: [Box]
        /// Each box's class index in `DetectorTrainingOptions.headLabels`, -1 where unknown.
        var classes: [Int]
    }

    static func load(_ lines: [LineRecord], imagesFolder: String, widthMultiple: Int = 4) throws -> [Example] {
        let index = Dictionary(DetectorTrainingOptions.headLabels.labels.enumerated().map { ($1, $0) },
                               uniquingKeysWith: { a, _ in a })
        return try lines.map { record in
            let path = URL(fileURLWithPath: imagesFolder).appendingPathComponent(record.fileName).path
            let image: Image
            do { image = try Image(contentsOf: path) } catch {
                throw DetectorTrainingError.badImage("\(path): \(error)")
            }
            let input = try LineInput(image: image, height: CharacterDetector.inputHeight, widthMultiple: widthMultiple)
            return Example(record: record, input: input, boxes: record.characters.map { input.toDetector($0.box) },
                           classes: record.characters.map { index[$0.label] ?? -1 })
        }
    }

    /// Fixed-width windows over each line (overlapping by a quarter), with
    /// the boxes whose centres fall inside each window.
    static func windows(_ examples: [Example], width ww: Int, geometry: CenterNetGeometry) -> (x: Tensor, y: Tensor) {
        let h = CharacterDetector.inputHeight
        let fh = h / geometry.stride, fw = ww / geometry.stride
        var xs = [Float](), ys = [Float]()
        var count = 0
        for e in examples where e.input.hasInk {
            let stepX = ww * 3 / 4
            var start = 0
            repeat {
                var window = [Float](repeating: 0, count: h * ww)
                for y in 0..<h {
                    for x in 0..<ww where start + x < e.input.width {
                        window[y * ww + x] = e.input.detectorInput[y * e.input.width + start + x]
                    }
                }
                let dx = Double(start)
                let inside = e.boxes.indices.filter { e.boxes[$0].centerX >= dx && e.boxes[$0].centerX < dx + Double(ww) }
                let boxes = inside.map { e.boxes[$0] }.map { Box(x1: $0.x1 - dx, y1: $0.y1, x2: $0.x2 - dx, y2: $0.y2) }
                xs += window
                ys += geometry.targets(boxes: boxes, classIndices: inside.map { e.classes[$0] },
                                       featureHeight: fh, featureWidth: fw)
                count += 1
                start += stepX
            } while start + ww / 4 < e.input.width
        }
        return (Tensor(shape: [count, h, ww, 1], data: xs),
                Tensor(shape: [count, fh, fw, geometry.targetChannelCount], data: ys))
    }

    /// COCO AP@[.5:.95] and AP50 of `detector` on whole lines.
    static func averagePrecision(_ detector: CharacterDetector, on examples: [Example]) throws -> (ap: Double, ap50: Double) {
        var images = [COCOImage](), annotations = [COCOAnnotation](), detections = [COCODetection]()
        var id = 1
        for (i, e) in examples.enumerated() {
            images.append(COCOImage(id: i + 1, width: Double(e.record.width), height: Double(e.record.height)))
            for c in e.record.characters {
                annotations.append(COCOAnnotation(id: id, imageID: i + 1, categoryID: 1,
                                                  bbox: (c.box.x1, c.box.y1, c.box.width, c.box.height),
                                                  area: c.box.area, isCrowd: false))
                id += 1
            }
            for d in try detector.detect(e.input, minScore: 0.05, nmsIoU: 0.5) {
                detections.append(COCODetection(imageID: i + 1, categoryID: 1,
                                                bbox: (d.box.x1, d.box.y1, d.box.width, d.box.height), score: d.score))
            }
        }
        let gt = COCOGroundTruth(images: images, categories: [COCOCategory(id: 1, name: LineSet.categoryName)],
                                 annotations: annotations)
        var evaluator = try COCOEvaluator(groundTruth: gt, detections: detections)
        evaluator.evaluate()
        evaluator.accumulate()
        let stats = evaluator.summarize().values
        return (stats[0], stats[1])
    }

    public static func train(lines: [LineRecord], imagesFolder: String, options: DetectorTrainingOptions, output: URL,
                             onBatch: ((BatchProgress) -> Void)? = nil,
                             onEpoch: ((DetectorEpoch) -> Void)? = nil) throws -> DetectorTrainingResult {
        try options.check()
        let (trainIndices, validationIndices) = ClassifierTraining.split(
            count: lines.count, validationFraction: options.validationSplit, seed: options.seed)
        guard !trainIndices.isEmpty else { throw DetectorTrainingError.badOption("no training lines left after the validation split") }
        let train = try load(trainIndices.map { lines[$0] }, imagesFolder: imagesFolder, widthMultiple: options.stride)
        let validation = try load(validationIndices.map { lines[$0] }, imagesFolder: imagesFolder, widthMultiple: options.stride)
        let classes = options.classHead ? DetectorTrainingOptions.headLabels.count : 0
        let geometry = CenterNetGeometry(stride: options.stride, assignment: options.assignment, classes: classes)
        let (x, y) = windows(train, width: options.windowWidth, geometry: geometry)
        let vxy = validation.isEmpty ? nil : windows(validation, width: options.windowWidth, geometry: geometry)

        Engine.seed(options.seed)
        let model = try CharacterDetector.makeModel(width: options.windowWidth, stride: options.stride, classes: classes)
        let steps = (x.batchCount + options.batchSize - 1) / options.batchSize
        try model.compile(optimizer: Adam(learningRate: options.learningRate,
                                          schedule: options.cosineDecay ? .cosine(total: options.epochs * steps) : .constant),
                          loss: CenterNetLoss(classes: classes, classWeight: options.classWeight))
        var notes = ["kind": CharacterDetector.kind, "input_height": String(CharacterDetector.inputHeight),
                     "stride": String(geometry.stride), "assignment": geometry.assignment.rawValue,
                     "seed": String(options.seed),
                     "learning_rate": String(options.learningRate), "batch_size": String(options.batchSize),
                     "train_lines": String(train.count), "validation_lines": String(validation.count),
                     "windows": String(x.batchCount)]
        if classes > 0 {
            notes["class_head"] = String(classes)
            notes["class_weight"] = String(options.classWeight)
        }
        let labels = classes > 0 ? DetectorTrainingOptions.headLabels.labels : [LineSet.categoryName]
        var best = -Double.infinity, bestAP50 = 0.0, bestEpoch = 0
        var failure: Error?
        let callbacks = TrainingCallbacks(onBatchEnd: onBatch, onEpochEnd: { result in
            do {
                let detector = try CharacterDetector(model: model, metadata: notes, headLabels: labels)
                let (ap, ap50) = validation.isEmpty ? (-Double(result.loss), 0.0)
                    : try averagePrecision(detector, on: validation)
                var saved = false
                if ap > best {
                    best = ap; bestAP50 = ap50; bestEpoch = result.epoch
                    notes["epoch"] = String(result.epoch)
                    notes["val_ap"] = String(format: "%.4f", ap)
                    notes["val_ap50"] = String(format: "%.4f", ap50)
                    try ModelFile(model: model, labels: labels, training: notes).write(to: output)
                    saved = true
                }
                onEpoch?(DetectorEpoch(result: result, ap: ap, ap50: ap50, saved: saved))
                return .proceed
            } catch {
                failure = error
                return .stop
            }
        })
        let history = try model.fit(x: x, y: y, epochs: options.epochs, batchSize: options.batchSize,
                                    validation: vxy.map { ($0.x, $0.y) }, shuffle: true, seed: options.seed,
                                    callbacks: callbacks)
        if let failure { throw failure }
        return DetectorTrainingResult(history: history, bestEpoch: bestEpoch, bestAP: best, bestAP50: bestAP50,
                                      trainLines: train.count, validationLines: validation.count, windows: x.batchCount)
    }
}
