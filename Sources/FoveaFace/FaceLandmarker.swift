// FaceLandmarker: the landmark regressor trained for landmarks alone (its own
// backbone and checkpoint, chosen by validation NME), so the smile head of the
// face-crop model keeps the checkpoint that is best for the smile. Two
// architectures (LandmarkArchitecture), both ending in a Dense layer of 20
// coordinates named `landmarks`, so every reader of the file is the same.
// At inference each crop is also read mirrored and the two answers averaged
// (test-time flip averaging).
import FoveaEngine
import Foundation

/// How the network turns features into points.
public enum LandmarkArchitecture: String, CaseIterable, Sendable {
    /// Three 3x3 conv + batch norm + ReLU + pooling blocks, two more conv
    /// blocks kept at 8x8 (the second narrowing to 48 channels), Dense 256
    /// and Dense 20: the points regressed from flattened features.
    case dense
    /// Conv blocks down to a 16x16 map (stride 4), a 1x1 conv to one heatmap
    /// per point and SpatialSoftArgmax (integral regression: translation
    /// equivariant, sub-pixel), then Dense 20 starting at the identity so it
    /// can extrapolate points beyond the crop's edge (the chin lies below it
    /// in 95% of the faces).
    case heatmap
}

public final class FaceLandmarker: @unchecked Sendable {
    public static let kind = "face-landmarks"
    public static let defaultFileName = "face-landmarks.safetensors"
    public let model: MultiOutputModel
    public let training: [String: String]
    /// Average each crop's points with those of its mirror image.
    public var flipAveraging: Bool

    public init(model: MultiOutputModel, training: [String: String]) {
        self.model = model
        self.training = training
        flipAveraging = training["flip_averaging"] != "false"
    }

    public convenience init(contentsOf path: String) throws {
        let file: MultiOutputModelFile
        do { file = try MultiOutputModelFile(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FaceModelError.unreadable(path: path, reason: "\(error)")
        }
        guard file.training["kind"] == Self.kind else {
            throw FaceModelError.notAFaceModel(path: path, reason: "its metadata names kind '\(file.training["kind"] ?? "none")', expected '\(Self.kind)'")
        }
        guard file.model.trunk.inputShape == [FaceCropSet.side, FaceCropSet.side, 1],
              file.model.heads.map(\.name) == ["landmarks"], file.model.heads[0].model.outputShape == [20] else {
            throw FaceModelError.notAFaceModel(path: path, reason: "expected input [64, 64, 1] and one head, landmarks, of 20 values")
        }
        self.init(model: file.model, training: file.training)
    }

    /// The network for `architecture` (no default here: LandmarkTrainingOptions
    /// holds the one default); the dense head starts at `meanFace` (20 crop
    /// coordinates), the heatmap head at its heatmaps' centres.
    public static func makeModel(meanFace: [Float], architecture: LandmarkArchitecture) throws -> MultiOutputModel {
        func conv(_ filters: Int, _ k: Int) -> [Layer] {
            [Conv2D(filters: filters, kernelSize: (k, k), strides: 1, padding: .same, activation: .linear, useBias: false),
             BatchNormalization(), ActivationLayer(.relu)]
        }
        // A function, not a constant: each pooling must be a layer of its own.
        func pool() -> [Layer] { [MaxPooling2D(poolSize: 2, strides: 2, padding: .valid)] }
        let side = FaceCropSet.side
        let trunk: Sequential
        switch architecture {
        case .dense:
            trunk = try Sequential(inputShape: [side, side, 1],
                                   layers: conv(24, 3) + pool() + conv(48, 3) + pool() + conv(96, 3) + pool() + conv(128, 3) + conv(48, 3)
                                       + [Flatten(), Dense(units: 256, activation: .relu), Dropout(rate: 0.1)],
                                   name: "trunk")
        case .heatmap:
            // Cell (i, j) of the stride-4 map covers crop pixels 4j…4j + 3: its
            // centre 4j + 1.5, in the network's units ((px − 32) / 32).
            let stride = 4, half = Float(side) / 2
            let first = (Float(stride - 1) / 2 - half) / half, step = Float(stride) / half
            trunk = try Sequential(inputShape: [side, side, 1],
                                   layers: conv(24, 3) + pool() + conv(48, 3) + pool() + conv(64, 3) + conv(64, 3) + conv(96, 3) + conv(96, 3)
                                       + [Conv2D(filters: FacePoint.allCases.count, kernelSize: 1, useBias: false),
                                          SpatialSoftArgmax(x0: first, dx: step, y0: first, dy: step)],
                                   name: "trunk")
        }
        let head = try Sequential(inputShape: trunk.outputShape, layers: [Dense(units: 20, name: "landmarks")], name: "landmarks")
        if let last = head.layers.last, let w = last.parameters.first, let b = last.parameters.last {
            switch architecture {
            case .dense:
                // Start at the training crops' mean face (small weights, the
                // mean as bias), so training refines a sensible shape.
                w.value.data = w.value.data.map { $0 * 0.05 }
                b.value.data = FaceAnalyzer.encode(meanFace)
            case .heatmap:
                let n = 2 * FacePoint.allCases.count
                w.value.data = (0..<(n * n)).map { $0 / n == $0 % n ? Float(1) : 0 }
                b.value.data = [Float](repeating: 0, count: n)
            }
        }
        // Wing loss in the network's units (crop pixels / 32): log region up
        // to 5 px, curvature 1 px.
        return try MultiOutputModel(trunk: trunk, heads: [
            .init(name: "landmarks", model: head, loss: WingLoss(width: 5.0 / 32, curvature: 1.0 / 32), weight: 1),
        ])
    }

    /// The points of `count` crops: 20 coordinates each, crop pixels.
    public func points(_ pixels: [UInt8], count: Int) -> [Float] {
        guard count > 0 else { return [] }
        if !flipAveraging { return predict(pixels, count: count) }
        // Two passes rather than one over twice the crops: for one crop the
        // whole pipeline took 2.1 ms a crop, against 2.4-3.1 ms with one batch of two.
        return Self.flipAverage(direct: predict(pixels, count: count),
                                mirrored: predict(Self.mirroredPixels(pixels, count: count), count: count))
    }

    func predict(_ pixels: [UInt8], count: Int) -> [Float] {
        model.predict(FaceAnalyzer.tensor(pixels, count: count), batchSize: 256)["landmarks"]!.data.map(FaceAnalyzer.decode)
    }

    /// Each crop flipped left to right.
    static func mirroredPixels(_ pixels: [UInt8], count: Int) -> [UInt8] {
        let s = FaceCropSet.side
        var out = pixels
        for i in 0..<count {
            for y in 0..<s { for x in 0..<s { out[i * s * s + y * s + x] = pixels[i * s * s + y * s + (s - 1 - x)] } }
        }
        return out
    }

    /// The mean of the points read on the crops and those read on their
    /// mirror images, the latter mirrored back (x → 63 − x, left and right
    /// points swapped) first.
    public static func flipAverage(direct: [Float], mirrored: [Float]) -> [Float] {
        var out = direct
        for i in 0..<(direct.count / 20) {
            let back = FaceCropSet.mirror(Array(mirrored[(i * 20)..<((i + 1) * 20)]))
            for k in 0..<20 { out[i * 20 + k] = (direct[i * 20 + k] + back[k]) / 2 }
        }
        return out
    }
}
