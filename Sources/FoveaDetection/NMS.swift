// Non-maximum suppression: greedy (torchvision.ops.nms semantics), class-aware
// (batched) and soft-NMS (linear and Gaussian), with score threshold and top-k.

import Foundation

/// Indices of `scores` ordered by score descending, ties by index ascending
/// (the order a stable sort gives). Scores below `scoreThreshold` and NaN scores are dropped.
func rankByScore(_ scores: [Double], scoreThreshold: Double) -> [Int] {
    var order = scores.indices.filter { scores[$0] >= scoreThreshold }
    order.sort { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    return order
}

/// Greedy NMS over boxes already in rank order: walk the order, keep a box that is
/// not suppressed, suppress every later box whose IoU with it is strictly greater
/// than `iouThreshold`. Returns positions in `order`'s walk order, at most `limit`.
func greedyKeep(_ boxes: [Box], order: [Int], iouThreshold: Double, limit: Int) -> [Int] {
    let n = order.count
    if n == 0 || limit <= 0 { return [] }
    // Structure of arrays in rank order, so the inner loop streams through memory.
    var x1 = [Double](repeating: 0, count: n), y1 = x1, x2 = x1, y2 = x1, area = x1
    for (p, i) in order.enumerated() {
        let b = boxes[i]
        x1[p] = b.x1; y1[p] = b.y1; x2[p] = b.x2; y2[p] = b.y2
        area[p] = (b.x2 - b.x1) * (b.y2 - b.y1)
    }
    var keep: [Int] = []
    // Candidates still alive, compacted after each kept box so suppressed boxes cost nothing later.
    var alive = [Int32](unsafeUninitializedCapacity: n) { buf, count in
        for p in 0..<n { buf[p] = Int32(p) }
        count = n
    }
    x1.withUnsafeBufferPointer { x1 in y1.withUnsafeBufferPointer { y1 in
    x2.withUnsafeBufferPointer { x2 in y2.withUnsafeBufferPointer { y2 in
    area.withUnsafeBufferPointer { area in alive.withUnsafeMutableBufferPointer { alive in
        var count = n
        var head = 0
        while head < count {
            let i = Int(alive[head])
            keep.append(order[i])
            if keep.count == limit { break }
            let ax1 = x1[i], ay1 = y1[i], ax2 = x2[i], ay2 = y2[i], aa = area[i]
            var write = head + 1
            for r in (head + 1)..<count {
                let j = Int(alive[r])
                let iw = min(ax2, x2[j]) - max(ax1, x1[j])
                let ih = min(ay2, y2[j]) - max(ay1, y1[j])
                let inter = iw * ih
                let suppressed = iw > 0 && ih > 0 && inter / (aa + area[j] - inter) > iouThreshold
                alive[write] = Int32(j)
                write &+= suppressed ? 0 : 1
            }
            count = write
            head += 1
        }
    }}}}}}
    return keep
}

/// Greedy NMS with torchvision.ops.nms semantics: boxes ordered by score descending
/// (ties by input order); a box is suppressed when its IoU with a kept box is strictly
/// greater than `iouThreshold`. Boxes scoring below `scoreThreshold` are dropped first;
/// at most `topK` boxes are kept. Returns kept indices, best score first.
public func nonMaxSuppression(boxes: [Box], scores: [Double], iouThreshold: Double,
                              scoreThreshold: Double = -.infinity, topK: Int? = nil) -> [Int] {
    precondition(boxes.count == scores.count, "nonMaxSuppression: \(boxes.count) boxes but \(scores.count) scores")
    let order = rankByScore(scores, scoreThreshold: scoreThreshold)
    return greedyKeep(boxes, order: order, iouThreshold: iouThreshold, limit: topK ?? Int.max)
}

/// Class-aware NMS (torchvision.ops.batched_nms semantics): boxes only suppress boxes of
/// the same class. Returns kept indices of all classes, score descending, ties by index.
public func batchedNonMaxSuppression(boxes: [Box], scores: [Double], classIDs: [Int], iouThreshold: Double,
                                     scoreThreshold: Double = -.infinity, topK: Int? = nil) -> [Int] {
    precondition(boxes.count == scores.count && boxes.count == classIDs.count,
                 "batchedNonMaxSuppression: \(boxes.count) boxes, \(scores.count) scores, \(classIDs.count) class ids")
    let order = rankByScore(scores, scoreThreshold: scoreThreshold)
    var byClass: [Int: [Int]] = [:]
    for i in order { byClass[classIDs[i], default: []].append(i) }
    var keep: [Int] = []
    for (_, members) in byClass {
        keep += greedyKeep(boxes, order: members, iouThreshold: iouThreshold, limit: Int.max)
    }
    keep.sort { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    if let topK, keep.count > topK { keep.removeSubrange(topK...) }
    return keep
}

/// How soft-NMS lowers the score of a box overlapping a selected one.
public enum SoftNMSMethod: Sendable, Equatable {
    /// score × (1 − IoU) when IoU is strictly greater than `iouThreshold`, unchanged otherwise.
    case linear(iouThreshold: Double)
    /// score × exp(−IoU² / sigma) for every overlap.
    case gaussian(sigma: Double)
}

/// Soft-NMS (Bodla et al. 2017): repeatedly select the highest-scoring remaining box
/// (ties by index), decay the scores of the others by their overlap with it, and drop
/// boxes whose decayed score falls below `scoreThreshold`. Returns the selected indices
/// with their decayed scores, in selection order, at most `topK`.
public func softNonMaxSuppression(boxes: [Box], scores: [Double], method: SoftNMSMethod,
                                  scoreThreshold: Double = 0.001, topK: Int? = nil)
    -> [(index: Int, score: Double)] {
    precondition(boxes.count == scores.count, "softNonMaxSuppression: \(boxes.count) boxes but \(scores.count) scores")
    var remaining = scores.indices.filter { scores[$0] >= scoreThreshold }
    var current = scores
    var selected: [(index: Int, score: Double)] = []
    let limit = topK ?? Int.max
    while !remaining.isEmpty && selected.count < limit {
        var best = 0
        for r in 1..<remaining.count {
            let s = current[remaining[r]], b = current[remaining[best]]
            if s > b || (s == b && remaining[r] < remaining[best]) { best = r }
        }
        let m = remaining.remove(at: best)
        selected.append((m, current[m]))
        remaining.removeAll { j in
            let iou = boxes[m].iou(boxes[j])
            switch method {
            case .linear(let threshold):
                if iou > threshold { current[j] *= 1 - iou }
            case .gaussian(let sigma):
                current[j] *= exp(-(iou * iou) / sigma)
            }
            return current[j] < scoreThreshold
        }
    }
    return selected
}
