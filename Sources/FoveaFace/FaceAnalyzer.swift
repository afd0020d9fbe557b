// FaceAnalyzer: the face-crop model. One backbone (four 3x3 conv + batch
// norm + ReLU + pooling blocks and a Dense layer) feeds two heads: the 10
// landmarks (20 coordinates, the keypoint regressor) and the smile (a
// 2-class softmax), whose probability is then calibrated (Platt scaling
// fitted on validation) and thresholded, both recorded in the model file.
// With a FaceLandmarker beside it (the landmark regressor trained and
// checkpointed for landmarks alone), the points come from that instead.
import FoveaEngine
import FoveaImage
import Foundation

public enum FaceModelError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notAFaceModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot load the face model (\(r))"
        case .notAFaceModel(let p, let r): return "\(p): not a Fovea face-crop model: \(r)"
        }
    }
}

/// What the face-crop model says of one 64x64 crop.
public struct FaceAnalysis: Sendable {
    /// 10 points in crop pixels (centre of the top-left pixel at 0, 0).
    public var landmarks: [(x: Float, y: Float)]
    /// Calibrated probability that the person smiles.
    public var smileProbability: Double
    public var smiling: Bool
}

public final class FaceAnalyzer: @unchecked Sendable {
    public static let kind = "face-crop"
    public static let defaultFileName = "face-crop.safetensors"
    public let model: MultiOutputModel
    public let training: [String: String]
    /// Platt scaling of the smile head's logit: p = σ(a · logit + b).
    public let plattA: Double
    public let plattB: Double
    public let threshold: Double
    /// Where the points come from when set (else the landmark head here).
    public let landmarker: FaceLandmarker?

    public init(model: MultiOutputModel, training: [String: String], landmarker: FaceLandmarker? = nil) {
        self.model = model
        self.training = training
        self.landmarker = landmarker
        plattA = Double(training["platt_a"] ?? "") ?? 1
        plattB = Double(training["platt_b"] ?? "") ?? 0
        threshold = Double(training["smile_threshold"] ?? "") ?? 0.5
    }

    /// The face-crop model at `path`, with the landmark model at `landmarks` when given.
    public convenience init(contentsOf path: String, landmarks: String?) throws {
        let base = try FaceAnalyzer(contentsOf: path)
        self.init(model: base.model, training: base.training, landmarker: try landmarks.map { try FaceLandmarker(contentsOf: $0) })
    }

    public convenience init(contentsOf path: String) throws {
        let file: MultiOutputModelFile
        do { file = try MultiOutputModelFile(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FaceModelError.unreadable(path: path, reason: "\(error)")
        }
        guard file.training["kind"] == Self.kind else {
            throw FaceModelError.notAFaceModel(path: path, reason: "its metadata names kind '\(file.training["kind"] ?? "none")'")
        }
        guard file.model.trunk.inputShape == [FaceCropSet.side, FaceCropSet.side, 1],
              file.model.heads.map(\.name) == ["landmarks", "smile"] else {
            throw FaceModelError.notAFaceModel(path: path, reason: "expected input [64, 64, 1] and heads landmarks, smile")
        }
        self.init(model: file.model, training: file.training)
    }

    /// The network; the landmark head starts at `meanFace` (20 crop coordinates).
    public static func makeModel(meanFace: [Float]) throws -> MultiOutputModel {
        func block(_ filters: Int) -> [Layer] {
            [Conv2D(filters: filters, kernelSize: (3, 3), strides: 1, padding: .same, activation: .linear, useBias: false),
             BatchNormalization(), ActivationLayer(.relu), MaxPooling2D(poolSize: 2, strides: 2, padding: .valid)]
        }
        let side = FaceCropSet.side
        let trunk = try Sequential(inputShape: [side, side, 1],
                                   layers: block(24) + block(48) + block(96) + block(128)
                                       + [Flatten(), Dense(units: 256, activation: .relu), Dropout(rate: 0.1)],
                                   name: "trunk")
        let landmarks = try Sequential(inputShape: trunk.outputShape, layers: [Dense(units: 20, name: "landmarks")],
                                       name: "landmarks")
        let smile = try Sequential(inputShape: trunk.outputShape, layers: [Dense(units: 2, activation: .softmax, name: "smile")],
                                   name: "smile")
        // Start the landmark head at the training crops' mean face
        // (small weights, the mean as bias), so training refines a sensible
        // shape instead of first undoing large random outputs.
        if let head = landmarks.layers.last, let w = head.parameters.first, let b = head.parameters.last {
            w.value.data = w.value.data.map { $0 * 0.05 }
            b.value.data = encode(meanFace)
        }
        return try MultiOutputModel(trunk: trunk, heads: [
            .init(name: "landmarks", model: landmarks, loss: SmoothL1(beta: 0.02), weight: 5),
            .init(name: "smile", model: smile, loss: SoftmaxCrossEntropy(sparse: true), weight: 1),
        ])
    }

    /// Crop pixels as the network's input: [count, 64, 64, 1] in 0...1.
    public static func tensor(_ pixels: [UInt8], count: Int) -> Tensor {
        Tensor(shape: [count, FaceCropSet.side, FaceCropSet.side, 1], data: pixels.map { Float($0) / 255 })
    }

    /// Landmark targets as the network learns them: (coordinate − 32) / 32.
    public static func encode(_ points: [Float]) -> [Float] { points.map { ($0 - 32) / 32 } }
    static func decode(_ v: Float) -> Float { v * 32 + 32 }

    /// The smile head's logit (log-odds of smiling) from its two probabilities.
    static func logit(_ p0: Float, _ p1: Float) -> Double {
        log(Double(max(p1, 1e-7))) - log(Double(max(p0, 1e-7)))
    }

    public func calibrated(logit z: Double) -> Double { 1 / (1 + exp(-(plattA * z + plattB))) }

    /// Raw outputs for `count` crops: landmark coordinates (20 each, crop
    /// pixels) and the smile logits.
    public func raw(_ pixels: [UInt8], count: Int) -> (landmarks: [Float], logits: [Double]) {
        let out = model.predict(Self.tensor(pixels, count: count), batchSize: 256)
        let marks = out["landmarks"]!.data.map(Self.decode)
        let p = out["smile"]!.data
        return (marks, (0..<count).map { Self.logit(p[2 * $0], p[2 * $0 + 1]) })
    }

    public func analyze(_ pixels: [UInt8], count: Int) -> [FaceAnalysis] {
        let (ownMarks, logits) = raw(pixels, count: count)
        let marks = landmarker?.points(pixels, count: count) ?? ownMarks
        return (0..<count).map { i in
            let probability = calibrated(logit: logits[i])
            return FaceAnalysis(landmarks: (0..<10).map { (marks[i * 20 + 2 * $0], marks[i * 20 + 2 * $0 + 1]) },
                                smileProbability: probability, smiling: probability >= threshold)
        }
    }
}
