// Tests of feature-map and filter tiles against hand-computed layer outputs.
import FoveaEngine
import FoveaPlot
import XCTest
@testable import FoveaOCR

final class FeatureMapsTests: XCTestCase {
    func testChannelsBecomeStretchedTilesAndFlatOutputsOneTile() throws {
        // [1, 2, 2, 2]: channel 0 = 0 1 2 3, channel 1 = 5 5 5 5 (constant -> black).
        let output = Tensor(shape: [1, 2, 2, 2], data: [0, 5, 1, 5, 2, 5, 3, 5])
        let tiles = try FeatureMaps.tiles(of: output)
        XCTAssertEqual(tiles.map(\.caption), ["0", "1"])
        XCTAssertEqual(tiles[0].image.pixels, [0, 85, 170, 255])
        XCTAssertEqual(tiles[1].image.pixels, [0, 0, 0, 0])
        let flat = try FeatureMaps.tiles(of: Tensor(shape: [1, 5], data: [4, 0, 2, 1, 3]))
        XCTAssertEqual(flat.count, 1)
        XCTAssertEqual(flat[0].image.width, 3)
        XCTAssertEqual(flat[0].image.height, 2)
        XCTAssertEqual(Array(flat[0].image.pixels.prefix(5)), [255, 0, 128, 64, 191])
    }

    func testLayerOutputAndConvFiltersOfABuiltModel() throws {
        let conv = Conv2D(filters: 2, kernelSize: 1, useBias: false)
        let model = try Sequential(inputShape: [2, 2, 2], layers: [conv, Flatten()])
        // 1x1 kernel [1, 1, in 2, out 2]: filter 0 = (1, 3) -> mean 2, filter 1 = (-1, 1) -> mean 0.
        conv.kernel.value.data = [1, -1, 3, 1]
        let input = Tensor(shape: [1, 2, 2, 2], data: [1, 0, 0, 1, 2, 2, 1, 1])
        let (layer, out) = try FeatureMaps.output(of: "conv2d", in: model, input: input)
        XCTAssertTrue(layer === conv)
        // out[p][o] = x0 * k[0][o] + x1 * k[1][o]
        XCTAssertEqual(out.data, [1, -1, 3, 1, 8, 0, 4, 0])
        let filters = try XCTUnwrap(try FeatureMaps.filterTiles(of: conv))
        XCTAssertEqual(filters.count, 2)
        XCTAssertEqual(filters[0].image.width, 1)
        XCTAssertNil(try FeatureMaps.filterTiles(of: model.layers[1]))
        XCTAssertThrowsError(try FeatureMaps.output(of: "dense", in: model, input: input)) { error in
            XCTAssertTrue("\(error)".contains("conv2d, flatten"), "\(error)")
        }
    }
}
