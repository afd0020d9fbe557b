// BatchNormalization: gradients in training and inference mode, moving
// statistics update, and the normalisation itself.

import XCTest
@testable import FoveaEngine

final class BatchNormalizationTests: XCTestCase {
    private func randomizeAffine(_ bn: BatchNormalization) {
        bn.gamma.value.data = randomTensor([bn.gamma.value.count], seed: 21).data.map { 1 + $0 * 0.5 }
        bn.beta.value.data = randomTensor([bn.beta.value.count], seed: 22).data
    }

    func testTrainingModeGradients() throws {
        let bn = BatchNormalization(name: "bn")
        _ = try bn.build(inputShape: [3, 3, 4])
        randomizeAffine(bn)
        try checkLayerGradients(bn, inputShape: [3, 3, 3, 4], training: true, eps: 1e-2)
        // 11 channels: the 8-lane vector path and the scalar tail.
        let wide = BatchNormalization(name: "bn")
        _ = try wide.build(inputShape: [2, 11])
        randomizeAffine(wide)
        try checkLayerGradients(wide, inputShape: [4, 2, 11], training: true, eps: 1e-2)
        let dense = BatchNormalization(name: "bn")
        _ = try dense.build(inputShape: [5])
        randomizeAffine(dense)
        try checkLayerGradients(dense, inputShape: [6, 5], training: true, eps: 1e-2)
    }

    func testInferenceModeGradients() throws {
        let bn = BatchNormalization(name: "bn")
        _ = try bn.build(inputShape: [4])
        randomizeAffine(bn)
        bn.movingMean.value.data = [0.1, -0.2, 0.3, 0]
        bn.movingVariance.value.data = [0.5, 2, 1, 0.25]
        try checkLayerGradients(bn, inputShape: [3, 4], training: false)
    }

    /// Two samples per channel: mean and biased variance by hand, Keras
    /// momentum update of the moving statistics.
    func testStatisticsByHand() throws {
        let bn = BatchNormalization(momentum: 0.9, epsilon: 0.001, name: "bn")
        _ = try bn.build(inputShape: [2])
        let x = Tensor(shape: [2, 2], data: [1, 10, 3, 30])
        let y = bn.forward(x, training: true)
        // channel 0: mean 2, var 1; channel 1: mean 20, var 100.
        XCTAssertEqual(y.data[0], -1 / (1.001 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(y.data[3], 10 / (100.001 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(bn.movingMean.value.data[0], 0.2, accuracy: 1e-6)
        XCTAssertEqual(bn.movingMean.value.data[1], 2, accuracy: 1e-5)
        XCTAssertEqual(bn.movingVariance.value.data[0], 0.9 + 0.1, accuracy: 1e-6)
        XCTAssertEqual(bn.movingVariance.value.data[1], 0.9 + 10, accuracy: 1e-4)
        // Inference uses the moving statistics.
        let z = bn.forward(Tensor(shape: [1, 2], data: [1, 10]), training: false)
        XCTAssertEqual(z.data[1], (10 - 2) / (10.9 + 0.001 as Float).squareRoot(), accuracy: 1e-5)
    }

    func testFrozenLayerUsesMovingStatistics() throws {
        let bn = BatchNormalization(name: "bn")
        _ = try bn.build(inputShape: [1])
        bn.trainable = false
        let y = bn.forward(Tensor(shape: [2, 1], data: [4, 6]), training: true)
        XCTAssertEqual(y.data[0], 4 / (1.001 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(bn.movingMean.value.data, [0])
        XCTAssertEqual(bn.parameters.map(\.isState), [false, false, true, true])
    }
}
