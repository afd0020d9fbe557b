// Flatten and Reshape: shapes, -1 inference, gradients passed back unchanged.

import XCTest
@testable import FoveaEngine

final class ShapeLayersTests: XCTestCase {
    func testReshapeInfersMinusOneAndRejectsBadTargets() throws {
        XCTAssertEqual(try Reshape([-1, 4], name: "r").build(inputShape: [2, 6]), [3, 4])
        XCTAssertThrowsError(try Reshape([5], name: "r").build(inputShape: [2, 3]))
        XCTAssertThrowsError(try Reshape([-1, -1], name: "r").build(inputShape: [4]))
    }

    func testGradientsPassThrough() throws {
        try checkLayerGradients(Flatten(name: "f"), inputShape: [2, 3, 2, 2])
        try checkLayerGradients(Reshape([3, 4], name: "r"), inputShape: [2, 12])
    }
}
