// PASCAL VOC average precision at one IoU threshold, per class and mean, in the
// VOC2007 11-point and VOC2010+ all-point forms, with the devkit's matching
// (VOCevaldet.m, VOCap.m) or greedy matching among not-yet-matched ground truth.

/// How a detection picks its ground-truth box.
public enum VOCMatching: String, Sendable {
    /// The devkit: the highest-IoU GT of the image and class (first on ties); a TP only if
    /// that GT is still unmatched, even when another unmatched GT also overlaps enough.
    case devkit
    /// The highest-IoU GT among those not yet matched with IoU >= threshold, as COCO does.
    case greedyUnmatched
}

public struct VOCClassResult: Sendable, Equatable {
    public var categoryID: Int
    public var name: String
    /// Ground-truth count (crowd boxes are VOC's "difficult" objects and are not counted).
    public var npos: Int
    public var ndet: Int
    public var tp: Int
    /// VOC2007 11-point AP; -1 when the class has no ground truth.
    public var ap11: Double
    /// VOC2010+ all-point AP; -1 when the class has no ground truth.
    public var apAll: Double
    /// Recall and precision after each detection, in score order (the PR curve).
    public var recall: [Double]
    public var precision: [Double]
}

public struct VOCResult: Sendable {
    public var perClass: [VOCClassResult]
    /// Means over classes with ground truth; -1 when there are none.
    public var map11: Double
    public var mapAll: Double
}

/// The VOC2007 recall thresholds k * 0.1 as numpy.arange(0., 1.1, 0.1) computes them.
let voc07Thresholds: [Double] = (0...10).map { Double($0) * 0.1 }

/// VOC AP per category of the ground truth. Detections of unlisted categories are ignored;
/// crowd ground truth is treated as VOC "difficult": neither counted nor penalised.
public func evaluateVOC(groundTruth gt: COCOGroundTruth, detections: [COCODetection],
                        iouThreshold: Double = 0.5, matching: VOCMatching = .devkit) -> VOCResult {
    var names: [Int: String] = [:]
    for c in gt.categories where names[c.id] == nil { names[c.id] = c.name }
    let classes = names.keys.sorted()
    var gtByClass: [Int: [Int: [COCOAnnotation]]] = [:]
    for a in gt.annotations where names[a.categoryID] != nil { gtByClass[a.categoryID, default: [:]][a.imageID, default: []].append(a) }
    var detByClass: [Int: [COCODetection]] = [:]
    for d in detections where names[d.categoryID] != nil { detByClass[d.categoryID, default: []].append(d) }

    var results: [VOCClassResult] = []
    for c in classes {
        let gts = gtByClass[c] ?? [:]
        let npos = gts.values.reduce(0) { $0 + $1.filter { !$0.isCrowd }.count }
        let dets = detByClass[c] ?? []
        let order = dets.indices.sorted { dets[$0].score > dets[$1].score || (dets[$0].score == dets[$1].score && $0 < $1) }
        var matched: [Int: [Bool]] = gts.mapValues { [Bool](repeating: false, count: $0.count) }
        var tp = 0, fp = 0
        var rec: [Double] = [], prec: [Double] = []
        for di in order {
            let d = dets[di]
            let candidates = gts[d.imageID] ?? []
            var best = -1
            var bestIoU = -Double.infinity
            for (g, a) in candidates.enumerated() {
                if matching == .greedyUnmatched && matched[d.imageID]![g] { continue }
                let v = cocoBoxIoU(d.bbox, a.bbox)
                if matching == .greedyUnmatched && v < iouThreshold { continue }
                if v > bestIoU { bestIoU = v; best = g }
            }
            if best >= 0 && bestIoU >= iouThreshold {
                if candidates[best].isCrowd {
                    // A difficult object: the detection counts neither way.
                } else if !matched[d.imageID]![best] {
                    matched[d.imageID]![best] = true
                    tp += 1
                } else {
                    fp += 1
                }
            } else {
                fp += 1
            }
            rec.append(npos > 0 ? Double(tp) / Double(npos) : 0)
            prec.append(Double(tp) / max(Double(tp + fp), Double.ulpOfOne))
        }
        let ap11: Double, apAll: Double
        if npos == 0 {
            ap11 = -1; apAll = -1
        } else {
            ap11 = vocAP11(recall: rec, precision: prec)
            apAll = vocAPAllPoint(recall: rec, precision: prec)
        }
        results.append(VOCClassResult(categoryID: c, name: names[c]!, npos: npos, ndet: dets.count, tp: tp,
                                      ap11: ap11, apAll: apAll, recall: rec, precision: prec))
    }
    let defined = results.filter { $0.npos > 0 }
    let mean = { (f: (VOCClassResult) -> Double) -> Double in
        defined.isEmpty ? -1 : defined.map(f).reduce(0, +) / Double(defined.count)
    }
    return VOCResult(perClass: results, map11: mean(\.ap11), mapAll: mean(\.apAll))
}

/// IoU of two `[x, y, w, h]` boxes as pycocotools' bbIou computes it (no crowd).
func cocoBoxIoU(_ d: (x: Double, y: Double, width: Double, height: Double),
                _ g: (x: Double, y: Double, width: Double, height: Double)) -> Double {
    let w = min(d.width + d.x, g.width + g.x) - max(d.x, g.x)
    let h = min(d.height + d.y, g.height + g.y) - max(d.y, g.y)
    if w <= 0 || h <= 0 { return 0 }
    let inter = w * h
    return inter / (d.width * d.height + g.width * g.height - inter)
}

/// VOC2007: mean over t in {0, 0.1, ..., 1} of the best precision at recall >= t (0 if none).
public func vocAP11(recall: [Double], precision: [Double]) -> Double {
    var ap = 0.0
    for t in voc07Thresholds {
        var p = 0.0
        for i in recall.indices where recall[i] >= t { p = max(p, precision[i]) }
        ap += p / 11
    }
    return ap
}

/// VOC2010+: area under the precision envelope, summed where recall changes.
public func vocAPAllPoint(recall: [Double], precision: [Double]) -> Double {
    let mrec = [0.0] + recall + [1.0]
    var mpre = [0.0] + precision + [0.0]
    for i in stride(from: mpre.count - 2, through: 0, by: -1) { mpre[i] = max(mpre[i], mpre[i + 1]) }
    var ap = 0.0
    for i in 1..<mrec.count where mrec[i] != mrec[i - 1] { ap += (mrec[i] - mrec[i - 1]) * mpre[i] }
    return ap
}
