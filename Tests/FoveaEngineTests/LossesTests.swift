// Losses: values against closed forms and gradients against finite
// differences (cross-entropy through its softmax, as the model uses it).

import XCTest
import Foundation
@testable import FoveaEngine

final class LossesTests: XCTestCase {
    private func softmax(_ z: Tensor) -> Tensor {
        let l = ActivationLayer(.softmax, name: "s")
        return l.forward(z, training: false)
    }

    /// dLoss/dLogits of cross-entropy on softmax probabilities (the fused
    /// gradient) against differences of the loss through the softmax.
    func testSoftmaxCrossEntropyFusedGradient() {
        let z = randomTensor([4, 5], seed: 2, scale: 3)
        let sparse = Tensor(shape: [4], data: [0, 3, 4, 1])
        var oneHot = Tensor(shape: [4, 5])
        for (i, c) in sparse.data.enumerated() { oneHot.data[i * 5 + Int(c)] = 1 }
        oneHot = Tensor(shape: [4, 5], data: oneHot.data.enumerated().map { $0.element * 0.9 + 0.02 })  // smoothed labels
        for (loss, target) in [(SoftmaxCrossEntropy(sparse: true), sparse), (SoftmaxCrossEntropy(sparse: false), oneHot)] {
            XCTAssertTrue(loss.gradientIsForLogits)
            let analytic = loss.compute(prediction: softmax(z), target: target).grad.data.map(Double.init)
            let numeric = numericGradient(of: z, eps: 1e-2) {
                Double(loss.compute(prediction: softmax(z), target: target).loss)
            }
            XCTAssertLessThan(relativeError(analytic, numeric), 1e-2)
        }
    }

    func testFromLogitsGradientAndValue() {
        let z = randomTensor([3, 4], seed: 4, scale: 2)
        let y = Tensor(shape: [3], data: [2, 0, 1])
        let loss = SoftmaxCrossEntropy(sparse: true, fromLogits: true)
        XCTAssertFalse(loss.gradientIsForLogits)
        let analytic = loss.compute(prediction: z, target: y).grad.data.map(Double.init)
        let numeric = numericGradient(of: z, eps: 1e-2) { Double(loss.compute(prediction: z, target: y).loss) }
        XCTAssertLessThan(relativeError(analytic, numeric), 1e-2)
        // -mean log softmax(z)[y], computed in Double.
        var expected = 0.0
        for i in 0..<3 {
            let row = (0..<4).map { Double(z.data[i * 4 + $0]) }
            let lse = log(row.map(exp).reduce(0, +))
            expected += lse - row[Int(y.data[i])]
        }
        XCTAssertEqual(Double(loss.compute(prediction: z, target: y).loss), expected / 3, accuracy: 1e-5)
    }

    func testCrossEntropyIsStableForSaturatedSoftmax() {
        // Logits ±200 give probabilities of exactly 0 and 1 in Float.
        let p = softmax(Tensor(shape: [1, 2], data: [200, -200]))
        let (value, grad) = SoftmaxCrossEntropy(sparse: true).compute(prediction: p, target: Tensor(shape: [1], data: [1]))
        XCTAssertEqual(value, -log(Float(1e-7)), accuracy: 1e-3)  // Keras clips at 1e-7
        XCTAssertEqual(grad.data, [1, -1])
    }

    func testAccuracyAndLabelValidation() throws {
        let p = Tensor(shape: [3, 3], data: [0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.3, 0.4, 0.3])
        let loss = SoftmaxCrossEntropy(sparse: true)
        XCTAssertEqual(loss.accuracy(prediction: p, target: Tensor(shape: [3], data: [0, 2, 0])), 2.0 / 3.0)
        XCTAssertThrowsError(try loss.validate(target: Tensor(shape: [3], data: [0, 3, 1]), predictionShape: [3, 3]))
        XCTAssertThrowsError(try loss.validate(target: Tensor(shape: [2], data: [0, 1]), predictionShape: [3, 3]))
        XCTAssertNoThrow(try loss.validate(target: Tensor(shape: [3, 1], data: [0, 2, 1]), predictionShape: [3, 3]))
    }

    func testMeanSquaredError() {
        let p = randomTensor([3, 4], seed: 6), t = randomTensor([3, 4], seed: 7)
        let (value, grad) = MeanSquaredError().compute(prediction: p, target: t)
        let expected = zip(p.data, t.data).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / 12
        XCTAssertEqual(Double(value), expected, accuracy: 1e-6)
        let numeric = numericGradient(of: p, eps: 1e-2) { Double(MeanSquaredError().compute(prediction: p, target: t).loss) }
        XCTAssertLessThan(relativeError(grad.data.map(Double.init), numeric), 1e-2)
    }

    func testSmoothL1ByHandAndGradient() {
        // d = [0.5, -2, 1.5, 0]: 0.125, 1.5, 1.0, 0 → mean 0.65625.
        let p = Tensor(shape: [1, 4], data: [1.5, -1, 2.5, 3])
        let t = Tensor(shape: [1, 4], data: [1, 1, 1, 3])
        let (value, grad) = SmoothL1().compute(prediction: p, target: t)
        XCTAssertEqual(value, 0.65625, accuracy: 1e-7)
        XCTAssertEqual(grad.data, [0.125, -0.25, 0.25, 0])
        let q = randomTensor([2, 4], seed: 8, scale: 3), u = randomTensor([2, 4], seed: 9)
        let analytic = SmoothL1(beta: 0.5).compute(prediction: q, target: u).grad.data.map(Double.init)
        let numeric = numericGradient(of: q, eps: 1e-3) { Double(SmoothL1(beta: 0.5).compute(prediction: q, target: u).loss) }
        XCTAssertLessThan(relativeError(analytic, numeric), 1e-2)
    }

    func testWingLossByHandAndGradient() {
        // w = 10, ε = 2, d = [1, −12, 0]: 10·ln 1.5 = 4.0546511; 12 − C with
        // C = 10 − 10·ln 6 = −7.9175947 → 19.9175947; 0 → mean 7.9907486.
        let p = Tensor(shape: [1, 3], data: [2, -11, 5])
        let t = Tensor(shape: [1, 3], data: [1, 1, 5])
        let (value, grad) = WingLoss(width: 10, curvature: 2).compute(prediction: p, target: t)
        XCTAssertEqual(value, 7.9907486, accuracy: 1e-5)
        // dL/dd: w/(ε + |d|)·sign / n = 10/3/3; beyond w: sign / n = −1/3; 0 at d = 0.
        XCTAssertEqual(grad.data[0], 10.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(grad.data[1], -1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(grad.data[2], 0)
        let q = randomTensor([2, 4], seed: 8, scale: 3), u = randomTensor([2, 4], seed: 9)
        let wing = WingLoss(width: 1.5, curvature: 0.5)
        let analytic = wing.compute(prediction: q, target: u).grad.data.map(Double.init)
        let numeric = numericGradient(of: q, eps: 1e-3) { Double(wing.compute(prediction: q, target: u).loss) }
        XCTAssertLessThan(relativeError(analytic, numeric), 1e-2)
    }
}
