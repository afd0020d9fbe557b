// `fovea evaluate`: COCO mAP (pycocotools' COCOeval, bbox) and PASCAL VOC AP of a
// COCO results list against COCO ground truth, as a table or one JSON object.

import ArgumentParser
import FoveaDetection
import FoveaEngine
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score detections against ground truth: COCO mAP (as pycocotools) and PASCAL VOC AP.",
        discussion: """
            Reads COCO ground truth (images, categories, annotations) and a COCO results list \
            ([{image_id, category_id, bbox: [x, y, w, h], score}, ...]). Prints pycocotools' 12-line \
            summary and a per-category table, or with --json one object with the keys "coco", \
            "voc07" (11-point AP) and "voc" (all-point AP). -1 means undefined (no ground truth).
            """
    )

    @Option(name: .customLong("ground-truth"), help: "COCO ground-truth JSON file.")
    var groundTruth: String

    @Option(name: .customLong("detections"), help: "COCO results JSON file (a list of detections; [] is allowed).")
    var detections: String

    @Option(name: .customLong("iou-type"), help: "What to match: only 'bbox' is supported.")
    var iouType: String = "bbox"

    @Flag(name: .customLong("json"), help: "Print one JSON object instead of tables.")
    var json = false

    @Option(name: .customLong("plot-dir"),
            help: "Write precision-recall curve PNGs here: pr_all.png (IoU .50 and .75) and one per class.")
    var plotDir: String?

    func validate() throws {
        guard iouType == "bbox" else {
            throw ValidationError("--iou-type '\(iouType)' is not supported; only 'bbox' is (segm and keypoints are not implemented)")
        }
    }

    func run() throws {
        let gt: COCOGroundTruth, dets: [COCODetection], evaluator: COCOEvaluator
        do {
            gt = try COCOGroundTruth(contentsOfFile: groundTruth)
            dets = try COCOResults.load(contentsOfFile: detections)
            var ev = try COCOEvaluator(groundTruth: gt, detections: dets, detectionsFile: detections)
            ev.evaluate()
            ev.accumulate()
            evaluator = ev
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if evaluator.unknownCategoryDetections > 0 {
            note("ignored \(evaluator.unknownCategoryDetections) detection(s) whose category_id is not among the ground truth's categories")
        }
        if evaluator.unlistedAnnotations > 0 {
            note("ignored \(evaluator.unlistedAnnotations) ground-truth annotation(s) whose image_id or category_id is not listed")
        }
        let stats = evaluator.summarize()
        let perCategory = evaluator.perCategory()
        let voc = evaluateVOC(groundTruth: gt, detections: dets)

        if json {
            print(jsonReport(stats: stats, perCategory: perCategory, voc: voc))
        } else {
            for line in stats.lines { print(line) }
            print("")
            print(table(perCategory: perCategory, voc: voc))
            print(String(format: "VOC mAP@0.5: 11-point %@, all-point %@", metric(voc.map11), metric(voc.mapAll)))
        }

        if let plotDir {
            do {
                let written = try PRCurvePlots.write(evaluator: evaluator, to: plotDir)
                note("wrote \(written.count) precision-recall plot(s) to \(plotDir)")
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    private func note(_ message: String) {
        FileHandle.standardError.write(Data("note: \(message)\n".utf8))
    }

    private func metric(_ v: Double) -> String {
        v < 0 ? "   -1" : String(format: "%.3f", v)
    }

    private func table(perCategory: [COCOCategoryResult], voc: VOCResult) -> String {
        let header = ["id", "category", "GT", "dets", "AP", "AP50", "VOC07", "VOC"]
        var rows: [[String]] = []
        for (c, v) in zip(perCategory, voc.perClass) {
            rows.append([String(c.categoryID), c.name, String(c.numGT), String(c.numDet),
                         metric(c.ap), metric(c.ap50), metric(v.ap11), metric(v.apAll)])
        }
        var widths = header.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                // Names left-aligned, numbers right-aligned.
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return i == 1 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var out = [line(header), line(widths.map { String(repeating: "-", count: $0) })]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }

    private func jsonReport(stats: COCOStats, perCategory: [COCOCategoryResult], voc: VOCResult) -> String {
        // Category names key the per-category objects; a name shared by several ids gets its id
        // appended so no key repeats.
        var uses: [String: Int] = [:]
        for c in perCategory { uses[c.name, default: 0] += 1 }
        let keys = perCategory.map { uses[$0.name]! > 1 ? "\($0.name) (id \($0.categoryID))" : $0.name }
        var coco: [String] = zip(COCOStats.names, stats.values).map { "\(jsonString($0)): \(number($1))" }
        let cats = zip(keys, perCategory).map { "\(jsonString($0)): {\"AP\": \(number($1.ap)), \"AP50\": \(number($1.ap50))}" }
        coco.append("\"per_category\": {\(cats.joined(separator: ", "))}")
        let voc07 = zip(keys, voc.perClass).map { "\(jsonString($0)): \(number($1.ap11))" }
        let vocAll = zip(keys, voc.perClass).map { "\(jsonString($0)): \(number($1.apAll))" }
        return """
            {"coco": {\(coco.joined(separator: ", "))}, \
            "voc07": {"mAP": \(number(voc.map11)), "per_category": {\(voc07.joined(separator: ", "))}}, \
            "voc": {"mAP": \(number(voc.mapAll)), "per_category": {\(vocAll.joined(separator: ", "))}}}
            """
    }

    /// Shortest round-trip form, which is valid JSON for finite doubles.
    private func number(_ v: Double) -> String { "\(v)" }
}
