// CenterNet-style heads (Zhou et al. 2019, "Objects as Points"): a network
// predicts, on a feature map of stride s, a centre heatmap (one logit per
// cell), each object's size and its centre's sub-cell offset. This file
// encodes boxes into training targets, holds the loss (penalty-reduced focal
// loss on the heatmap, L1 on size and offset at centre cells) and decodes
// predictions back to scored boxes (peaks of the heatmap, then NMS).
import FoveaEngine
import Foundation

/// Channel layout of predictions: 0 heat logit, 1 width, 2 height (in
/// cells), 3 x offset, 4 y offset (fractions of a cell). Targets add a 6th
/// channel: 1 at centre cells, where size and offset count.
public struct CenterNetGeometry: Sendable, Equatable {
    public static let predictionChannels = 5
    public static let targetChannels = 6
    public var stride: Int

    public init(stride: Int) { self.stride = stride }

    /// Targets for one image, `[featureHeight, featureWidth, 6]` values, from
    /// boxes in input pixels.
    public func targets(boxes: [Box], featureHeight fh: Int, featureWidth fw: Int) -> [Float] {
        var t = [Float](repeating: 0, count: fh * fw * Self.targetChannels)
        let s = Double(stride)
        for box in boxes where box.width > 0 && box.height > 0 {
            let cx = box.centerX / s, cy = box.centerY / s
            let ix = Int(cx.rounded(.down)), iy = Int(cy.rounded(.down))
            guard ix >= 0, iy >= 0, ix < fw, iy < fh else { continue }
            let w = box.width / s, h = box.height / s
            let sx = max(0.5, w / 5), sy = max(0.5, h / 5)
            let rx = Int((3 * sx).rounded(.up)), ry = Int((3 * sy).rounded(.up))
            for y in max(0, iy - ry)...min(fh - 1, iy + ry) {
                for x in max(0, ix - rx)...min(fw - 1, ix + rx) {
                    let dx = Double(x - ix), dy = Double(y - iy)
                    let g = Float(exp(-(dx * dx) / (2 * sx * sx) - (dy * dy) / (2 * sy * sy)))
                    let i = (y * fw + x) * Self.targetChannels
                    t[i] = max(t[i], g)
                }
            }
            let i = (iy * fw + ix) * Self.targetChannels
            t[i] = 1
            t[i + 1] = Float(w); t[i + 2] = Float(h)
            t[i + 3] = Float(cx - Double(ix)); t[i + 4] = Float(cy - Double(iy))
            t[i + 5] = 1
        }
        return t
    }

    /// Scored boxes in input pixels from one image's prediction
    /// (`[featureHeight, featureWidth, 5]` values): cells whose heat is a
    /// local maximum of its 3x3 neighbourhood and at least `minScore`, then
    /// greedy NMS at `nmsIoU`. Best score first.
    public func decode(_ p: UnsafeBufferPointer<Float>, featureHeight fh: Int, featureWidth fw: Int,
                       minScore: Double, nmsIoU: Double) -> [(box: Box, score: Double)] {
        let c = Self.predictionChannels
        precondition(p.count >= fh * fw * c, "CenterNet.decode: prediction too small for \(fh)x\(fw)")
        var boxes = [Box](), scores = [Double]()
        let s = Double(stride)
        for y in 0..<fh {
            for x in 0..<fw {
                let z = p[(y * fw + x) * c]
                var isPeak = true
                neighbours: for ny in max(0, y - 1)...min(fh - 1, y + 1) {
                    for nx in max(0, x - 1)...min(fw - 1, x + 1) where (nx, ny) != (x, y) {
                        let other = p[(ny * fw + nx) * c]
                        // Ties go to the earlier cell, so a flat top yields one peak.
                        if other > z || (other == z && (ny, nx) < (y, x)) { isPeak = false; break neighbours }
                    }
                }
                guard isPeak else { continue }
                let score = 1 / (1 + exp(-Double(z)))
                guard score >= minScore else { continue }
                let i = (y * fw + x) * c
                let w = max(0, Double(p[i + 1])) * s, h = max(0, Double(p[i + 2])) * s
                let cx = (Double(x) + Double(p[i + 3])) * s, cy = (Double(y) + Double(p[i + 4])) * s
                boxes.append(Box(centerX: cx, centerY: cy, width: w, height: h))
                scores.append(score)
            }
        }
        let keep = nonMaxSuppression(boxes: boxes, scores: scores, iouThreshold: nmsIoU)
        return keep.map { (boxes[$0], scores[$0]) }
    }
}

/// Penalty-reduced pixel-wise focal loss on the heatmap (α = 2, β = 4) plus
/// L1 on size (weight `sizeWeight`) and offset at centre cells, all divided
/// by the number of centres in the batch. Predictions `[N, H, W, 5]` (the
/// heat channel as a logit), targets `[N, H, W, 6]`.
public struct CenterNetLoss: Loss {
    public var sizeWeight: Float
    public var offsetWeight: Float

    public init(sizeWeight: Float = 0.1, offsetWeight: Float = 1) {
        self.sizeWeight = sizeWeight
        self.offsetWeight = offsetWeight
    }

    public func validate(target: Tensor, predictionShape: [Int]) throws {
        guard predictionShape.last == CenterNetGeometry.predictionChannels else {
            throw EngineError.shapeMismatch("CenterNet predictions need \(CenterNetGeometry.predictionChannels) channels, got \(predictionShape)")
        }
        let cells = predictionShape.dropLast().reduce(1, *)
        guard target.count == cells * CenterNetGeometry.targetChannels else {
            throw EngineError.shapeMismatch("CenterNet targets must be \(Array(predictionShape.dropLast()) + [CenterNetGeometry.targetChannels]), got \(target.shape)")
        }
    }

    public func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor) {
        let pc = CenterNetGeometry.predictionChannels, tc = CenterNetGeometry.targetChannels
        let cells = prediction.count / pc
        let grad = Tensor(shape: prediction.shape)
        var total: Double = 0
        var centres: Float = 0
        target.data.withUnsafeBufferPointer { t in
            for i in 0..<cells where t[i * tc + 5] > 0 { centres += 1 }
        }
        let norm = 1 / max(centres, 1)
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                grad.data.withUnsafeMutableBufferPointer { g in
                    for i in 0..<cells {
                        let z = p[i * pc], y = t[i * tc]
                        let q = min(max(1 / (1 + exp(-z)), 1e-4), 1 - 1e-4)
                        if y >= 1 {
                            total += Double(-(1 - q) * (1 - q) * log(q))
                            g[i * pc] = norm * (2 * q * (1 - q) * (1 - q) * log(q) - (1 - q) * (1 - q) * (1 - q))
                        } else {
                            let w = pow(1 - y, 4)
                            total += Double(-w * q * q * log(1 - q))
                            g[i * pc] = -norm * w * (2 * q * q * (1 - q) * log(1 - q) - q * q * q)
                        }
                        guard t[i * tc + 5] > 0 else { continue }
                        for k in 1...4 {
                            let weight = k <= 2 ? sizeWeight : offsetWeight
                            let d = p[i * pc + k] - t[i * tc + k]
                            total += Double(weight * abs(d))
                            g[i * pc + k] = norm * weight * (d > 0 ? 1 : (d < 0 ? -1 : 0))
                        }
                    }
                }
            }
        }
        return (Float(total) * norm, grad)
    }
}
