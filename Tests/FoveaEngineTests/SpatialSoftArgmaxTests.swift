// SpatialSoftArgmax: gradients by finite differences, the forward against a
// hand-computed expectation (with logits that overflow without the max
// subtracted), and the grid surviving a model file.
import Foundation
import XCTest
@testable import FoveaEngine

final class SpatialSoftArgmaxTests: XCTestCase {
    func testGradients() throws {
        try checkLayerGradients(SpatialSoftArgmax(x0: -1, dx: 0.5, y0: -0.75, dy: 0.25, name: "s"),
                                inputShape: [2, 3, 4, 3], seed: 21)
        // Sharper maps, as a trained model gives.
        try checkLayerGradients(SpatialSoftArgmax(x0: 2, dx: -1, y0: 0, dy: 1.5, name: "s"),
                                inputShape: [3, 4, 4, 2], eps: 2e-3, seed: 22, inputScale: 4, label: "sharp")
    }

    func testForwardByHandInterleavesXAndY() throws {
        // Cells (row, column): (0, 0) at (10, −1), (0, 1) at (12, −1), (1, 0) at (10, 3), (1, 1) at (12, 3).
        let layer = SpatialSoftArgmax(x0: 10, dx: 2, y0: -1, dy: 4, name: "s")
        XCTAssertEqual(try layer.build(inputShape: [2, 2, 2]), [4])
        // Channel 0: weights 1/8, 1/8, 1/8, 5/8. Channel 1: equal logits of
        // 1000 (exp overflows unless the max is subtracted), so the grid's centre.
        let log5 = Float(log(5.0))
        let x = Tensor(shape: [1, 2, 2, 2], data: [0, 1000, 0, 1000, 0, 1000, log5, 1000])
        let y = layer.forward(x, training: false)
        XCTAssertEqual(y.shape, [1, 4])
        let expected: [Float] = [10 * 2 / 8 + 12 * 6 / 8, -1 * 2 / 8 + 3 * 6 / 8, 11, 1]
        for (a, b) in zip(y.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testNonMapInputIsRefused() {
        XCTAssertThrowsError(try SpatialSoftArgmax(x0: 0, dx: 1, y0: 0, dy: 1, name: "s").build(inputShape: [16, 10]))
        XCTAssertThrowsError(try SpatialSoftArgmax(x0: .nan, dx: 1, y0: 0, dy: 1, name: "s").build(inputShape: [2, 2, 1]))
    }

    func testGridSurvivesTheArchitectureJSON() throws {
        let model = try Sequential(inputShape: [8, 8, 1], layers: [
            Conv2D(filters: 3, kernelSize: 1, name: "logits"),
            SpatialSoftArgmax(x0: -0.953125, dx: 0.125, y0: -0.953125, dy: 1, name: "points"),
        ])
        let rebuilt = try ModelFile.buildModel(architecture: try ModelFile(model: model).architectureJSON(), source: "t")
        let layer = try XCTUnwrap(rebuilt.layers.last as? SpatialSoftArgmax)
        XCTAssertEqual([layer.x0, layer.dx, layer.y0, layer.dy], [-0.953125, 0.125, -0.953125, 1])
        XCTAssertEqual(rebuilt.outputShape, [6])
        XCTAssertThrowsError(try LayerRegistry.make(typeName: "SpatialSoftArgmax", config: ["x0": 0.0, "dx": 1.0, "y0": 0.0])) { error in
            XCTAssertTrue("\(error)".contains("'dy'"), "\(error)")
        }
    }
}
