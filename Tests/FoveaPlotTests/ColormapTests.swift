// Colour maps: published stop values at the ends, hand-computed interpolation,
// clamping and the colour for missing values.

import XCTest
@testable import FoveaPlot

final class ColormapTests: XCTestCase {
    func testViridisEndsAreThePublishedHexColours() {
        XCTAssertEqual(Colormap.viridis.color(0), RGB(hex: 0x440154))
        XCTAssertEqual(Colormap.viridis.color(1), RGB(hex: 0xFDE725))
    }

    /// Largest per-channel difference between our map and matplotlib's at 33 points.
    func worstDifference(_ map: Colormap, _ reference: [(t: Double, color: RGB)]) -> Int {
        reference.map { t, ref in
            let c = map.color(t)
            return max(abs(Int(c.r) - Int(ref.r)), abs(Int(c.g) - Int(ref.g)), abs(Int(c.b) - Int(ref.b)))
        }.max() ?? .max
    }

    func testStopTablesFollowMatplotlib() {
        // matplotlib truncates to bytes (so up to 1 low) and interpolates 256 entries; our
        // stops are joined by straight lines, which cuts viridis' curve by a few units.
        XCTAssertEqual(ReferenceColormaps.viridis.count, 33)
        XCTAssertLessThanOrEqual(worstDifference(.viridis, ReferenceColormaps.viridis), 5)
        XCTAssertLessThanOrEqual(worstDifference(.blues, ReferenceColormaps.blues), 2)
        XCTAssertGreaterThan(worstDifference(.blues, ReferenceColormaps.viridis), 100, "the check can tell maps apart")
    }

    func testInterpolationBetweenStops() {
        // Halfway between the first two stops #440154 (68,1,84) and #48186A (72,24,106):
        // (70, 12.5, 95), rounded half up.
        XCTAssertEqual(Colormap.viridis.color(1.0 / 32), RGB(70, 13, 95))
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
