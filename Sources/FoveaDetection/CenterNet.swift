// CenterNet-style heads (Zhou et al. 2019, "Objects as Points"): a network
// predicts, on a feature map of stride s, a centre heatmap (one logit per
// cell), each object's size and its centre's sub-cell offset, and optionally
// class logits. This file encodes boxes into training targets, holds the loss
// (penalty-reduced focal loss on the heatmap, L1 on size and offset at centre
// cells, softmax cross-entropy of the class logits there) and decodes
// predictions back to scored boxes. Two ways of assigning objects to cells:
// CenterNet's Gaussian heatmap (decoded by 3x3 peaks), or YOLO's grid (only
// the cell holding the centre is positive, decoded by threshold + NMS).
import FoveaEngine
import Foundation

/// How objects become positive cells of the heatmap.
public enum CenterAssignment: String, Sendable, CaseIterable {
    /// CenterNet: a Gaussian bump (σ a fifth of the box, at least half a
    /// cell) around the centre cell; the focal loss spares the cells near it.
    case gaussian
    /// YOLO-like objectness: only the centre cell is positive, every other
    /// cell a plain negative; decoded without the 3x3 peak test.
    case centreCell = "centre-cell"
}

/// One decoded object: its box in input pixels, heat score and, with a
/// class head, the softmax of the class logits at its cell.
public struct CenterNetDetection: Sendable {
    public var box: Box
    public var score: Double
    public var classProbabilities: [Float]

    public init(box: Box, score: Double, classProbabilities: [Float]) {
        self.box = box
        self.score = score
        self.classProbabilities = classProbabilities
    }
}

/// Channel layout of predictions: 0 heat logit, 1 width, 2 height (in
/// cells), 3 x offset, 4 y offset (fractions of a cell), then `classes`
/// class logits. Targets add a 6th channel, 1 at centre cells, where size,
/// offset and class count, and with classes a 7th: the class index (-1 for
/// none).
public struct CenterNetGeometry: Sendable, Equatable {
    /// Box channels of a prediction (without class logits).
    public static let predictionChannels = 5
    /// Target channels without a class head.
    public static let targetChannels = 6
    public var stride: Int
    public var assignment: CenterAssignment
    /// Class logits per cell; 0 when there is no class head.
    public var classes: Int

    public init(stride: Int, assignment: CenterAssignment = .gaussian, classes: Int = 0) {
        self.stride = stride
        self.assignment = assignment
        self.classes = classes
    }

    public var outputChannels: Int { Self.predictionChannels + classes }
    public var targetChannelCount: Int { Self.targetChannels + (classes > 0 ? 1 : 0) }

    /// Targets for one image, `[featureHeight, featureWidth, targetChannelCount]`
    /// values, from boxes in input pixels (and, with a class head, each box's
    /// class index, -1 where unknown). Two boxes whose centres share a cell:
    /// the later one wins its size, offset and class.
    public func targets(boxes: [Box], classIndices: [Int] = [], featureHeight fh: Int, featureWidth fw: Int) -> [Float] {
        let tc = targetChannelCount
        var t = [Float](repeating: 0, count: fh * fw * tc)
        let s = Double(stride)
        for (k, box) in boxes.enumerated() where box.width > 0 && box.height > 0 {
            let cx = box.centerX / s, cy = box.centerY / s
            let ix = Int(cx.rounded(.down)), iy = Int(cy.rounded(.down))
            guard ix >= 0, iy >= 0, ix < fw, iy < fh else { continue }
            let w = box.width / s, h = box.height / s
            if assignment == .gaussian {
                let sx = max(0.5, w / 5), sy = max(0.5, h / 5)
                let rx = Int((3 * sx).rounded(.up)), ry = Int((3 * sy).rounded(.up))
                for y in max(0, iy - ry)...min(fh - 1, iy + ry) {
                    for x in max(0, ix - rx)...min(fw - 1, ix + rx) {
                        let dx = Double(x - ix), dy = Double(y - iy)
                        let g = Float(exp(-(dx * dx) / (2 * sx * sx) - (dy * dy) / (2 * sy * sy)))
                        let i = (y * fw + x) * tc
                        t[i] = max(t[i], g)
                    }
                }
            }
            let i = (iy * fw + ix) * tc
            t[i] = 1
            t[i + 1] = Float(w); t[i + 2] = Float(h)
            t[i + 3] = Float(cx - Double(ix)); t[i + 4] = Float(cy - Double(iy))
            t[i + 5] = 1
            if classes > 0 { t[i + 6] = k < classIndices.count ? Float(classIndices[k]) : -1 }
        }
        return t
    }

    /// Scored boxes in input pixels from one image's prediction
    /// (`[featureHeight, featureWidth, outputChannels]` values), then greedy
    /// NMS at `nmsIoU`, best score first. Gaussian: cells whose heat is a
    /// local maximum of its 3x3 neighbourhood and at least `minScore`;
    /// centre-cell: every cell at least `minScore`.
    public func decode(_ p: UnsafeBufferPointer<Float>, featureHeight fh: Int, featureWidth fw: Int,
                       minScore: Double, nmsIoU: Double) -> [(box: Box, score: Double)] {
        detections(p, featureHeight: fh, featureWidth: fw, minScore: minScore, nmsIoU: nmsIoU).map { ($0.box, $0.score) }
    }

    /// As `decode`, with each detection's class probabilities (empty without a class head).
    public func detections(_ p: UnsafeBufferPointer<Float>, featureHeight fh: Int, featureWidth fw: Int,
                           minScore: Double, nmsIoU: Double) -> [CenterNetDetection] {
        let c = outputChannels
        precondition(p.count >= fh * fw * c, "CenterNet.decode: prediction too small for \(fh)x\(fw)x\(c)")
        var boxes = [Box](), scores = [Double](), cells = [Int]()
        let s = Double(stride)
        for y in 0..<fh {
            for x in 0..<fw {
                let z = p[(y * fw + x) * c]
                if assignment == .gaussian {
                    var isPeak = true
                    neighbours: for ny in max(0, y - 1)...min(fh - 1, y + 1) {
                        for nx in max(0, x - 1)...min(fw - 1, x + 1) where (nx, ny) != (x, y) {
                            let other = p[(ny * fw + nx) * c]
                            // Ties go to the earlier cell, so a flat top yields one peak.
                            if other > z || (other == z && (ny, nx) < (y, x)) { isPeak = false; break neighbours }
                        }
                    }
                    guard isPeak else { continue }
                }
                let score = 1 / (1 + exp(-Double(z)))
                guard score >= minScore else { continue }
                let i = (y * fw + x) * c
                let w = max(0, Double(p[i + 1])) * s, h = max(0, Double(p[i + 2])) * s
                let cx = (Double(x) + Double(p[i + 3])) * s, cy = (Double(y) + Double(p[i + 4])) * s
                boxes.append(Box(centerX: cx, centerY: cy, width: w, height: h))
                scores.append(score)
                cells.append(i)
            }
        }
        let keep = nonMaxSuppression(boxes: boxes, scores: scores, iouThreshold: nmsIoU)
        return keep.map { k in
            CenterNetDetection(box: boxes[k], score: scores[k],
                               classProbabilities: softmax(p, from: cells[k] + Self.predictionChannels, count: classes))
        }
    }
}

/// Softmax of `count` values of `p` from `start` (max-subtracted, in Double).
func softmax(_ p: UnsafeBufferPointer<Float>, from start: Int, count: Int) -> [Float] {
    guard count > 0 else { return [] }
    var m = -Float.infinity
    for k in 0..<count { m = max(m, p[start + k]) }
    var e = (0..<count).map { exp(Double(p[start + $0] - m)) }
    let sum = e.reduce(0, +)
    for k in e.indices { e[k] /= sum }
    return e.map { Float($0) }
}

/// Penalty-reduced pixel-wise focal loss on the heatmap (α = 2, β = 4) plus
/// L1 on size (weight `sizeWeight`) and offset at centre cells, and with
/// `classes` > 0 softmax cross-entropy of the class logits at centre cells
/// (weight `classWeight`; centres of class -1 skipped), all divided by the
/// number of centres in the batch. Predictions `[N, H, W, 5 + classes]` (the
/// heat channel as a logit), targets `[N, H, W, 6]`, or 7 with classes. With
/// centre-cell targets (heat exactly 0 off the centres) the heat term is the
/// plain focal loss (γ = 2) of YOLO-style objectness.
public struct CenterNetLoss: Loss {
    public var sizeWeight: Float
    public var offsetWeight: Float
    public var classes: Int
    public var classWeight: Float

    public init(sizeWeight: Float = 0.1, offsetWeight: Float = 1, classes: Int = 0, classWeight: Float = 1) {
        self.sizeWeight = sizeWeight
        self.offsetWeight = offsetWeight
        self.classes = classes
        self.classWeight = classWeight
    }

    private var predictionChannels: Int { CenterNetGeometry.predictionChannels + classes }
    private var targetChannels: Int { CenterNetGeometry.targetChannels + (classes > 0 ? 1 : 0) }

    public func validate(target: Tensor, predictionShape: [Int]) throws {
        guard predictionShape.last == predictionChannels else {
            throw EngineError.shapeMismatch("CenterNet predictions need \(predictionChannels) channels (\(classes) classes), got \(predictionShape)")
        }
        let cells = predictionShape.dropLast().reduce(1, *)
        guard target.count == cells * targetChannels else {
            throw EngineError.shapeMismatch("CenterNet targets must be \(Array(predictionShape.dropLast()) + [targetChannels]), got \(target.shape)")
        }
    }

    public func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor) {
        let pc = predictionChannels, tc = targetChannels
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
                        guard classes > 0 else { continue }
                        let label = Int(t[i * tc + 6])
                        guard label >= 0, label < classes else { continue }
                        let first = i * pc + CenterNetGeometry.predictionChannels
                        let probabilities = softmax(p, from: first, count: classes)
                        total += Double(-classWeight * log(max(probabilities[label], 1e-12)))
                        for k in 0..<classes {
                            g[first + k] = norm * classWeight * (probabilities[k] - (k == label ? 1 : 0))
                        }
                    }
                }
            }
        }
        return (Float(total) * norm, grad)
    }
}
