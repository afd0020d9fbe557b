// Canvas primitives checked pixel by pixel against hand-counted shapes and,
// for nearest-neighbour scaling, against Pillow's Image.resize(NEAREST).

import XCTest
import FoveaImage
@testable import FoveaPlot

/// Coordinates of every pixel of `canvas` equal to `color`.
func pixels(of color: RGB, in canvas: Canvas) -> [(x: Int, y: Int)] {
    var out: [(x: Int, y: Int)] = []
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas.pixel(x: x, y: y) == color { out.append((x, y)) }
    }
    return out
}

final class CanvasTests: XCTestCase {
    let ink = RGB(200, 10, 30)

    func testBackgroundAndImageConversion() {
        let c = Canvas(width: 4, height: 3, background: RGB(1, 2, 3))
        XCTAssertEqual(c.image.channels, 3)
        XCTAssertEqual(c.image.pixels.count, 36)
        XCTAssertEqual(Array(c.image.pixels.prefix(6)), [1, 2, 3, 1, 2, 3])
        XCTAssertEqual(Canvas(width: -5, height: 3).image.pixels.count, 0)
        XCTAssertEqual(Canvas(width: 1, height: Int.max).height, Canvas.maxSide)
    }

    func testHorizontalLineColoursExactlyItsPixels() {
        var c = Canvas(width: 12, height: 4)
        c.drawLine(from: Point(x: 0, y: 0), to: Point(x: 9, y: 0), ink)
        let hit = pixels(of: ink, in: c)
        XCTAssertEqual(hit.map(\.x), Array(0...9))
        XCTAssertEqual(Set(hit.map(\.y)), [0])
    }

    func testDiagonalLineIsTheMainDiagonal() {
        var c = Canvas(width: 10, height: 10)
        c.drawLine(from: Point(x: 7, y: 7), to: Point(x: 0, y: 0), ink)
        let hit = pixels(of: ink, in: c)
        XCTAssertEqual(hit.count, 8)
        XCTAssertTrue(hit.allSatisfy { $0.x == $0.y })
    }

    func testSteepLineHasOnePixelPerRowNearTheIdealLine() {
        var c = Canvas(width: 10, height: 14)
        c.drawLine(from: Point(x: 2, y: 1), to: Point(x: 5, y: 11), ink)
        let hit = pixels(of: ink, in: c)
        XCTAssertEqual(hit.map(\.y), Array(1...11))
        for p in hit {
            let ideal = 2 + 3 * Double(p.y - 1) / 10
            XCTAssertLessThanOrEqual(abs(Double(p.x) - ideal), 0.5, "row \(p.y)")
        }
    }

    func testThickLinesHaveExactWidth() {
        var c = Canvas(width: 30, height: 30)
        c.drawLine(from: Point(x: 5, y: 5), to: Point(x: 15, y: 5), ink, thickness: 3)
        let hit3 = pixels(of: ink, in: c)
        XCTAssertEqual(Set(hit3.map(\.y)), [4, 5, 6])
        XCTAssertEqual(hit3.count, 13 * 3)

        var d = Canvas(width: 30, height: 30)
        d.drawLine(from: Point(x: 5, y: 5), to: Point(x: 15, y: 5), ink, thickness: 2)
        let hit2 = pixels(of: ink, in: d)
        XCTAssertEqual(Set(hit2.map(\.y)), [4, 5])
        XCTAssertEqual(hit2.count, 12 * 2)
    }

    func testDashPatternContinuesAcrossPolylineVertices() {
        var c = Canvas(width: 24, height: 3)
        c.drawLine(from: Point(x: 0, y: 0), to: Point(x: 19, y: 0), ink, dash: Dash(on: 3, off: 2))
        XCTAssertEqual(pixels(of: ink, in: c).map(\.x), [0, 1, 2, 5, 6, 7, 10, 11, 12, 15, 16, 17])
        // Same pattern split at x = 6: the second segment starts at step 6 of the pattern, not step 0.
        var d = Canvas(width: 24, height: 3)
        d.drawPolyline([Point(x: 0, y: 1), Point(x: 6, y: 1), Point(x: 19, y: 1)], ink, dash: Dash(on: 3, off: 2))
        XCTAssertEqual(pixels(of: ink, in: d).map(\.x), [0, 1, 2, 5, 6, 7, 10, 11, 12, 15, 16, 17])
    }

    func testFilledRectPixelCountIncludingClippedParts() {
        var c = Canvas(width: 10, height: 10)
        c.fillRect(PixelRect(x: 3, y: 2, width: 5, height: 4), ink)
        XCTAssertEqual(pixels(of: ink, in: c).count, 20)
        var d = Canvas(width: 10, height: 10)
        d.fillRect(PixelRect(x: -3, y: -2, width: 5, height: 4), ink)
        XCTAssertEqual(pixels(of: ink, in: d).count, 4)
        d.fillRect(PixelRect(x: Int.max - 2, y: 0, width: Int.max, height: 3), ink)
        XCTAssertEqual(pixels(of: ink, in: d).count, 4)
    }

    func testStrokeRectIsAHollowOutline() {
        var c = Canvas(width: 10, height: 10)
        c.strokeRect(PixelRect(x: 1, y: 1, width: 5, height: 4), ink)
        XCTAssertEqual(pixels(of: ink, in: c).count, 2 * 5 + 2 * 2)
        XCTAssertEqual(c.pixel(x: 3, y: 2), .white)
    }

    func testFilledCirclesMatchLatticePointCounts() {
        // Lattice points with x² + y² ≤ r², counted by hand: r=1 → 5, r=2 → 13, r=2.5 → 21.
        for (r, expected) in [(1.0, 5), (2.0, 13), (2.5, 21)] {
            var c = Canvas(width: 12, height: 12)
            c.fillCircle(center: Point(x: 6, y: 6), radius: r, ink)
            XCTAssertEqual(pixels(of: ink, in: c).count, expected, "radius \(r)")
        }
    }

    func testMarkersAreCentredOnThePoint() {
        for m in Marker.allCases {
            var c = Canvas(width: 21, height: 21)
            c.drawMarker(m, at: Point(x: 10, y: 10), size: 9, ink)
            let hit = pixels(of: ink, in: c)
            XCTAssertFalse(hit.isEmpty, "\(m)")
            XCTAssertTrue(hit.allSatisfy { abs($0.x - 10) <= 5 && abs($0.y - 10) <= 5 }, "\(m) spills out")
            let meanX = Double(hit.map(\.x).reduce(0, +)) / Double(hit.count)
            XCTAssertEqual(meanX, 10, accuracy: 0.01, "\(m) is symmetric left-right")
        }
    }

    func testNonFiniteAndHugeCoordinatesAreSkippedOrClipped() {
        var c = Canvas(width: 10, height: 10)
        let nan = Double.nan, inf = Double.infinity
        c.drawLine(from: Point(x: nan, y: 0), to: Point(x: 5, y: 5), ink)
        c.drawLine(from: Point(x: 0, y: 0), to: Point(x: inf, y: 5), ink, thickness: 4)
        c.fillCircle(center: Point(x: nan, y: 1), radius: 3, ink)
        c.fillCircle(center: Point(x: 1, y: 1), radius: inf, ink)
        c.drawMarker(.circle, at: Point(x: -inf, y: 2), size: 5, ink)
        c.drawMarker(.square, at: Point(x: 1e300, y: -1e300), size: 5, ink)
        c.drawText("x", x: Int.max - 3, y: 0)
        XCTAssertTrue(pixels(of: ink, in: c).isEmpty)

        c.drawLine(from: Point(x: -1e300, y: 5), to: Point(x: 1e300, y: 5), ink)
        let hit = pixels(of: ink, in: c)
        XCTAssertEqual(hit.count, 10)
        XCTAssertEqual(Set(hit.map(\.y)), [5])
    }

    func testPolylineBreaksAtNaNPoints() {
        var c = Canvas(width: 12, height: 5)
        c.drawPolyline([Point(x: 0, y: 0), Point(x: 4, y: 0), Point(x: .nan, y: 1),
                        Point(x: 6, y: 2), Point(x: 9, y: 2)], ink)
        let hit = pixels(of: ink, in: c)
        XCTAssertEqual(hit.filter { $0.y == 0 }.map(\.x), Array(0...4))
        XCTAssertEqual(hit.filter { $0.y == 2 }.map(\.x), Array(6...9))
        XCTAssertEqual(hit.count, 9)
    }

    func testClipRestrictsDrawing() {
        var c = Canvas(width: 10, height: 10)
        c.withClip(PixelRect(x: 2, y: 3, width: 4, height: 2)) { $0.fillRect($0.bounds, ink) }
        XCTAssertEqual(pixels(of: ink, in: c).count, 8)
        c.fillRect(c.bounds, .black)
        XCTAssertEqual(pixels(of: .black, in: c).count, 100, "clip restored after withClip")
    }

    func testBlitScalesLikePillowNearest() {
        // Pillow: Image.frombytes('L', (3,1), b'\0\1\2').resize((7,1), NEAREST) → [0,0,1,1,1,2,2];
        // (5,1) b'\0\1\2\3\4' resized to (3,1) → [0,2,4].
        let up = Image(width: 3, height: 1, channels: 1, pixels: [0, 1, 2])
        var c = Canvas(width: 7, height: 1)
        c.blit(up, into: c.bounds)
        XCTAssertEqual((0..<7).map { c.pixel(x: $0, y: 0)!.g }, [0, 0, 1, 1, 1, 2, 2])

        let down = Image(width: 5, height: 1, channels: 1, pixels: [0, 1, 2, 3, 4])
        var d = Canvas(width: 3, height: 1)
        d.blit(down, into: d.bounds)
        XCTAssertEqual((0..<3).map { d.pixel(x: $0, y: 0)!.r }, [0, 2, 4])
    }

    func testBlitGrayBlocksRGBAndAlpha() {
        let gray = Image(width: 2, height: 2, channels: 1, pixels: [0, 50, 100, 150])
        var c = Canvas(width: 6, height: 6)
        c.blit(gray, into: PixelRect(x: 1, y: 1, width: 4, height: 4))
        XCTAssertEqual(c.pixel(x: 0, y: 0), .white)
        XCTAssertEqual(c.pixel(x: 1, y: 1), .gray(0))
        XCTAssertEqual(c.pixel(x: 2, y: 2), .gray(0))
        XCTAssertEqual(c.pixel(x: 3, y: 1), .gray(50))
        XCTAssertEqual(c.pixel(x: 1, y: 4), .gray(100))
        XCTAssertEqual(c.pixel(x: 4, y: 4), .gray(150))
        XCTAssertEqual(c.pixel(x: 5, y: 5), .white)

        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [255, 0, 0, 128])
        var e = Canvas(width: 1, height: 1)
        e.blit(rgba, into: e.bounds)
        // 128/255 red over white: 255 * 127/255 = 127 left in green and blue.
        XCTAssertEqual(e.pixel(x: 0, y: 0), RGB(255, 127, 127))

        let rgb = Image(width: 1, height: 1, channels: 3, pixels: [9, 8, 7])
        XCTAssertEqual(Canvas(image: rgb).pixel(x: 0, y: 0), RGB(9, 8, 7))
    }
}
