// Box forms, area, clipping, scaling, IoU (against iou_nms_vectors.json) and GIoU (hand-computed).
import XCTest
@testable import FoveaDetection

final class BoxTests: XCTestCase {
    func testIoUPairsMatchReferenceVectors() throws {
        let root = try XCTUnwrap(Fixture.json("iou_nms_vectors.json") as? [String: Any])
        let pairs = try XCTUnwrap(root["iou_pairs"] as? [[String: Any]])
        XCTAssertGreaterThan(pairs.count, 30)
        for p in pairs {
            let a = cornerBox(p["a"]), b = cornerBox(p["b"])
            let expected = number(p["iou"])
            let tag = p["tag"] as? String ?? "?"
            if p["exact"] as? Bool == true {
                XCTAssertEqual(a.iou(b), expected, "\(tag) \(a) \(b)")
                XCTAssertEqual(b.iou(a), expected, "\(tag) swapped")
            } else {
                XCTAssertEqual(a.iou(b), expected, accuracy: 1e-12 * max(1, abs(expected)), tag)
            }
        }
    }

    func testIoUMatrixMatchesReference() throws {
        let root = try XCTUnwrap(Fixture.json("iou_nms_vectors.json") as? [String: Any])
        let matrices = try XCTUnwrap(root["iou_matrices"] as? [[String: Any]])
        for m in matrices {
            let a = (m["boxes_a"] as? [Any] ?? []).map(cornerBox)
            let b = (m["boxes_b"] as? [Any] ?? []).map(cornerBox)
            let expected = (m["iou"] as? [Any] ?? []).flatMap { doubles($0) }
            let got = iouMatrix(a, b)
            XCTAssertEqual(got.count, a.count * b.count)
            for (g, e) in zip(got, expected) { XCTAssertEqual(g, e, accuracy: 1e-12) }
        }
    }

    func testFormsConvertBothWays() {
        let b = Box(x: 10, y: 20, width: 30, height: 40)
        XCTAssertEqual(b.corners, [10, 20, 40, 60])
        XCTAssertEqual(b.coco, [10, 20, 30, 40])
        XCTAssertEqual(b.center, [25, 40, 30, 40])
        XCTAssertEqual(Box(centerX: 25, centerY: 40, width: 30, height: 40), b)
        XCTAssertEqual(b.area, 1200)
        XCTAssertEqual(Box(x1: 5, y1: 5, x2: 3, y2: 9).area, 0, "inverted boxes have no area")
    }

    func testClippingAndScaling() {
        let b = Box(x1: -10, y1: 5, x2: 120, y2: 90)
        XCTAssertEqual(b.clipped(width: 100, height: 80), Box(x1: 0, y1: 5, x2: 100, y2: 80))
        XCTAssertEqual(Box(x1: 150, y1: 10, x2: 200, y2: 20).clipped(width: 100, height: 80).area, 0)
        XCTAssertEqual(b.scaled(x: 0.5, y: 2), Box(x1: -5, y1: 10, x2: 60, y2: 180))
    }

    func testGIoUHandComputed() {
        let a = Box(x1: 0, y1: 0, x2: 2, y2: 2)
        // Identical: IoU 1, hull = union.
        XCTAssertEqual(a.giou(a), 1)
        // Half overlap: inter 2, union 6, hull 2x3 = 6 → 1/3.
        XCTAssertEqual(a.giou(Box(x1: 1, y1: 0, x2: 3, y2: 2)), 1.0 / 3.0, accuracy: 1e-15)
        // Disjoint: inter 0, union 8, hull 2x4 = 8 → 0 - 0 = 0; farther apart: hull 2x6 = 12 → -(12-8)/12.
        XCTAssertEqual(a.giou(Box(x1: 2, y1: 0, x2: 4, y2: 2)), 0, accuracy: 1e-15)
        XCTAssertEqual(a.giou(Box(x1: 4, y1: 0, x2: 6, y2: 2)), -1.0 / 3.0, accuracy: 1e-15)
        // Diagonal corners: union 8, hull 4x4 = 16 → -0.5.
        XCTAssertEqual(a.giou(Box(x1: 2, y1: 2, x2: 4, y2: 4)), -0.5, accuracy: 1e-15)
    }
}
