// PASCAL VOC AP (11-point and all-point, devkit and greedy matching) against the
// fixtures' `voc` and `voc_greedy_unmatched`, plus hand-computed AP curves.
import XCTest
@testable import FoveaDetection

final class VOCEvalTests: XCTestCase {
    func check(_ name: String, matching: VOCMatching, key: String) throws {
        let expected = try XCTUnwrap(Fixture.json("map/\(name)/expected.json") as? [String: Any])
        let voc = try XCTUnwrap(expected[key] as? [String: Any])
        let gt = try COCOGroundTruth(contentsOfFile: Fixture.path("map/\(name)/gt.json"))
        let dets = try COCOResults.load(contentsOfFile: Fixture.path("map/\(name)/detections.json"))
        let r = evaluateVOC(groundTruth: gt, detections: dets, matching: matching)
        XCTAssertEqual(r.map11, number(voc["map_11point"]), accuracy: 1e-9, "\(name) \(key) mAP 11-point")
        XCTAssertEqual(r.mapAll, number(voc["map_allpoint"]), accuracy: 1e-9, "\(name) \(key) mAP all-point")
        let want = voc["per_class"] as? [[String: Any]] ?? []
        XCTAssertEqual(r.perClass.map(\.categoryID), want.map { Int(number($0["category_id"])) })
        for (g, w) in zip(r.perClass, want) {
            let c = "\(name) \(key) class \(g.categoryID)"
            XCTAssertEqual(g.npos, Int(number(w["npos"])), c)
            XCTAssertEqual(g.ndet, Int(number(w["ndet"])), c)
            XCTAssertEqual(g.tp, Int(number(w["tp"])), c)
            XCTAssertEqual(g.ap11, number(w["ap_11point"]), accuracy: 1e-9, c)
            XCTAssertEqual(g.apAll, number(w["ap_allpoint"]), accuracy: 1e-9, c)
        }
    }

    func testAllFixturesDevkitMatching() throws {
        for name in Fixture.mapNames { try check(name, matching: .devkit, key: "voc") }
    }

    func testAllFixturesGreedyUnmatchedMatching() throws {
        for name in Fixture.mapNames { try check(name, matching: .greedyUnmatched, key: "voc_greedy_unmatched") }
    }

    func testAPFormsHandComputed() {
        // TP, FP, TP with 2 GT: rec [.5, .5, 1], prec [1, .5, 2/3].
        let rec = [0.5, 0.5, 1.0], prec = [1.0, 0.5, 2.0 / 3.0]
        // All-point: envelope [1, 1, 2/3, 2/3] over recall steps .5 and .5 → .5 + 1/3.
        XCTAssertEqual(vocAPAllPoint(recall: rec, precision: prec), 0.5 + 1.0 / 3.0, accuracy: 1e-15)
        // 11-point: t = 0…0.5 (6 points) → 1, t = 0.6…1 (5 points) → 2/3.
        XCTAssertEqual(vocAP11(recall: rec, precision: prec), (6 + 5 * 2.0 / 3.0) / 11, accuracy: 1e-15)
    }

    /// Crowd GT act as VOC "difficult" objects: not counted in npos, and a detection whose
    /// best match is one counts neither as TP nor FP.
    func testCrowdGroundTruthIsDifficultHandComputed() {
        let gt = COCOGroundTruth(
            images: [COCOImage(id: 1)], categories: [COCOCategory(id: 1, name: "person")],
            annotations: [
                COCOAnnotation(id: 1, imageID: 1, categoryID: 1, bbox: (0, 0, 10, 10), area: 100, isCrowd: false),
                COCOAnnotation(id: 2, imageID: 1, categoryID: 1, bbox: (50, 50, 40, 40), area: 1600, isCrowd: true),
            ])
        let dets = [
            COCODetection(imageID: 1, categoryID: 1, bbox: (50, 50, 40, 40), score: 0.9),  // on the crowd: ignored
            COCODetection(imageID: 1, categoryID: 1, bbox: (0, 0, 10, 10), score: 0.8),    // TP
            COCODetection(imageID: 1, categoryID: 1, bbox: (200, 200, 10, 10), score: 0.7), // FP
        ]
        let r = evaluateVOC(groundTruth: gt, detections: dets).perClass[0]
        XCTAssertEqual(r.npos, 1)
        XCTAssertEqual(r.tp, 1)
        // rec [0, 1, 1], prec [0, 1, 1/2] → envelope reaches 1 at recall 1: AP 1 in both forms.
        XCTAssertEqual(r.apAll, 1, accuracy: 1e-15)
        XCTAssertEqual(r.ap11, 1, accuracy: 1e-15)
    }
}
