// LineChart layout and rendering: data lands on the pixel the axis mapping
// predicts, ranges widen to nice ticks, colours, legends, panels, bad data.

import XCTest
import FoveaImage
@testable import FoveaPlot

final class LineChartTests: XCTestCase {
    func canvas(_ chart: some Chart, _ w: Int, _ h: Int) -> Canvas {
        var c = Canvas(width: w, height: h)
        chart.draw(on: &c, in: c.bounds)
        return c
    }

    func testDataPointLandsOnTheExpectedPixel() {
        let red = RGB(230, 0, 0)
        let chart = LineChart(series: [Series(name: "", x: [0.25], y: [0.75], color: red, lineWidth: 1, marker: .square)],
                              xRange: 0...1, yRange: 0...1, showGrid: false, legend: .none)
        let c = canvas(chart, 400, 300)
        let plot = chart.layout(in: c.bounds).plotArea
        // The frame is drawn on the plot area's border.
        XCTAssertEqual(c.pixel(x: plot.x, y: plot.y), .axisGray)
        XCTAssertEqual(c.pixel(x: plot.maxX - 1, y: plot.maxY - 1), .axisGray)
        // x = 0.25 is a quarter of the way from the left column to the right one,
        // y = 0.75 a quarter of the way down from the top row.
        let px = Int((Double(plot.x) + 0.25 * Double(plot.width - 1)).rounded())
        let py = Int((Double(plot.y) + 0.25 * Double(plot.height - 1)).rounded())
        XCTAssertEqual(c.pixel(x: px, y: py), red)
        let hit = pixels(of: red, in: c)
        let cx = Double(hit.map(\.x).reduce(0, +)) / Double(hit.count)
        let cy = Double(hit.map(\.y).reduce(0, +)) / Double(hit.count)
        XCTAssertEqual(cx, Double(px), accuracy: 0.5)
        XCTAssertEqual(cy, Double(py), accuracy: 0.5)
    }

    func testAutomaticRangesWidenToNiceTicks() {
        let epochs = (1...20).map(Double.init)
        let chart = LineChart(series: [Series(name: "loss", x: epochs, y: epochs.map { 0.1 + 2 / $0 })])
        let l = chart.layout(in: PixelRect(x: 0, y: 0, width: 640, height: 480))
        XCTAssertEqual(l.xRange, 0...20)
        XCTAssertEqual(l.yRange, 0...2.5)
        XCTAssertEqual(l.xTicks.values, [0, 5, 10, 15, 20])
        XCTAssertEqual(l.yTicks.values, [0, 0.5, 1, 1.5, 2, 2.5])
    }

    func testSeriesTakeDistinctPaletteColoursAndLegendNamesThem() {
        let a = Series(name: "train", x: [0, 1], y: [0, 1]), b = Series(name: "validation", x: [0, 1], y: [1, 0])
        let c = canvas(LineChart(series: [a, b], legend: .topRight), 500, 400)
        XCTAssertEqual(Palette.color(0), RGB(0x1F, 0x77, 0xB4))
        XCTAssertEqual(Palette.color(1), RGB(0xFF, 0x7F, 0x0E))
        XCTAssertFalse(pixels(of: Palette.color(0), in: c).isEmpty)
        XCTAssertFalse(pixels(of: Palette.color(1), in: c).isEmpty)
        XCTAssertEqual(Palette.color(10), Palette.color(0))

        // The legend writes black text inside the plot area; without it there is none there.
        func textInside(_ chart: LineChart) -> Int {
            let c = canvas(chart, 500, 400)
            let p = chart.layout(in: c.bounds).plotArea.inset(left: 2, top: 2, right: 2, bottom: 2)
            return pixels(of: .black, in: c).filter { p.contains(x: $0.x, y: $0.y) }.count
        }
        XCTAssertGreaterThan(textInside(LineChart(series: [a, b], legend: .topRight)), 50)
        XCTAssertEqual(textInside(LineChart(series: [a, b], legend: .none)), 0)
        // An outside legend narrows the plot area and puts the names right of it.
        let outside = LineChart(series: [a, b], legend: .outsideRight)
        let plotOutside = outside.layout(in: PixelRect(x: 0, y: 0, width: 500, height: 400)).plotArea
        let plotInside = LineChart(series: [a, b]).layout(in: PixelRect(x: 0, y: 0, width: 500, height: 400)).plotArea
        XCTAssertLessThan(plotOutside.width, plotInside.width)
        XCTAssertGreaterThan(pixels(of: .black, in: canvas(outside, 500, 400)).filter { $0.x > plotOutside.maxX }.count, 50)
    }

    func testBestLegendAvoidsTheData() throws {
        let rect = PixelRect(x: 0, y: 0, width: 500, height: 400)
        func corner(_ y: [Double]) -> PixelRect? {
            let chart = LineChart(series: [Series(name: "s", x: [0, 1], y: y)], xRange: 0...1, yRange: 0...1)
            return chart.layout(in: rect).legendBox
        }
        let plot = LineChart(series: [Series(name: "s", x: [0, 1], y: [0, 1])]).layout(in: rect).plotArea
        // A rising diagonal crosses the top-right and bottom-left corners: the
        // legend goes top left. A falling one leaves the top right free.
        let rising = try XCTUnwrap(corner([0, 1])), falling = try XCTUnwrap(corner([1, 0]))
        XCTAssertLessThan(rising.x, plot.x + plot.width / 2)
        XCTAssertLessThan(rising.y, plot.y + plot.height / 2)
        XCTAssertGreaterThan(falling.x, plot.x + plot.width / 2)
        XCTAssertLessThan(falling.y, plot.y + plot.height / 2)
        XCTAssertNil(LineChart(series: [Series(name: "", y: [1, 2])]).layout(in: rect).legendBox, "no names, no legend")
    }

    func testPaletteSkipsExplicitColoursAndRepeatsGetDashed() {
        var series = (0..<12).map { Series(name: "c\($0)", y: [Double($0), 1]) }
        series.insert(Series(name: "all", y: [0, 0], color: .black), at: 3)
        let chart = LineChart(series: series)
        XCTAssertEqual(chart.color(of: 4), Palette.color(3))
        XCTAssertEqual(chart.style(of: 3), .solid)
        XCTAssertEqual(chart.style(of: 10), .solid)
        XCTAssertEqual(chart.color(of: 11), Palette.color(0))
        XCTAssertEqual(chart.style(of: 11), .dashed)
        XCTAssertEqual(Series(name: "loss", y: [3, 2, 1]).x, [1, 2, 3])
    }

    func testBadDataNeverCrashesAndFiniteDataStillDraws() {
        let green = RGB(0, 160, 0)
        let chart = LineChart(title: "bad", xLabel: "x", yLabel: "y", series: [
            Series(name: "nan", x: [0, 1, .nan, 3, 4], y: [1, .infinity, 2, -.infinity, 3], marker: .circle),
            Series(name: "huge", x: [0, 1e300], y: [-1e300, 1e308]),
            Series(name: "short", x: [1, 2, 3], y: [1]),
            Series(name: "empty", x: [], y: []),
            Series(name: "ok", x: [0, 4], y: [1, 3], color: green),
        ], xRange: 1...1)
        for (w, h) in [(300, 200), (20, 10), (1, 1), (0, 0)] {
            let img = chart.render(width: w, height: h)
            XCTAssertEqual(img.width, w)
            XCTAssertEqual(img.height, h)
        }
        XCTAssertFalse(pixels(of: green, in: canvas(chart, 300, 200)).isEmpty)
        let allNaN = LineChart(series: [Series(name: "n", x: [.nan], y: [.nan])])
        XCTAssertEqual(allNaN.layout(in: PixelRect(x: 0, y: 0, width: 100, height: 100)).xRange, 0...1)
    }

    func testExtremeValuesAndRangesNeverTrap() {
        let values: [Double] = [0, 1, -1, 1e300, -1e300, 1e-300, .nan, .infinity, -.infinity,
                                .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.5]
        let ranges: [ClosedRange<Double>?] = [nil, 0...1, 0...1e-300, -1e308...1e308, 5...5, 1e300...1e301]
        for xr in ranges {
            for yr in ranges {
                let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                                      series: [Series(name: "a", x: values, y: values.reversed(), marker: .circle),
                                               Series(name: "b", x: values.shuffled(), y: values)],
                                      xRange: xr, yRange: yr)
                XCTAssertEqual(chart.render(width: 120, height: 90).pixels.count, 120 * 90 * 3)
            }
        }
    }

    func testPanelsPutChartsSideBySide() {
        let red = RGB(220, 0, 0), blue = RGB(0, 0, 220)
        func chart(_ c: RGB) -> LineChart {
            LineChart(series: [Series(name: "", x: [0, 1], y: [0, 1], color: c)], legend: .none)
        }
        let c = canvas(Panels([chart(red), chart(blue)], columns: 2, title: "two"), 600, 300)
        let r = pixels(of: red, in: c), b = pixels(of: blue, in: c)
        XCTAssertFalse(r.isEmpty)
        XCTAssertFalse(b.isEmpty)
        XCTAssertTrue(r.allSatisfy { $0.x < 300 })
        XCTAssertTrue(b.allSatisfy { $0.x >= 300 })
    }
}
