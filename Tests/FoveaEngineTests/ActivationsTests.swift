// Activations: the standalone layer's gradients and values against
// closed forms.

import XCTest
import Foundation
@testable import FoveaEngine

final class ActivationsTests: XCTestCase {
    func testActivationLayerGradients() throws {
        for act in Activation.allCases {
            try checkLayerGradients(ActivationLayer(act, name: "a"), inputShape: [3, 2, 5], eps: 1e-3, seed: 5)
        }
    }

    func testValuesAgainstClosedForms() throws {
        let xs: [Float] = [-30, -2, -0.5, 0, 0.5, 2, 30]
        let x = Tensor(shape: [1, 7], data: xs)
        func run(_ a: Activation) throws -> [Float] {
            let l = ActivationLayer(a, name: "a")
            _ = try l.build(inputShape: [7])
            return l.forward(x, training: false).data
        }
        XCTAssertEqual(try run(.relu), [0, 0, 0, 0, 0.5, 2, 30])
        for (v, e) in zip(try run(.sigmoid), xs.map { 1 / (1 + exp(-Double($0))) }) { XCTAssertEqual(Double(v), e, accuracy: 1e-6) }
        for (v, e) in zip(try run(.tanh), xs.map { tanh(Double($0)) }) { XCTAssertEqual(Double(v), e, accuracy: 1e-6) }
        let denom = xs.map { exp(Double($0) - 30) }.reduce(0, +)
        for (v, e) in zip(try run(.softmax), xs.map { exp(Double($0) - 30) / denom }) { XCTAssertEqual(Double(v), e, accuracy: 1e-6) }
    }

    func testUnknownKerasNameIsAnError() {
        XCTAssertThrowsError(try Activation(kerasName: "gelu"))
        XCTAssertEqual(try Activation(kerasName: "relu"), .relu)
    }
}
