// Colour maps: published stop values at the ends, hand-computed interpolation,
// clamping and the colour for missing values.

import XCTest
@testable import FoveaPlot

final class ColormapTests: XCTestCase {
    func testViridisEndsAndMiddle() {
        // matplotlib: viridis(0) = (0.267004, 0.004874, 0.329415) → (68, 1, 84);
        // viridis(1) = (0.993248, 0.906157, 0.143936) → (253, 231, 37).
        XCTAssertEqual(Colormap.viridis.color(0), RGB(68, 1, 84))
        XCTAssertEqual(Colormap.viridis.color(1), RGB(253, 231, 37))
        // matplotlib viridis(0.5) = (0.128729, 0.563265, 0.551229) → (33, 144, 141); the table stop is #21908C.
        let mid = Colormap.viridis.color(0.5)
        XCTAssertLessThanOrEqual(abs(Int(mid.r) - 33) + abs(Int(mid.g) - 144) + abs(Int(mid.b) - 141), 3)
    }

    func testInterpolationBetweenStops() {
        // Halfway between #440154 (68,1,84) and #472D7B (71,45,123): (69.5, 23, 103.5), rounded half up.
        XCTAssertEqual(Colormap.viridis.color(1.0 / 16), RGB(70, 23, 104))
        let twoStop = Colormap(stops: [RGB(0, 0, 0), RGB(200, 100, 50)])
        XCTAssertEqual(twoStop.color(0.25), RGB(50, 25, 13))
        XCTAssertEqual(Colormap.gray.color(0.5), RGB(128, 128, 128))
    }

    func testClampingAndBadValues() {
        XCTAssertEqual(Colormap.blues.color(-3), RGB(hex: 0xF7FBFF))
        XCTAssertEqual(Colormap.blues.color(7), RGB(hex: 0x08306B))
        XCTAssertEqual(Colormap.viridis.color(.nan), Colormap.viridis.badColor)
        XCTAssertEqual(Colormap.viridis.color(.infinity), Colormap.viridis.badColor)
    }

    func testViridisLuminanceRisesMonotonically() {
        let l = (0...64).map { Colormap.viridis.color(Double($0) / 64).luminance }
        XCTAssertTrue(zip(l, l.dropFirst()).allSatisfy { $0 < $1 })
    }
}
