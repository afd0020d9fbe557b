// Precision–recall curves from COCOeval's precision array (101 recall points, area
// all, maxDets 100), and writing them as PNG line charts: all classes at IoU .50
// and .75, and one chart per class.

import FoveaImage
import FoveaPlot
import Foundation

extension COCOEvaluator {
    /// Interpolated precision at each of `params.recThrs` for IoU threshold index `t`
    /// (area all, largest maxDets). For one category: its row, or nil when it has no GT.
    /// For all categories (`category == nil`): the mean over categories with GT at each
    /// recall point, as AP averages them; nil when no category has GT.
    public func precisionCurve(iouIndex t: Int, category: Int? = nil) -> [Double]? {
        let T = params.iouThrs.count, R = params.recThrs.count, K = catIds.count
        let A = params.areaRng.count, M = params.maxDets.count
        guard t >= 0, t < T, !precision.isEmpty, let a = params.areaRngLbl.firstIndex(of: "all") else { return nil }
        let m = M - 1
        let ks = category.map { [$0] } ?? Array(0..<K)
        var curve: [Double] = []
        for r in 0..<R {
            let values = ks.map { precision[(((t * R + r) * K + $0) * A + a) * M + m] }.filter { $0 > -1 }
            if values.isEmpty { return nil }
            curve.append(values.reduce(0, +) / Double(values.count))
        }
        return curve
    }
}

/// Why PR-curve images could not be written.
public enum PRCurveError: Error, CustomStringConvertible {
    case cannotCreateDirectory(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason): return "\(path): cannot create the plot folder (\(reason))"
        case .cannotWrite(let path, let reason): return "\(path): cannot write the plot (\(reason))"
        }
    }
}

public enum PRCurvePlots {
    /// Writes `pr_all.png` (every class, IoU .50 and .75) and `pr_<id>_<name>.png` per class
    /// with ground truth into `directory`. Returns the paths written.
    public static func write(evaluator ev: COCOEvaluator, to directory: String,
                             width: Int = 800, height: Int = 600) throws(PRCurveError) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreateDirectory(path: directory, reason: (error as NSError).localizedDescription)
        }
        let recall = ev.params.recThrs
        let levels = [0.5, 0.75].compactMap { thr in ev.params.iouThrs.firstIndex(of: thr).map { (thr, $0) } }
        var charts: [(name: String, chart: LineChart)] = []
        func chart(title: String, category: Int?) -> LineChart? {
            let series = levels.compactMap { thr, t in
                ev.precisionCurve(iouIndex: t, category: category).map {
                    Series(name: String(format: "IoU=%.2f", thr), x: recall, y: $0)
                }
            }
            if series.isEmpty { return nil }
            return LineChart(title: title, xLabel: "recall", yLabel: "precision", series: series,
                             xRange: 0...1, yRange: 0...1, legend: .bottomLeft)
        }
        let overall = ev.summaryValue(ap: true)
        if let c = chart(title: String(format: "All classes, AP .50:.95 = %.3f", overall), category: nil) {
            charts.append(("pr_all.png", c))
        }
        for k in ev.catIds.indices {
            let ap = ev.summaryValue(ap: true, categories: k..<(k + 1))
            let name = ev.categoryNames[k]
            if let c = chart(title: "\(name), AP .50:.95 = \(String(format: "%.3f", ap))", category: k) {
                charts.append(("pr_\(ev.catIds[k])_\(fileSafe(name)).png", c))
            }
        }
        var written: [String] = []
        for (file, c) in charts {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                try c.render(width: width, height: height).write(to: path)
            } catch {
                throw .cannotWrite(path: path, reason: "\(error)")
            }
            written.append(path)
        }
        return written
    }

    /// Letters, digits, '-' and '_' kept; anything else becomes '_', so names are safe file names.
    static func fileSafe(_ name: String) -> String {
        String(name.unicodeScalars.map { s -> Character in
            (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_") && s.isASCII ? Character(s) : "_"
        }).prefix(60).description
    }
}
