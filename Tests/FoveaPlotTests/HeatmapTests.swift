// Heatmap: every cell has the colour-map colour of its value, the colour bar
// runs from max to min, values print only when they fit, confusion matrices.

import XCTest
@testable import FoveaPlot

final class HeatmapTests: XCTestCase {
    func render(_ h: Heatmap, _ w: Int, _ hgt: Int) -> Canvas {
        var c = Canvas(width: w, height: hgt)
        h.draw(on: &c, in: c.bounds)
        return c
    }

    /// Every pixel of the cell, except a one-pixel border, has `color`.
    func assertCell(_ c: Canvas, _ rect: PixelRect, _ color: RGB, _ msg: String, line: UInt = #line) {
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            for x in (rect.x + 1)..<(rect.maxX - 1) where c.pixel(x: x, y: y) != color {
                XCTFail("\(msg): pixel \(x),\(y) is \(c.pixel(x: x, y: y)!), expected \(color)", line: line)
                return
            }
        }
    }

    func testMaxCellHasTopColourAndMinCellBottomColour() {
        let h = Heatmap(values: [[0, 5], [10, 2.5]], rowLabels: ["a", "b"], columnLabels: ["a", "b"],
                        title: "t", showValues: false)
        let c = render(h, 300, 240)
        let L = h.layout(in: c.bounds)
        XCTAssertGreaterThan(L.cellSize, 10)
        assertCell(c, L.cell(row: 1, column: 0), RGB(hex: 0xFDE725), "max → viridis(1)")
        assertCell(c, L.cell(row: 0, column: 0), RGB(hex: 0x440154), "min → viridis(0)")
        // 2.5 of 0…10 is a quarter of the way up the map.
        assertCell(c, L.cell(row: 1, column: 1), Colormap.viridis.color(0.25), "quarter")

        let fixed = Heatmap(values: [[0, 5], [10, 2.5]], valueRange: 0...20, showValues: false)
        let f = render(fixed, 300, 240)
        assertCell(f, fixed.layout(in: f.bounds).cell(row: 1, column: 0), Colormap.viridis.color(0.5), "10 of 0…20 → middle")
    }

    func testColorBarRunsFromMaxAtTopToMinAtBottom() {
        let h = Heatmap(values: [[1, 2], [3, 4]], colormap: .blues)
        let c = render(h, 400, 300)
        let bar = h.layout(in: c.bounds).colorBar
        XCTAssertEqual(c.pixel(x: bar.x + bar.width / 2, y: bar.y), Colormap.blues.color(1))
        XCTAssertEqual(c.pixel(x: bar.x + bar.width / 2, y: bar.maxY - 1), Colormap.blues.color(0))
        // Span 3 / 5 = 0.6 rounds up to a step of 1.
        XCTAssertEqual(h.layout(in: c.bounds).colorBarTicks.values, [1, 2, 3, 4])
    }

    func testValuesArePrintedInContrastingColourOnlyWhenTheyFit() {
        let h = Heatmap(values: [[0, 9], [9, 0]], xLabel: "", yLabel: "")
        let c = render(h, 300, 240)
        let L = h.layout(in: c.bounds)
        // The 0 cell is dark purple: its label is white. The 9 cell is yellow: black text.
        let dark = L.cell(row: 0, column: 0), light = L.cell(row: 0, column: 1)
        let white = pixels(of: .white, in: c).filter { dark.contains(x: $0.x, y: $0.y) }.count
        let black = pixels(of: .black, in: c).filter { light.contains(x: $0.x, y: $0.y) }.count
        // Glyph "0" (.###. #...# #..## #.#.# ##..# #...# .###.) has 19 ink pixels,
        // "9" (.###. #...# #...# .#### ....# ...#. .##..) has 15; scale 1 at this size.
        XCTAssertEqual(white, 19)
        XCTAssertEqual(black, 15)

        let hidden = Heatmap(values: [[0, 9], [9, 0]], showValues: false)
        let d = render(hidden, 300, 240)
        assertCell(d, hidden.layout(in: d.bounds).cell(row: 0, column: 0), RGB(hex: 0x440154), "no text")
        let tiny = Heatmap(values: [[1000, 0], [0, 1000]])
        let t = render(tiny, 60, 60)
        let cell = tiny.layout(in: t.bounds).cell(row: 0, column: 1)
        XCTAssertLessThan(cell.width, 20)
        XCTAssertTrue(pixels(of: .black, in: t).allSatisfy { !cell.contains(x: $0.x, y: $0.y) })
    }

    func testEveryCellOfA47ClassMatrixHasItsColour() {
        let n = 47
        let counts = (0..<n).map { r in (0..<n).map { c in r == c ? 100 + r : (r * 7 + c * 3) % 11 } }
        let labels = (0..<n).map { "c\($0)" }
        var h = Heatmap.confusionMatrix(counts, labels: labels)
        h.showValues = false
        let c = render(h, 640, 600)
        let L = h.layout(in: c.bounds)
        XCTAssertGreaterThanOrEqual(L.cellSize, 8)
        XCTAssertTrue(L.verticalColumnLabels, "3-character labels are wider than a cell")
        let lo = 0.0, hi = 146.0
        for r in 0..<n {
            for col in 0..<n {
                let cell = L.cell(row: r, column: col)
                let expected = Colormap.viridis.color((Double(counts[r][col]) - lo) / (hi - lo))
                XCTAssertEqual(c.pixel(x: cell.x + cell.width / 2, y: cell.y + cell.height / 2), expected)
            }
        }
    }

    func testLabelsOnBothAxesAndColourBarTicks() {
        let labels = ["cat", "dog", "person"]
        let h = Heatmap.confusionMatrix([[5, 1, 0], [2, 6, 1], [0, 0, 9]], labels: labels, title: "")
        let c = render(h, 420, 300)
        let L = h.layout(in: c.bounds)
        let ink = pixels(of: .black, in: c)
        for (r, label) in labels.enumerated() {
            // Right-aligned just left of the matrix, centred on the row.
            let cell = L.cell(row: r, column: 0)
            let w = Canvas.measureText(label).width
            let band = PixelRect(x: L.matrix.x - 3 - w, y: cell.y + cell.height / 2 - 5, width: w, height: 10)
            let found = ink.filter { band.contains(x: $0.x, y: $0.y) }.count
            XCTAssertEqual(found, labelInk(label), "row label \(label)")
        }
        for (col, label) in labels.enumerated() {
            let cell = L.cell(row: 0, column: col)
            let band = PixelRect(x: cell.x, y: L.matrix.maxY, width: cell.width, height: 14)
            XCTAssertEqual(ink.filter { band.contains(x: $0.x, y: $0.y) }.count, labelInk(label), "column label \(label)")
        }
        // Tick labels 0, 2, 4, 6, 8 right of the colour bar.
        XCTAssertEqual(L.colorBarTicks.labels, ["0", "2", "4", "6", "8"])
        let right = ink.filter { $0.x > L.colorBar.maxX + 2 }.count
        XCTAssertEqual(right, L.colorBarTicks.labels.map(labelInk).reduce(0, +))
    }

    /// Ink pixels of a label at scale 1, counted from the font art.
    func labelInk(_ s: String) -> Int {
        s.map { BitmapFont.art[Int($0.asciiValue!) - 32].filter { $0 == "#" }.count }.reduce(0, +)
    }

    func testConfusionMatrixNormalisesRows() {
        let h = Heatmap.confusionMatrix([[3, 1], [0, 0]], labels: ["x", "y"], normalize: true)
        XCTAssertEqual(h.values, [[0.75, 0.25], [0, 0]])
        XCTAssertEqual(h.effectiveRange, 0...1)
        XCTAssertEqual(h.decimals, 2)
        XCTAssertEqual(Heatmap.confusionMatrix([[3, 1]], labels: []).decimals, 0)
        XCTAssertEqual(h.format(0.25, decimals: 2), "0.25")
    }

    func testRaggedNaNAndEmptyMatricesDoNotCrash() {
        let h = Heatmap(values: [[1, .nan], [2]], showValues: true)
        let c = render(h, 200, 200)
        let L = h.layout(in: c.bounds)
        assertCell(c, L.cell(row: 0, column: 1), Colormap.viridis.badColor, "NaN cell")
        assertCell(c, L.cell(row: 1, column: 1), Colormap.viridis.badColor, "missing cell")
        for m in [Heatmap(values: []), Heatmap(values: [[]]), Heatmap(values: [[.infinity]]),
                  Heatmap(values: [[1e308, -1e308], [.greatestFiniteMagnitude, 0]], showValues: true)] {
            XCTAssertEqual(m.render(width: 50, height: 40).pixels.count, 50 * 40 * 3)
            XCTAssertEqual(m.render(width: 0, height: 0).pixels.count, 0)
        }
    }
}
