// The built-in font: table coverage, rendered ink versus the glyph art,
// text measurement and the rotation of vertical text.

import XCTest
@testable import FoveaPlot

final class BitmapFontTests: XCTestCase {
    func testTableCoversPrintableASCIIWithDistinctWellFormedGlyphs() {
        XCTAssertEqual(BitmapFont.art.count, 126 - 32 + 1)
        for (i, art) in BitmapFont.art.enumerated() {
            let rows = art.split(separator: " ")
            XCTAssertTrue((7...9).contains(rows.count), "glyph \(i + 32) has \(rows.count) rows")
            XCTAssertTrue(rows.allSatisfy { $0.count == 5 && $0.allSatisfy { "#.".contains($0) } },
                          "glyph \(i + 32) has a malformed row")
        }
        XCTAssertEqual(Set(BitmapFont.glyphs.map(\.rows)).count, 95, "every character looks different")
    }

    func testDrawingAMatchesItsGlyphArt() {
        // "A" art: .###. #...# #...# ##### #...# #...# #...# → 18 ink pixels, 5 wide, 7 tall.
        let art = BitmapFont.art[Int(Character("A").asciiValue!) - 32]
        XCTAssertEqual(art.filter { $0 == "#" }.count, 18)
        for scale in [1, 3] {
            var c = Canvas(width: 40, height: 40)
            c.drawText("A", x: 2, y: 3, scale: scale, color: .black)
            let hit = pixels(of: .black, in: c)
            XCTAssertEqual(hit.count, 18 * scale * scale)
            XCTAssertEqual(hit.map(\.x).min(), 2)
            XCTAssertEqual(hit.map(\.x).max(), 2 + 5 * scale - 1)
            XCTAssertEqual(hit.map(\.y).min(), 3)
            XCTAssertEqual(hit.map(\.y).max(), 3 + 7 * scale - 1)
            XCTAssertEqual(Canvas.measureText("A", scale: scale).width, 5 * scale)
        }
    }

    func testMeasureText() {
        XCTAssertEqual(Canvas.measureText("").width, 0)
        XCTAssertEqual(Canvas.measureText("AB").width, 11)
        let hello = Canvas.measureText("hello", scale: 2)
        XCTAssertEqual(hello.width, (5 * 6 - 1) * 2)
        XCTAssertEqual(hello.height, 9 * 2)
        let v = Canvas.measureText("hello", scale: 2, orientation: .vertical)
        XCTAssertEqual(v.width, 18)
        XCTAssertEqual(v.height, 58)
    }

    func testTextAlignmentPlacesTheBox() {
        var c = Canvas(width: 40, height: 20)
        let box = c.drawText("AB", x: 30, y: 10, align: .right, verticalAlign: .bottom)
        XCTAssertEqual(box, PixelRect(x: 19, y: 1, width: 11, height: 9))
        let hit = pixels(of: .black, in: c)
        XCTAssertEqual(hit.map(\.x).max(), 29)
        XCTAssertEqual(hit.map(\.x).min(), 19)
    }

    func testVerticalTextIsRotatedCounterClockwise() {
        // "L" (stem on the left, foot along the bottom) turned 90° CCW: the stem
        // becomes a horizontal bar along glyph row 4 of the box, the foot a
        // vertical bar at x = 6 rising from it.
        var c = Canvas(width: 20, height: 20)
        let box = c.drawText("L", x: 0, y: 0, orientation: .vertical)
        XCTAssertEqual(box, PixelRect(x: 0, y: 0, width: 9, height: 5))
        let hit = Set(pixels(of: .black, in: c).map { "\($0.x),\($0.y)" })
        let stem = (0...6).map { "\($0),4" }, foot = (0...4).map { "6,\($0)" }
        XCTAssertEqual(hit, Set(stem + foot))
    }

    func testCharactersOutsideASCIIDrawAReplacementBox() {
        var c = Canvas(width: 10, height: 10)
        c.drawText("é", x: 0, y: 0)
        XCTAssertEqual(pixels(of: .black, in: c).count, 5 + 5 + 2 * 5)
    }
}
