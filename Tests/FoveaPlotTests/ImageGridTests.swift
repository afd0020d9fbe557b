// ImageGrid: per-map normalisation, size errors, whole-factor nearest
// scaling of each cell, captions.

import XCTest
import FoveaImage
@testable import FoveaPlot

final class ImageGridTests: XCTestCase {
    func testMapsAreStretchedToTheirOwnRange() throws {
        // (v + 1) / 4 * 255 for v = -1, 0, 1, 3 → 0, 63.75, 127.5, 255 → rounded 0, 64, 128, 255.
        let cell = try ImageGrid.Cell(map: [Float(-1), 0, 1, 3], width: 2, height: 2)
        XCTAssertEqual(cell.image.pixels, [0, 64, 128, 255])
        XCTAssertEqual(cell.image.channels, 1)
        XCTAssertEqual(try ImageGrid.Cell(map: [2.0, 2, 2], width: 3, height: 1).image.pixels, [0, 0, 0])
        XCTAssertEqual(try ImageGrid.Cell(map: [Double.nan, 1, 3, .infinity], width: 4, height: 1).image.pixels,
                       [0, 0, 255, 0])
    }

    func testWrongMapSizeIsATypedError() {
        XCTAssertThrowsError(try ImageGrid.Cell(map: [Float](repeating: 0, count: 5), width: 2, height: 2,
                                                caption: "conv2/3")) { error in
            XCTAssertEqual(error as? PlotError, .mapSizeMismatch(caption: "conv2/3", width: 2, height: 2, count: 5))
            XCTAssertTrue("\(error)".contains("conv2/3"))
            XCTAssertTrue("\(error)".contains("2x2"))
        }
        XCTAssertThrowsError(try ImageGrid.Cell(map: [Float](), width: 0, height: 0))
        XCTAssertThrowsError(try ImageGrid.Cell(map: [Float](), width: Int.max, height: 3))
    }

    func testCellsAreScaledByWholeFactorsWithNearestNeighbour() throws {
        let img = Image(width: 3, height: 2, channels: 1, pixels: [0, 40, 80, 120, 160, 200])
        let grid = ImageGrid(cells: [ImageGrid.Cell(image: img, caption: "a"), ImageGrid.Cell(image: img, caption: "b")],
                             title: "maps")
        var c = Canvas(width: 400, height: 200)
        grid.draw(on: &c, in: c.bounds)
        let L = grid.layout(in: c.bounds)
        XCTAssertEqual(L.columns, 2)
        for r in L.imageRects {
            XCTAssertEqual(r.width % 3, 0)
            XCTAssertEqual(r.height % 2, 0)
            let k = r.width / 3
            XCTAssertEqual(r.height / 2, k)
            XCTAssertGreaterThan(k, 10)
            for sy in 0..<2 {
                for sx in 0..<3 {
                    let v = img.pixels[sy * 3 + sx]
                    XCTAssertEqual(c.pixel(x: r.x + sx * k, y: r.y + sy * k), .gray(v))
                    XCTAssertEqual(c.pixel(x: r.x + sx * k + k - 1, y: r.y + sy * k + k - 1), .gray(v))
                }
            }
            // The caption sits in the band just under the image.
            let band = PixelRect(x: r.x, y: r.maxY, width: r.width, height: 14)
            XCTAssertGreaterThan(pixels(of: .black, in: c).filter { band.contains(x: $0.x, y: $0.y) }.count, 5)
        }
        XCTAssertLessThan(L.imageRects[0].maxX, L.imageRects[1].x)
    }

    func testLayoutForManyCellsAndDegenerateInputs() {
        let cells = (0..<10).map { _ in ImageGrid.Cell(image: Image(width: 28, height: 28, channels: 1)) }
        let L = ImageGrid(cells: cells).layout(in: PixelRect(x: 0, y: 0, width: 800, height: 800))
        XCTAssertEqual(L.columns, 4)
        XCTAssertEqual(Set(L.imageRects.map(\.width)).count, 1, "all cells the same size")
        XCTAssertEqual(ImageGrid(cells: cells, columns: 5).layout(in: PixelRect(x: 0, y: 0, width: 800, height: 800)).columns, 5)
        XCTAssertEqual(ImageGrid(cells: []).render(width: 30, height: 30).pixels.count, 30 * 30 * 3)
        XCTAssertEqual(ImageGrid(cells: cells, title: "x").render(width: 5, height: 5).pixels.count, 75)
        let empty = ImageGrid.Cell(image: Image(width: 0, height: 0, channels: 3))
        XCTAssertEqual(ImageGrid(cells: [empty]).render(width: 40, height: 40).pixels.count, 40 * 40 * 3)
    }

    func testLongCaptionsAreTruncatedToFit() {
        let t = ImageGrid.truncate("a very long caption", toWidth: 30, scale: 1)
        XCTAssertEqual(t, "a v..")
        XCTAssertLessThanOrEqual(Canvas.measureText(t).width, 30)
        XCTAssertEqual(ImageGrid.truncate("ok", toWidth: 30, scale: 1), "ok")
    }
}
