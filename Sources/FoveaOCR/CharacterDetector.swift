// CharacterDetector: the fully convolutional character detector. A small
// backbone (3x3 convolutions, batch norm, two poolings) brings a line
// normalised to 32 pixels high to a stride-4 feature map; a CenterNet head
// predicts there a centre heatmap, each character's size and its centre's
// offset. Any line width runs: the network is rebuilt for the input's width
// (weights shared by copy) and kept per width.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public enum CharacterDetectorError: Error, CustomStringConvertible {
    case unreadableModel(path: String, reason: String)
    case notADetector(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableModel(let p, let r): return "\(p): cannot load the character detector (\(r))"
        case .notADetector(let p, let r): return "\(p): not a Fovea character detector: \(r)"
        }
    }
}

public final class CharacterDetector: @unchecked Sendable {
    public static let kind = "character-detector"
    public static let defaultFileName = "ocr-detector.safetensors"
    public static let inputHeight = 32
    public let geometry = CenterNetGeometry(stride: 4)
    /// The trained model (built for its training width).
    public let model: Sequential
    public let metadata: [String: String]
    private var byWidth: [Int: Sequential] = [:]
    private let lock = NSLock()

    public init(model: Sequential, metadata: [String: String] = [:]) throws {
        guard model.inputShape.count == 3, model.inputShape[0] == Self.inputHeight, model.inputShape[2] == 1,
              model.outputShape.last == CenterNetGeometry.predictionChannels else {
            throw CharacterDetectorError.notADetector(
                path: model.name, reason: "input \(model.inputShape) / output \(model.outputShape), expected [32, W, 1] → [8, W/4, 5]")
        }
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
        try self.init(model: file.model, metadata: file.training)
    }

    /// The detector network for inputs `width` pixels wide (a multiple of 4).
    public static func makeModel(width: Int) throws -> Sequential {
        func block(_ filters: Int) -> [Layer] {
            [Conv2D(filters: filters, kernelSize: (3, 3), strides: 1, padding: .same, activation: .linear, useBias: false),
             BatchNormalization(), ActivationLayer(.relu)]
        }
        let layers: [Layer] = block(16) + [MaxPooling2D(poolSize: 2, strides: 2, padding: .valid)]
            + block(32) + [MaxPooling2D(poolSize: 2, strides: 2, padding: .valid)]
            + block(64) + block(64) + block(64)
            + [Conv2D(filters: 64, kernelSize: (1, 1), strides: 1, padding: .same, activation: .relu),
               Conv2D(filters: CenterNetGeometry.predictionChannels, kernelSize: (1, 1), strides: 1, padding: .same,
                      activation: .linear)]
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

    /// Raw predictions for one normalised line: `[1, 8, width/4, 5]`.
    public func predict(_ input: LineInput) throws -> Tensor {
        let net = try network(width: input.width)
        let x = Tensor(shape: [1, Self.inputHeight, input.width, 1], data: input.detectorInput)
        return net.predict(x, batchSize: 1)
    }

    /// Character boxes in the image's pixels, best score first.
    public func detect(_ input: LineInput, minScore: Double, nmsIoU: Double) throws -> [(box: Box, score: Double)] {
        guard input.hasInk else { return [] }
        let p = try predict(input)
        let fh = Self.inputHeight / geometry.stride, fw = input.width / geometry.stride
        return p.data.withUnsafeBufferPointer { buffer in
            geometry.decode(buffer, featureHeight: fh, featureWidth: fw, minScore: minScore, nmsIoU: nmsIoU)
        }.map { (input.toImage($0.box), $0.score) }
    }
}
