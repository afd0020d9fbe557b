// COCO bbox evaluation against pycocotools' numbers for every fixture in Fixtures/map,
// the parameters against coco_params.json, and crowd matching against a hand-computed case.
import XCTest
@testable import FoveaDetection

final class COCOEvalTests: XCTestCase {
    func testParametersMatchNumpyLinspace() throws {
        let p = try XCTUnwrap(Fixture.json("coco_params.json") as? [String: Any])
        XCTAssertEqual(COCOParams.bbox.iouThrs, doubles(p["iouThrs"]))
        XCTAssertEqual(COCOParams.bbox.recThrs, doubles(p["recThrs"]))
        XCTAssertEqual(COCOParams.bbox.maxDets, doubles(p["maxDets"]).map { Int($0) })
        XCTAssertEqual(voc07Thresholds, doubles(p["voc07_11point_thresholds"]))
    }

    /// Evaluates one fixture and checks the 12 stats and per-category AP/AP50 to 1e-9.
    func check(_ name: String, folder: String = "map", file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try XCTUnwrap(Fixture.json("\(folder)/\(name)/expected.json") as? [String: Any])
        let coco = try XCTUnwrap(expected["coco"] as? [String: Any])
        let gt = try COCOGroundTruth(contentsOfFile: Fixture.path("\(folder)/\(name)/gt.json"))
        let dets = try COCOResults.load(contentsOfFile: Fixture.path("\(folder)/\(name)/detections.json"))
        var ev = try COCOEvaluator(groundTruth: gt, detections: dets)
        ev.evaluate()
        ev.accumulate()
        let stats = ev.summarize().values
        let want = doubles(coco["stats"])
        XCTAssertEqual(stats.count, 12, file: file, line: line)
        for (i, (g, w)) in zip(stats, want).enumerated() {
            XCTAssertEqual(g, w, accuracy: 1e-9, "\(name) \(COCOStats.names[i])", file: file, line: line)
        }
        let perCat = ev.perCategory()
        let wantCats = coco["per_category"] as? [[String: Any]] ?? []
        XCTAssertEqual(perCat.map(\.categoryID), wantCats.map { Int(number($0["category_id"])) }, file: file, line: line)
        for (g, w) in zip(perCat, wantCats) {
            XCTAssertEqual(g.ap, number(w["ap"]), accuracy: 1e-9, "\(name) AP of \(g.categoryID)", file: file, line: line)
            XCTAssertEqual(g.ap50, number(w["ap50"]), accuracy: 1e-9, "\(name) AP50 of \(g.categoryID)", file: file, line: line)
            XCTAssertEqual(g.numGT, Int(number(w["num_gt"])), "\(name) GT of \(g.categoryID)", file: file, line: line)
            XCTAssertEqual(g.numDet, Int(number(w["num_det"])), "\(name) dets of \(g.categoryID)", file: file, line: line)
        }
    }

    func testRandomTiny() throws { try check("random_tiny") }
    func testRandomSmall() throws { try check("random_small") }
    func testRandomMedium() throws { try check("random_medium") }
    func testRandomCrowded() throws { try check("random_crowded") }
    func testRandomLarge() throws { try check("random_large") }
    func testEdgePerfect() throws { try check("edge_perfect") }
    func testEdgeNoDetections() throws { try check("edge_no_detections") }
    func testEdgeAbsentCategoriesOnly() throws { try check("edge_absent_categories_only") }
    func testEdgeUnknownCategoryIDs() throws { try check("edge_unknown_category_ids") }
    func testEdgeSingleBox() throws { try check("edge_single_box") }
    func testEdgeTouchingBoxes() throws { try check("edge_touching_boxes") }
    func testEdgeZeroAreaBoxes() throws { try check("edge_zero_area_boxes") }
    func testEdgeAreaRangeBoundaries() throws { try check("edge_area_range_boundaries") }
    func testEdgeMaxDets100() throws { try check("edge_max_dets_100") }
    func testEdgeScoreTies() throws { try check("edge_score_ties") }
    func testEdgeIoUExactlyAtThresholds() throws { try check("edge_iou_exactly_at_thresholds") }
    func testEdgeNoGroundTruth() throws { try check("edge_no_ground_truth") }
    /// 24 of 201 GT are crowd regions (Tools/make_crowd_fixture.py, numbers from pycocotools).
    func testRandomCrowdAnnotations() throws { try check("random_crowd", folder: "crowd") }

    func testSummaryLinesUsePycocotoolsFormat() throws {
        let gt = try COCOGroundTruth(contentsOfFile: Fixture.path("map/random_tiny/gt.json"))
        let dets = try COCOResults.load(contentsOfFile: Fixture.path("map/random_tiny/detections.json"))
        var ev = try COCOEvaluator(groundTruth: gt, detections: dets)
        ev.evaluate()
        ev.accumulate()
        let lines = ev.summarize().lines
        // Expected stats 0.37604…, 0.56201…, AR small 0.9 (from expected.json), in pycocotools' layout.
        XCTAssertEqual(lines[0], " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.376")
        XCTAssertEqual(lines[1], " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.562")
        XCTAssertEqual(lines[6], " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.175")
        XCTAssertEqual(lines[9], " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.900")
    }

    /// pycocotools' crowd rule: IoU with a crowd region is intersection / detection area,
    /// a crowd region can absorb many detections, and those detections are ignored.
    func testCrowdGroundTruthAbsorbsDetectionsHandComputed() throws {
        let gt = COCOGroundTruth(
            images: [COCOImage(id: 1, width: 200, height: 200, fileName: nil)],
            categories: [COCOCategory(id: 1, name: "person")],
            annotations: [
                COCOAnnotation(id: 1, imageID: 1, categoryID: 1, bbox: (0, 0, 40, 40), area: 1600, isCrowd: false),
                COCOAnnotation(id: 2, imageID: 1, categoryID: 1, bbox: (100, 100, 100, 100), area: 10000, isCrowd: true),
            ])
        let dets = [
            // Inside the crowd region: IoU(crowd) = 1 by the crowd rule (plain IoU would be 0.04).
            COCODetection(imageID: 1, categoryID: 1, bbox: (120, 120, 20, 20), score: 0.9),
            COCODetection(imageID: 1, categoryID: 1, bbox: (150, 150, 20, 20), score: 0.8),
            // Exact hit on the regular GT, ranked last.
            COCODetection(imageID: 1, categoryID: 1, bbox: (0, 0, 40, 40), score: 0.7),
            // Background false positive, lowest score.
            COCODetection(imageID: 1, categoryID: 1, bbox: (50, 0, 20, 20), score: 0.6),
        ]
        var ev = try COCOEvaluator(groundTruth: gt, detections: dets)
        ev.evaluate()
        ev.accumulate()
        // Crowd dets ignored → ranked list is [TP, FP]: precision 1 up to recall 1 at every
        // IoU threshold, so AP = 1 - eps effects; recall 1 with one non-ignored GT.
        let s = ev.summarize().values
        XCTAssertEqual(s[0], 1, accuracy: 1e-12)
        XCTAssertEqual(s[8], 1, accuracy: 1e-12)
        // Without the crowd flag that region is a second regular GT (plain IoU 0.04 with both
        // crowd-side dets, so they are FPs): the TP comes third, precision 1/3 at recall 1/2,
        // which covers the 51 recall thresholds 0.00…0.50 of 101.
        var plain = gt
        plain.annotations[1].isCrowd = false
        var ev2 = try COCOEvaluator(groundTruth: plain, detections: dets)
        ev2.evaluate()
        ev2.accumulate()
        XCTAssertEqual(ev2.summarize().values[0], 51.0 / 101.0 / 3.0, accuracy: 1e-12)
    }

    func testDetectionOnUnknownImageIsAnError() throws {
        let gt = COCOGroundTruth(images: [COCOImage(id: 1)], categories: [COCOCategory(id: 1, name: "a")], annotations: [])
        let dets = [COCODetection(imageID: 7, categoryID: 1, bbox: (0, 0, 1, 1), score: 0.5)]
        XCTAssertThrowsError(try COCOEvaluator(groundTruth: gt, detections: dets)) { e in
            XCTAssertTrue("\(e)".contains("image_id 7"), "\(e)")
        }
    }
}
