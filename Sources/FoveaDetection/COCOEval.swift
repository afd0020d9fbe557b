// COCO bounding-box evaluation with pycocotools' COCOeval structure and semantics:
// evaluate (match per image and category) → accumulate (precision/recall arrays) →
// summarize (the 12 standard numbers). Parameter names follow pycocotools.

import Foundation

/// COCOeval parameters for `iouType="bbox"`, computed as numpy.linspace computes them,
/// because recall values of exactly i/100 make the last bits matter.
public struct COCOParams: Sendable {
    public var iouThrs: [Double]
    public var recThrs: [Double]
    public var maxDets: [Int]
    public var areaRng: [(lo: Double, hi: Double)]
    public var areaRngLbl: [String]

    public static let bbox: COCOParams = {
        COCOParams(iouThrs: linspace(0.5, 0.95, count: 10),
                   recThrs: linspace(0.0, 1.0, count: 101),
                   maxDets: [1, 10, 100],
                   areaRng: [(0, 1e10), (0, 1024), (1024, 9216), (9216, 1e10)],
                   areaRngLbl: ["all", "small", "medium", "large"])
    }()

    /// numpy.linspace with endpoint: start + i * step, last value exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        var v = (0..<count).map { start + Double($0) * step }
        v[count - 1] = stop
        return v
    }
}

/// The 12 numbers of COCOeval.summarize(), -1 where undefined.
public struct COCOStats: Sendable, Equatable {
    public static let names = ["AP", "AP50", "AP75", "APs", "APm", "APl",
                               "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    public var values: [Double]
    /// The summary lines exactly as pycocotools prints them.
    public var lines: [String]
}

/// Per-category figures from the accumulated precision array (area all, maxDets 100).
public struct COCOCategoryResult: Sendable, Equatable {
    public var categoryID: Int
    public var name: String
    public var ap: Double
    public var ap50: Double
    public var numGT: Int
    public var numDet: Int
}

/// COCOeval for boxes: `init` (checks and filters the inputs) → `evaluate()` → `accumulate()`
/// → `summarize()` / `perCategory()`, with `precision` and `recall` laid out as pycocotools' arrays.
public struct COCOEvaluator: Sendable {
    public let params: COCOParams
    /// Image and category ids of the ground truth, ascending (pycocotools' p.imgIds, p.catIds).
    public let imgIds: [Int]
    public let catIds: [Int]
    public let categoryNames: [String]
    /// Detections ignored because their category is not among the ground truth's categories.
    public let unknownCategoryDetections: Int
    /// Ground-truth annotations ignored because their image or category is not listed.
    public let unlistedAnnotations: Int

    private let groundTruth: [COCOAnnotation]
    private let detections: [COCODetection]

    /// evaluate()'s per-category results: every kept detection (first maxDets[-1] per image, by score)
    /// in image-id order, with match flags per area range and IoU threshold.
    struct CategoryEval: Sendable {
        var score: [Double] = []
        var rank: [Int32] = []  // position within its image after sorting by score
        var flags: [UInt8] = [] // [a][t][n]: bit 0 matched, bit 1 ignored
        var npig: [Int] = []    // non-ignored GT per area range
        var numGT = 0
        var numDet = 0
    }
    private var evalCategories: [CategoryEval] = []

    /// Precision, shape [T][R][K][A][M] (row-major), -1 where undefined.
    public private(set) var precision: [Double] = []
    /// Recall, shape [T][K][A][M], -1 where undefined.
    public private(set) var recall: [Double] = []
    /// Score at each precision point, shape [T][R][K][A][M].
    public private(set) var scores: [Double] = []

    static let matchedFlag: UInt8 = 1, ignoredFlag: UInt8 = 2

    /// Checks that every detection names a ground-truth image (pycocotools asserts this).
    public init(groundTruth gt: COCOGroundTruth, detections: [COCODetection], params: COCOParams = .bbox,
                detectionsFile: String = "detections") throws(DetectionDataError) {
        self.params = params
        imgIds = Array(Set(gt.images.map(\.id))).sorted()
        var names: [Int: String] = [:]
        for c in gt.categories where names[c.id] == nil { names[c.id] = c.name }
        catIds = names.keys.sorted()
        categoryNames = catIds.map { names[$0]! }
        let images = Set(imgIds), cats = Set(catIds)
        for (i, d) in detections.enumerated() where !images.contains(d.imageID) {
            throw .unknownImage(file: detectionsFile, imageID: d.imageID, entry: "detection [\(i)]")
        }
        self.detections = detections.filter { cats.contains($0.categoryID) }
        unknownCategoryDetections = detections.count - self.detections.count
        groundTruth = gt.annotations.filter { images.contains($0.imageID) && cats.contains($0.categoryID) }
        unlistedAnnotations = gt.annotations.count - groundTruth.count
    }

    /// Bucket indices by (category, image) cell, keeping file order inside each cell.
    private func buckets(count: Int, key: (Int) -> Int, cells: Int) -> (start: [Int], items: [Int32]) {
        var start = [Int](repeating: 0, count: cells + 1)
        var keys = [Int](repeating: 0, count: count)
        for n in 0..<count { let c = key(n); keys[n] = c; start[c + 1] += 1 }
        for c in 0..<cells { start[c + 1] += start[c] }
        var fill = start
        var items = [Int32](repeating: 0, count: count)
        for n in 0..<count { items[fill[keys[n]]] = Int32(n); fill[keys[n]] += 1 }
        return (start, items)
    }

    /// Matches detections to ground truth in every (category, image) cell, at every area
    /// range and IoU threshold, as COCOeval.evaluateImg does with maxDet = maxDets[-1].
    public mutating func evaluate() {
        let K = catIds.count, I = imgIds.count, A = params.areaRng.count, T = params.iouThrs.count
        let maxDet = params.maxDets.last ?? 100
        var catIndex: [Int: Int] = [:], imgIndex: [Int: Int] = [:]
        for (k, c) in catIds.enumerated() { catIndex[c] = k }
        for (i, m) in imgIds.enumerated() { imgIndex[m] = i }
        let gts = groundTruth, dts = detections
        let gtCells = buckets(count: gts.count, key: { catIndex[gts[$0].categoryID]! * I + imgIndex[gts[$0].imageID]! }, cells: K * I)
        let dtCells = buckets(count: dts.count, key: { catIndex[dts[$0].categoryID]! * I + imgIndex[dts[$0].imageID]! }, cells: K * I)

        // Scratch reused across cells.
        var ious: [Double] = [], gtOrder: [Int] = [], gtIgnore: [Bool] = [], gtMatched: [Bool] = []
        var dtOrder: [Int32] = []
        let thresholds = params.iouThrs.map { min($0, 1 - 1e-10) }

        var result: [CategoryEval] = []
        result.reserveCapacity(K)
        for k in 0..<K {
            var ce = CategoryEval()
            var kept = 0
            for i in 0..<I {
                let c = k * I + i
                kept += min(dtCells.start[c + 1] - dtCells.start[c], maxDet)
                ce.numGT += gtCells.start[c + 1] - gtCells.start[c]
                ce.numDet += dtCells.start[c + 1] - dtCells.start[c]
            }
            ce.score.reserveCapacity(kept)
            ce.rank.reserveCapacity(kept)
            ce.flags = [UInt8](repeating: 0, count: A * T * kept)
            ce.npig = [Int](repeating: 0, count: A)
            var offset = 0
            for i in 0..<I {
                let c = k * I + i
                let g0 = gtCells.start[c], G = gtCells.start[c + 1] - g0
                let d0 = dtCells.start[c], Dall = dtCells.start[c + 1] - d0
                if G == 0 && Dall == 0 { continue }
                dtOrder.removeAll(keepingCapacity: true)
                dtOrder.append(contentsOf: dtCells.items[d0..<(d0 + Dall)])
                dtOrder.sort { dts[Int($0)].score > dts[Int($1)].score || (dts[Int($0)].score == dts[Int($1)].score && $0 < $1) }
                let D = min(Dall, maxDet)
                for d in 0..<D {
                    ce.score.append(dts[Int(dtOrder[d])].score)
                    ce.rank.append(Int32(d))
                }
                // IoU as pycocotools' bbIou: on [x, y, w, h]; crowd GT divide by the detection's area.
                ious.removeAll(keepingCapacity: true)
                ious.reserveCapacity(D * G)
                for d in 0..<D {
                    let db = dts[Int(dtOrder[d])].bbox
                    let da = db.width * db.height
                    for g in 0..<G {
                        let gt = gts[Int(gtCells.items[g0 + g])]
                        let gb = gt.bbox
                        let w = min(db.width + db.x, gb.width + gb.x) - max(db.x, gb.x)
                        let h = min(db.height + db.y, gb.height + gb.y) - max(db.y, gb.y)
                        if w <= 0 || h <= 0 { ious.append(0); continue }
                        let inter = w * h
                        ious.append(inter / (gt.isCrowd ? da : da + gb.width * gb.height - inter))
                    }
                }
                ce.flags.withUnsafeMutableBufferPointer { flags in
                    for a in 0..<A {
                        let (lo, hi) = params.areaRng[a]
                        gtIgnore.removeAll(keepingCapacity: true)
                        gtOrder.removeAll(keepingCapacity: true)
                        for g in 0..<G {
                            let gt = gts[Int(gtCells.items[g0 + g])]
                            gtIgnore.append(gt.isCrowd || gt.area < lo || gt.area > hi)
                        }
                        for g in 0..<G where !gtIgnore[g] { gtOrder.append(g) }
                        ce.npig[a] += gtOrder.count
                        for g in 0..<G where gtIgnore[g] { gtOrder.append(g) }
                        for t in 0..<T {
                            let base = (a * T + t) * kept + offset
                            gtMatched.removeAll(keepingCapacity: true)
                            gtMatched.append(contentsOf: repeatElement(false, count: G))
                            for d in 0..<D {
                                var best = thresholds[t]
                                var m = -1
                                for g in gtOrder {
                                    if gtMatched[g] && !gts[Int(gtCells.items[g0 + g])].isCrowd { continue }
                                    // Once matched to a regular GT, ignored GT (sorted last) cannot take over.
                                    if m > -1 && !gtIgnore[m] && gtIgnore[g] { break }
                                    let v = ious[d * G + g]
                                    if v < best { continue }
                                    best = v
                                    m = g
                                }
                                if m == -1 { continue }
                                gtMatched[m] = true
                                flags[base + d] = COCOEvaluator.matchedFlag | (gtIgnore[m] ? COCOEvaluator.ignoredFlag : 0)
                            }
                            // Unmatched detections outside the area range are ignored.
                            for d in 0..<D where flags[base + d] == 0 {
                                let b = dts[Int(dtOrder[d])].bbox
                                let area = b.width * b.height
                                if area < lo || area > hi { flags[base + d] = COCOEvaluator.ignoredFlag }
                            }
                        }
                    }
                }
                offset += D
            }
            result.append(ce)
        }
        evalCategories = result
    }

    /// Builds the precision, recall and scores arrays as COCOeval.accumulate does.
    public mutating func accumulate() {
        if evalCategories.isEmpty && !catIds.isEmpty { evaluate() }
        let T = params.iouThrs.count, R = params.recThrs.count, K = catIds.count
        let A = params.areaRng.count, M = params.maxDets.count
        precision = [Double](repeating: -1, count: T * R * K * A * M)
        scores = [Double](repeating: -1, count: T * R * K * A * M)
        recall = [Double](repeating: -1, count: T * K * A * M)
        let recThrs = params.recThrs
        let maxN = evalCategories.map(\.score.count).max() ?? 0
        // Scratch for one (category, area, maxDets, IoU) curve, reused: this loop runs K·A·M·T times.
        let rc = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(maxN, 1))
        let pr = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(maxN, 1))
        defer { rc.deallocate(); pr.deallocate() }
        var selected: [Int] = []
        for k in 0..<K {
            let ce = evalCategories[k]
            let n = ce.score.count
            // Images are already in ascending id order, so a stable sort by score gives
            // pycocotools' tie order: image id, then position in the file.
            let order = (0..<n).sorted { ce.score[$0] > ce.score[$1] || (ce.score[$0] == ce.score[$1] && $0 < $1) }
            for (m, maxDet) in params.maxDets.enumerated() {
                selected.removeAll(keepingCapacity: true)
                for j in order where Int(ce.rank[j]) < maxDet { selected.append(j) }
                let nd = selected.count
                for a in 0..<A {
                    let npig = Double(ce.npig[a])
                    if npig == 0 { continue }
                    for t in 0..<T {
                        let base = (a * T + t) * n
                        ce.flags.withUnsafeBufferPointer { flags in
                            selected.withUnsafeBufferPointer { sel in
                                var tp = 0.0, fp = 0.0
                                for i in 0..<nd {
                                    let f = flags[base + sel[i]]
                                    if f & COCOEvaluator.ignoredFlag == 0 {
                                        if f & COCOEvaluator.matchedFlag != 0 { tp += 1 } else { fp += 1 }
                                    }
                                    rc[i] = tp / npig
                                    pr[i] = tp / (fp + tp + Double.ulpOfOne)
                                }
                            }
                        }
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0
                        if nd > 1 {
                            for i in stride(from: nd - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] }
                        }
                        // searchsorted(rc, recThrs, side="left"): first index with rc >= r; beyond the end stays 0.
                        var i = 0
                        for r in 0..<R {
                            while i < nd && rc[i] < recThrs[r] { i += 1 }
                            let at = (((t * R + r) * K + k) * A + a) * M + m
                            if i < nd {
                                precision[at] = pr[i]
                                scores[at] = ce.score[selected[i]]
                            } else {
                                precision[at] = 0
                                scores[at] = 0
                            }
                        }
                    }
                }
            }
        }
    }

    private func meanDefined(_ values: [Double]) -> Double {
        let defined = values.filter { $0 > -1 }
        return defined.isEmpty ? -1 : defined.reduce(0, +) / Double(defined.count)
    }

    private func areaIndex(_ label: String) -> Int { params.areaRngLbl.firstIndex(of: label) ?? 0 }
    private func maxDetIndex(_ n: Int) -> Int? { params.maxDets.firstIndex(of: n) }

    /// Mean precision (ap) or recall over entries > -1, as COCOeval._summarize.
    public func summaryValue(ap: Bool, iouThr: Double? = nil, areaRng: String = "all", maxDets: Int = 100,
                             categories: Range<Int>? = nil) -> Double {
        let T = params.iouThrs.count, R = params.recThrs.count, K = catIds.count
        let A = params.areaRng.count, M = params.maxDets.count
        guard let m = maxDetIndex(maxDets), !precision.isEmpty || K == 0 else { return -1 }
        let a = areaIndex(areaRng)
        let ts = iouThr.map { thr in (0..<T).filter { params.iouThrs[$0] == thr } } ?? Array(0..<T)
        let ks = categories ?? 0..<K
        var values: [Double] = []
        for t in ts {
            if ap {
                for r in 0..<R { for k in ks { values.append(precision[(((t * R + r) * K + k) * A + a) * M + m]) } }
            } else {
                for k in ks { values.append(recall[((t * K + k) * A + a) * M + m]) }
            }
        }
        return meanDefined(values)
    }

    /// The 12 standard numbers and pycocotools' printed lines.
    public func summarize() -> COCOStats {
        let last = params.maxDets.last ?? 100
        let specs: [(ap: Bool, iou: Double?, area: String, maxDets: Int)] = [
            (true, nil, "all", last), (true, 0.5, "all", last), (true, 0.75, "all", last),
            (true, nil, "small", last), (true, nil, "medium", last), (true, nil, "large", last),
            (false, nil, "all", params.maxDets[0]), (false, nil, "all", params.maxDets[min(1, params.maxDets.count - 1)]),
            (false, nil, "all", last),
            (false, nil, "small", last), (false, nil, "medium", last), (false, nil, "large", last),
        ]
        var values: [Double] = [], lines: [String] = []
        for s in specs {
            let v = summaryValue(ap: s.ap, iouThr: s.iou, areaRng: s.area, maxDets: s.maxDets)
            values.append(v)
            let title = s.ap ? "Average Precision" : "Average Recall"
            let iouStr = s.iou.map { fixed($0, 2) }
                ?? "\(fixed(params.iouThrs.first ?? 0.5, 2)):\(fixed(params.iouThrs.last ?? 0.95, 2))"
            lines.append(" \(pad(title, 18)) \(s.ap ? "(AP)" : "(AR)") @[ IoU=\(pad(iouStr, 9)) | area=\(padLeft(s.area, 6)) | maxDets=\(padLeft(String(s.maxDets), 3)) ] = \(fixed(v, 3))")
        }
        return COCOStats(values: values, lines: lines)
    }

    /// Per-category AP (IoU .50:.95) and AP50 at area all, maxDets 100; -1 for categories without GT.
    public func perCategory() -> [COCOCategoryResult] {
        catIds.indices.map { k in
            COCOCategoryResult(categoryID: catIds[k], name: categoryNames[k],
                               ap: summaryValue(ap: true, categories: k..<(k + 1)),
                               ap50: summaryValue(ap: true, iouThr: params.iouThrs.first, categories: k..<(k + 1)),
                               numGT: evalCategories.isEmpty ? 0 : evalCategories[k].numGT,
                               numDet: evalCategories.isEmpty ? 0 : evalCategories[k].numDet)
        }
    }
}

/// Python's "{:0.Nf}" for the summary lines (round half to even on the binary value, as printf does).
func fixed(_ v: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", v)
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func padLeft(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
