// PR curves taken from the precision array: their means are pycocotools' AP50/AP75
// (fixture numbers), and the PNG files are written for every class with GT.
import XCTest
import FoveaImage
@testable import FoveaDetection

final class PRCurveTests: XCTestCase {
    func evaluator(_ name: String) throws -> COCOEvaluator {
        let gt = try COCOGroundTruth(contentsOfFile: Fixture.path("map/\(name)/gt.json"))
        let dets = try COCOResults.load(contentsOfFile: Fixture.path("map/\(name)/detections.json"))
        var ev = try COCOEvaluator(groundTruth: gt, detections: dets)
        ev.evaluate()
        ev.accumulate()
        return ev
    }

    func testCurveMeansArePycocotoolsAP50AndAP75() throws {
        let ev = try evaluator("random_medium")
        let expected = try XCTUnwrap(Fixture.json("map/random_medium/expected.json") as? [String: Any])
        let coco = try XCTUnwrap(expected["coco"] as? [String: Any])
        let stats = doubles(coco["stats"])
        let mean = { (c: [Double]) in c.reduce(0, +) / Double(c.count) }
        // A category is either entirely undefined or entirely defined at area "all", so the
        // mean of the all-class curve is the mean over all defined entries: AP50 and AP75.
        XCTAssertEqual(mean(try XCTUnwrap(ev.precisionCurve(iouIndex: 0))), stats[1], accuracy: 1e-9)
        XCTAssertEqual(mean(try XCTUnwrap(ev.precisionCurve(iouIndex: 5))), stats[2], accuracy: 1e-9)
        for (k, c) in (coco["per_category"] as? [[String: Any]] ?? []).enumerated() {
            let ap50 = number(c["ap50"])
            if let curve = ev.precisionCurve(iouIndex: 0, category: k) {
                XCTAssertEqual(curve.count, 101)
                XCTAssertEqual(mean(curve), ap50, accuracy: 1e-9)
                XCTAssertEqual(curve, curve.sorted(by: >), "interpolated precision never rises with recall")
            } else {
                XCTAssertEqual(ap50, -1, "only categories without GT have no curve")
            }
        }
    }

    func testPlotsWrittenAsPNGForEveryClassWithGroundTruth() throws {
        let ev = try evaluator("random_tiny")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-pr-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let written = try PRCurvePlots.write(evaluator: ev, to: dir, width: 400, height: 300)
        // random_tiny: categories 32, 35, 54, of which only 35 has GT.
        XCTAssertEqual(written.map { ($0 as NSString).lastPathComponent }, ["pr_all.png", "pr_35_class_35.png"])
        for path in written {
            let image = try Image(contentsOf: path)
            XCTAssertEqual(image.width, 400)
            XCTAssertEqual(image.height, 300)
            // Not a blank canvas: the curves and axes put several colours on it.
            var colours = Set<[UInt8]>()
            for i in stride(from: 0, to: image.pixels.count, by: image.channels * 7) {
                colours.insert(Array(image.pixels[i..<(i + image.channels)]))
            }
            XCTAssertGreaterThan(colours.count, 3)
        }
    }
}
