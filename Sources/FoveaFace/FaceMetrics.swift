// FaceMetrics: the figures the face models are judged by — normalised mean
// error of landmarks (point distance over the inter-ocular distance), ROC-AUC
// and accuracy of the smile score — and the Platt scaling and threshold
// fitted on validation, with a reliability diagram's bins.
import Foundation

public enum FaceMetrics {
    /// Per-point and overall NME over faces with reference points; each
    /// distance divided by that face's eye_left–eye_right distance.
    public static func nme(predicted: [[Float]], truth: [[Float]]) -> (perPoint: [Double], overall: Double) {
        var sums = [Double](repeating: 0, count: 10)
        var n = 0
        for (p, t) in zip(predicted, truth) {
            let iod = hypot(Double(t[2] - t[0]), Double(t[3] - t[1]))
            guard iod > 0 else { continue }
            n += 1
            for k in 0..<10 {
                sums[k] += hypot(Double(p[2 * k] - t[2 * k]), Double(p[2 * k + 1] - t[2 * k + 1])) / iod
            }
        }
        let per = sums.map { $0 / Double(max(n, 1)) }
        return (per, per.reduce(0, +) / 10)
    }

    /// The mean shape of `truth`, the naive landmark baseline.
    public static func meanShape(_ truth: [[Float]]) -> [Float] {
        var mean = [Float](repeating: 0, count: 20)
        for t in truth { for k in 0..<20 { mean[k] += t[k] } }
        return mean.map { $0 / Float(max(truth.count, 1)) }
    }

    /// Area under the ROC curve: the probability that a random positive
    /// scores above a random negative (ties count half).
    public static func auc(scores: [Double], labels: [Int]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        let sum = zip(ranks, labels).filter { $0.1 == 1 }.reduce(0) { $0 + $1.0 }
        return (sum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    public static func accuracy(probabilities: [Double], labels: [Int], threshold: Double) -> Double {
        let correct = zip(probabilities, labels).filter { ($0.0 >= threshold ? 1 : 0) == $0.1 }.count
        return Double(correct) / Double(max(labels.count, 1))
    }

    /// Platt scaling: a, b minimising the log loss of σ(a·z + b) (Newton's method).
    public static func plattFit(logits z: [Double], labels y: [Int]) -> (a: Double, b: Double) {
        var a = 1.0, b = 0.0
        for _ in 0..<50 {
            var ga = 0.0, gb = 0.0, haa = 1e-9, hab = 0.0, hbb = 1e-9
            for (zi, yi) in zip(z, y) {
                let p = 1 / (1 + exp(-(a * zi + b)))
                let r = p - Double(yi), w = p * (1 - p)
                ga += r * zi; gb += r
                haa += w * zi * zi; hab += w * zi; hbb += w
            }
            let det = haa * hbb - hab * hab
            guard det > 1e-12 else { break }
            let da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det
            a -= da; b -= db
            if abs(da) + abs(db) < 1e-9 { break }
        }
        return (a, b)
    }

    /// The threshold with the best accuracy (midpoints between sorted scores).
    public static func bestThreshold(probabilities p: [Double], labels: [Int]) -> Double {
        let candidates = [0.5] + Array(Set(p)).sorted().adjacentPairs().map { ($0 + $1) / 2 }
        return candidates.max { accuracy(probabilities: p, labels: labels, threshold: $0)
            < accuracy(probabilities: p, labels: labels, threshold: $1) } ?? 0.5
    }

    /// Reliability bins: mean predicted probability and observed frequency
    /// per tenth of the probability range (empty bins left out).
    public static func reliability(probabilities: [Double], labels: [Int], bins: Int = 10)
        -> [(predicted: Double, observed: Double, count: Int)] {
        var sumP = [Double](repeating: 0, count: bins), sumY = sumP, counts = [Int](repeating: 0, count: bins)
        for (p, y) in zip(probabilities, labels) {
            let b = min(bins - 1, Int(p * Double(bins)))
            sumP[b] += p; sumY[b] += Double(y); counts[b] += 1
        }
        return (0..<bins).filter { counts[$0] > 0 }.map { (sumP[$0] / Double(counts[$0]), sumY[$0] / Double(counts[$0]), counts[$0]) }
    }
}

extension Array {
    fileprivate func adjacentPairs() -> [(Element, Element)] {
        count < 2 ? [] : (1..<count).map { (self[$0 - 1], self[$0]) }
    }
}
