// Bilinear resize against scipy.ndimage.zoom(order=1, mode="nearest",
// grid_mode=True), the half-pixel-centre convention, computed in float64:
// our rounded 8-bit samples must lie within 0.5 (+ float slack) of it.
import XCTest
@testable import FoveaImage

final class ResizeTests: XCTestCase {
    func testMatchesScipyZoomForUpAndDownScaling() throws {
        let ops = try Fixtures.json("ops.json")
        let image = Image(width: 11, height: 9, channels: 3, pixels: try Fixtures.bytes(base64: ops["source"]))
        let cases = try XCTUnwrap(ops["resizes"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 6)
        for spec in cases {
            let w = try XCTUnwrap(spec["width"] as? Int), h = try XCTUnwrap(spec["height"] as? Int)
            let expected = try Fixtures.floats(spec["expected"])
            let resized = image.resized(width: w, height: h)
            XCTAssertEqual([resized.width, resized.height, resized.channels], [w, h, 3])
            let worst = zip(resized.pixels, expected).map { abs(Float($0) - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 0.5 + 1e-3, "\(w)x\(h)")
        }
    }

    func testSameSizeIsIdentityAndUpscaleOfTwoPixels() {
        let image = Image(width: 3, height: 2, channels: 1, pixels: [0, 50, 100, 200, 150, 250])
        XCTAssertEqual(image.resized(width: 3, height: 2), image)
        // 2 → 4 columns: positions -0.25, 0.25, 0.75, 1.25 → clamp, 1/4, 3/4, clamp (by hand).
        let row = Image(width: 2, height: 1, channels: 1, pixels: [0, 100])
        XCTAssertEqual(row.resized(width: 4, height: 1).pixels, [0, 25, 75, 100])
    }
}
