// Dropout: inverted scaling with a fixed mask, gradient with that mask,
// identity at inference, and the keep rate of random masks.

import XCTest
@testable import FoveaEngine

final class DropoutTests: XCTestCase {
    func testFixedMaskForwardAndGradient() throws {
        let d = Dropout(rate: 0.25, name: "d")
        d.fixedMask = Tensor(shape: [2, 3], data: [1, 0, 1, 1, 1, 0])
        _ = try d.build(inputShape: [3])
        let y = d.forward(Tensor(shape: [2, 3], data: [3, 3, 3, -3, 6, 9]), training: true)
        XCTAssertEqual(y.data, [4, 0, 4, -4, 8, 0])
        try checkLayerGradients(d, inputShape: [2, 3])
    }

    func testIdentityAtInference() throws {
        let d = Dropout(rate: 0.5, name: "d")
        _ = try d.build(inputShape: [4])
        let x = randomTensor([2, 4], seed: 1)
        XCTAssertEqual(d.forward(x, training: false).data, x.data)
    }

    func testRandomMaskKeepsExpectedFraction() throws {
        let d = Dropout(rate: 0.3, name: "d")
        _ = try d.build(inputShape: [10_000])
        let y = d.forward(Tensor(shape: [1, 10_000], repeating: 1), training: true)
        let kept = y.data.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 10_000, 0.7, accuracy: 0.02)
        XCTAssertEqual(kept.first!, 1 / 0.7, accuracy: 1e-6)
        XCTAssertThrowsError(try Dropout(rate: 1, name: "d").build(inputShape: [1]))
    }
}
