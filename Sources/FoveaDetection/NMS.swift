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
/// than `iouThreshold`. Returns the kept indices (from `order`) in walk order, at most `limit`.
func greedyKeep(_ boxes: [Box], order: [Int], iouThreshold: Double, limit: Int) -> [Int] {
    if order.count < 64 || !(iouThreshold >= 0) { return greedyKeepPairwise(boxes, order: order, iouThreshold: iouThreshold, limit: limit) }
    return greedyKeepGrid(boxes, order: order, iouThreshold: iouThreshold, limit: limit)
        ?? greedyKeepPairwise(boxes, order: order, iouThreshold: iouThreshold, limit: limit)
}

/// Every kept box against every later candidate, compacting the candidates after each
/// kept box. Quadratic in the number kept; used for small inputs and as the fallback.
func greedyKeepPairwise(_ boxes: [Box], order: [Int], iouThreshold: Double, limit: Int) -> [Int] {
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

/// The same walk, but each candidate is only compared with kept boxes that share a cell
/// of a uniform grid with it. With a threshold >= 0 only boxes that overlap with positive
/// area can suppress each other, and overlapping boxes always share a cell, so the result
/// is identical; the cost becomes roughly linear for detector-like inputs.
/// Returns nil (use the pairwise walk) when coordinates are not finite.
func greedyKeepGrid(_ boxes: [Box], order: [Int], iouThreshold: Double, limit: Int) -> [Int]? {
    let n = order.count
    if limit <= 0 { return [] }
    var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
    var sumW = 0.0, sumH = 0.0, positive = 0
    for i in order {
        let b = boxes[i]
        guard b.x1.isFinite, b.y1.isFinite, b.x2.isFinite, b.y2.isFinite else { return nil }
        if b.x2 > b.x1 && b.y2 > b.y1 {
            minX = min(minX, b.x1); minY = min(minY, b.y1); maxX = max(maxX, b.x2); maxY = max(maxY, b.y2)
            sumW += b.x2 - b.x1; sumH += b.y2 - b.y1; positive += 1
        }
    }
    if positive == 0 { return Array(order.prefix(limit)) }
    // Cells about the size of an average box: a box then touches ~4 cells.
    var cell = max(sumW, sumH) / Double(positive)
    let maxSide = 1024.0
    cell = max(cell, (maxX - minX) / maxSide, (maxY - minY) / maxSide)
    guard cell > 0, cell.isFinite else { return nil }
    let gx = Int(((maxX - minX) / cell).rounded(.down)) + 1
    let gy = Int(((maxY - minY) / cell).rounded(.down)) + 1
    // Kept boxes per cell as linked lists in flat arrays (head per cell, next per entry).
    var head = [Int32](repeating: -1, count: gx * gy)
    var next: [Int32] = [], entryBox: [Int32] = []
    // Kept boxes covering many cells are checked by every candidate instead of being inserted.
    var wide: [Int32] = []
    let wideCells = 64
    var keep: [Int] = []
    var kx1 = [Double](), ky1 = [Double](), kx2 = [Double](), ky2 = [Double](), karea = [Double]()
    for p in 0..<n {
        let b = boxes[order[p]]
        guard b.x2 > b.x1 && b.y2 > b.y1 else {
            // Zero-area boxes have IoU 0 with everything: never suppressed, never suppress.
            keep.append(order[p])
            if keep.count == limit { break }
            continue
        }
        let area = (b.x2 - b.x1) * (b.y2 - b.y1)
        let cx0 = Int((b.x1 - minX) / cell), cx1 = min(Int((b.x2 - minX) / cell), gx - 1)
        let cy0 = Int((b.y1 - minY) / cell), cy1 = min(Int((b.y2 - minY) / cell), gy - 1)
        @inline(__always) func suppresses(_ k: Int) -> Bool {
            let iw = min(b.x2, kx2[k]) - max(b.x1, kx1[k])
            let ih = min(b.y2, ky2[k]) - max(b.y1, ky1[k])
            if iw <= 0 || ih <= 0 { return false }
            let inter = iw * ih
            return inter / (karea[k] + area - inter) > iouThreshold
        }
        var suppressed = false
        for k in wide where suppresses(Int(k)) { suppressed = true; break }
        if !suppressed {
            search: for cy in cy0...cy1 {
                for cx in cx0...cx1 {
                    var e = head[cy * gx + cx]
                    while e >= 0 {
                        if suppresses(Int(entryBox[Int(e)])) { suppressed = true; break search }
                        e = next[Int(e)]
                    }
                }
            }
        }
        if suppressed { continue }
        let k = Int32(kx1.count)
        kx1.append(b.x1); ky1.append(b.y1); kx2.append(b.x2); ky2.append(b.y2); karea.append(area)
        keep.append(order[p])
        if keep.count == limit { break }
        if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > wideCells {
            wide.append(k)
        } else {
            for cy in cy0...cy1 {
                for cx in cx0...cx1 {
                    next.append(head[cy * gx + cx])
                    entryBox.append(k)
                    head[cy * gx + cx] = Int32(next.count - 1)
                }
            }
        }
    }
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
