// CharacterDetector: the fully convolutional character detector. A small
// backbone (3x3 convolutions, batch norm, two poolings, three for stride 8)
// brings a line normalised to 32 pixels high to a stride-4 (or 8) feature
// map; a CenterNet head predicts there a centre heatmap, each character's
// size and its centre's offset, and optionally 47 class logits (the class
// head, read with `--labels detector-head`). The model file's metadata says
// which stride, cell assignment and head it has. Any line width runs: the
// network is rebuilt for the input's width (weights shared by copy) and kept
// per width.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public enum CharacterDetectorError: Error, CustomStringConvertible {
    case unreadableModel(path: String, reason: String)
    case notADetector(path: String, reason: String)
    case badOption(String)

    public var description: String {
        switch self {
        case .unreadableModel(let p, let r): return "\(p): cannot load the character detector (\(r))"
        case .notADetector(let p, let r): return "\(p): not a Fovea character detector: \(r)"
        case .badOption(let m): return "character detector: \(m)"
        }
    }
}

public final class CharacterDetector: @unchecked Sendable {
    public static let kind = "character-detector"
    public static let defaultFileName = "ocr-detector.safetensors"
    public static let inputHeight = 32
    public static let strides = [4, 8]
    public let geometry: CenterNetGeometry
    /// The class head's labels (class index → character); nil without a head.
    public let headLabels: LabelMapping?
    /// The trained model (built for its training width).
    public let model: Sequential
    public let metadata: [String: String]
    private var byWidth: [Int: Sequential] = [:]
    private let lock = NSLock()

    /// `metadata` as the trainer writes it: "stride" (default 4),
    /// "assignment" (default gaussian), "class_head" (class count, absent
    /// without a head); `headLabels` name the head's classes (default EMNIST ByMerge).
    public init(model: Sequential, metadata: [String: String] = [:], headLabels: [String] = []) throws {
        let stride = Int(metadata["stride"] ?? "4") ?? 0
        guard Self.strides.contains(stride) else {
            throw CharacterDetectorError.notADetector(path: model.name, reason: "stride '\(metadata["stride"] ?? "")', expected 4 or 8")
        }
        guard let assignment = CenterAssignment(rawValue: metadata["assignment"] ?? CenterAssignment.gaussian.rawValue) else {
            throw CharacterDetectorError.notADetector(
                path: model.name, reason: "assignment '\(metadata["assignment"] ?? "")', expected gaussian or centre-cell")
        }
        let classes = Int(metadata["class_head"] ?? "0") ?? -1
        let geometry = CenterNetGeometry(stride: stride, assignment: assignment, classes: max(0, classes))
        let expected = [Self.inputHeight / stride, (model.inputShape.count == 3 ? model.inputShape[1] : 0) / stride,
                        geometry.outputChannels]
        guard classes >= 0, model.inputShape.count == 3, model.inputShape[0] == Self.inputHeight, model.inputShape[2] == 1,
              model.outputShape == expected else {
            throw CharacterDetectorError.notADetector(
                path: model.name,
                reason: "input \(model.inputShape) / output \(model.outputShape), expected [32, W, 1] → \(expected) (stride \(stride), \(max(0, classes)) head classes)")
        }
        if classes > 0 {
            let mapping = headLabels.isEmpty ? LabelMapping.emnistByMerge : LabelMapping(labels: headLabels)
            guard mapping.count == classes else {
                throw CharacterDetectorError.notADetector(
                    path: model.name, reason: "class head of \(classes) classes but \(mapping.count) labels")
            }
            self.headLabels = mapping
        } else {
            self.headLabels = nil
        }
        self.geometry = geometry
        self.model = model
        self.metadata = metadata
    }

    public convenience init(contentsOf path: String) throws {
        let file: ModelFile
        do { file = try ModelFile(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CharacterDetectorError.unreadableModel(path: path, reason: "\(error)")
        }
        guard file.training["kind"] == Self.kind else {
            throw CharacterDetectorError.notADetector(path: path, reason: "its metadata names kind '\(file.training["kind"] ?? "none")', expected '\(Self.kind)'")
        }
        try self.init(model: file.model, metadata: file.training,
                      headLabels: file.training["class_head"] == nil ? [] : file.labels)
    }

    /// The detector network for inputs `width` pixels wide (a multiple of
    /// `stride`), with `classes` class logits after the box channels (0: no head).
    public static func makeModel(width: Int, stride: Int = 4, classes: Int = 0) throws -> Sequential {
        guard strides.contains(stride), classes >= 0 else {
            throw CharacterDetectorError.badOption("stride must be 4 or 8 and classes ≥ 0, got \(stride) and \(classes)")
        }
        func block(_ filters: Int) -> [Layer] {
            [Conv2D(filters: filters, kernelSize: (3, 3), strides: 1, padding: .same, activation: .linear, useBias: false),
             BatchNormalization(), ActivationLayer(.relu)]
        }
        func pool() -> [Layer] { [MaxPooling2D(poolSize: 2, strides: 2, padding: .valid)] }
        // Stride 8 pools once more after the first 64-filter block: the same
        // weights, a coarser grid (YOLO's usual finest stride).
        let layers: [Layer] = block(16) + pool() + block(32) + pool()
            + block(64) + (stride == 8 ? pool() : []) + block(64) + block(64)
            + [Conv2D(filters: 64, kernelSize: (1, 1), strides: 1, padding: .same, activation: .relu),
               Conv2D(filters: CenterNetGeometry.predictionChannels + classes, kernelSize: (1, 1), strides: 1,
                      padding: .same, activation: .linear)]
        let model = try Sequential(inputShape: [inputHeight, width, 1], layers: layers, name: "ocr-detector")
        // Start the heat logits at a 1% prior (focal-loss practice), so early
        // training is not swamped by the background cells.
        if let head = model.layers.last as? Conv2D, let bias = head.parameters.last {
            bias.value.data[0] = -4.6
            bias.value.data[1] = 3; bias.value.data[2] = 4
            bias.value.data[3] = 0.5; bias.value.data[4] = 0.5
        }
        return model
    }

    private func network(width: Int) throws -> Sequential {
        lock.lock()
        defer { lock.unlock() }
        if width == model.inputShape[1] { return model }
        if let m = byWidth[width] { return m }
        let m = try model.resized(inputShape: [Self.inputHeight, width, 1])
        if byWidth.count > 16 { byWidth.removeAll() }
        byWidth[width] = m
        return m
    }

    /// Raw predictions for one normalised line: `[1, 32/stride, width/stride, 5 + head classes]`.
    public func predict(_ input: LineInput) throws -> Tensor {
        let net = try network(width: input.width)
        let x = Tensor(shape: [1, Self.inputHeight, input.width, 1], data: input.detectorInput)
        return net.predict(x, batchSize: 1)
    }

    /// Character boxes in the image's pixels, best score first, each with
    /// the class head's probabilities at its cell (empty without a head).
    public func detect(_ input: LineInput, minScore: Double, nmsIoU: Double) throws -> [CenterNetDetection] {
        guard input.hasInk else { return [] }
        let p = try predict(input)
        let fh = Self.inputHeight / geometry.stride, fw = input.width / geometry.stride
        return p.data.withUnsafeBufferPointer { buffer in
            geometry.detections(buffer, featureHeight: fh, featureWidth: fw, minScore: minScore, nmsIoU: nmsIoU)
        }.map { CenterNetDetection(box: input.toImage($0.box), score: $0.score, classProbabilities: $0.classProbabilities) }
    }
}
