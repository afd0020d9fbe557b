// Dense: gradients for every activation, and the forward against a
// hand-computed product.

import XCTest
@testable import FoveaEngine

final class DenseTests: XCTestCase {
    func testGradientsForEveryActivation() throws {
        for act in Activation.allCases {
            try checkLayerGradients(Dense(units: 5, activation: act, name: "d"), inputShape: [4, 6], eps: 1e-3, seed: 11)
        }
        try checkLayerGradients(Dense(units: 3, useBias: false, name: "d"), inputShape: [4, 6])
    }

    func testForwardByHand() throws {
        let d = Dense(units: 2, name: "d")
        XCTAssertEqual(try d.build(inputShape: [3]), [2])
        d.kernel.value.data = [1, 2, 3, 4, 5, 6]  // [[1,2],[3,4],[5,6]]
        d.bias!.value.data = [0.5, -1]
        let y = d.forward(Tensor(shape: [1, 3], data: [1, 0, -1]), training: false)
        XCTAssertEqual(y.data, [1 - 5 + 0.5, 2 - 6 - 1])
    }

    /// One-row batches take the GEMV path; they must agree with the same
    /// rows inside a larger batch, forward and backward.
    func testSingleRowMatchesBatch() throws {
        let d = Dense(units: 7, activation: .tanh, name: "d")
        _ = try d.build(inputShape: [5])
        let x = randomTensor([3, 5], seed: 4)
        let g = randomTensor([3, 7], seed: 5)
        let batch = d.forward(x, training: true).data
        let batchGrad = d.backward(g.copy()).data
        for row in 0..<3 {
            let xr = Tensor(shape: [1, 5], data: Array(x.data[(row * 5)..<(row * 5 + 5)]))
            let y = d.forward(xr, training: true).data
            let dx = d.backward(Tensor(shape: [1, 7], data: Array(g.data[(row * 7)..<(row * 7 + 7)]))).data
            for j in 0..<7 { XCTAssertEqual(y[j], batch[row * 7 + j], accuracy: 1e-6) }
            for j in 0..<5 { XCTAssertEqual(dx[j], batchGrad[row * 5 + j], accuracy: 1e-6) }
        }
    }

    func testGlorotUniformBounds() throws {
        let d = Dense(units: 50, name: "d")
        _ = try d.build(inputShape: [70])
        let limit = (6.0 / 120.0).squareRoot()
        let w = d.kernel.value.data
        XCTAssertLessThanOrEqual(Double(w.map(abs).max()!), limit)
        // Uniform on (-l, l) has variance l²/3.
        let variance = w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)
        XCTAssertEqual(variance, limit * limit / 3, accuracy: limit * limit / 3 * 0.1)
        XCTAssertEqual(d.bias!.value.data, [Float](repeating: 0, count: 50))
    }
}
