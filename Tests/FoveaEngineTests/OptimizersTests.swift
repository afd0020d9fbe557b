// Optimizers: three updates of a 3-value parameter with fixed gradients,
// against Keras 3.15.1 (TensorFlow 2.21) run on the same numbers:
//   v = tf.Variable([1, -2, 0.5]); opt.apply_gradients([(g, v)]) for each g
// plus hand-computed first steps, frozen layers and state parameters.

import XCTest
@testable import FoveaEngine

final class OptimizersTests: XCTestCase {
    private let grads: [[Float]] = [[0.5, -1, 2], [0.1, 0.3, -0.2], [-0.4, 0, 1]]

    /// The 3-value problem repeated 5 times in one 15-value parameter (so
    /// both the 8-lane vector path and the scalar tail run); each copy must
    /// follow the same trajectory.
    private func run(_ opt: Optimizer, copies: Int = 5, file: StaticString = #filePath, line: UInt = #line) -> [[Float]] {
        let p = Parameter(name: "w", value: Tensor(shape: [3 * copies], data: Array([[Float]](repeating: [1, -2, 0.5], count: copies).joined())))
        return grads.map { g in
            p.grad.data = Array([[Float]](repeating: g, count: copies).joined())
            opt.step([p])
            let first = Array(p.value.data[0..<3])
            for k in 1..<copies where Array(p.value.data[(3 * k)..<(3 * k + 3)]) != first {
                XCTFail("copy \(k) diverged", file: file, line: line)
                break
            }
            return first
        }
    }

    private func assertClose(_ got: [[Float]], _ want: [[Float]], _ label: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        for (s, (a, b)) in zip(got, want).enumerated() {
            for (x, y) in zip(a, b) {
                XCTAssertEqual(x, y, accuracy: 2e-6, "\(label) step \(s + 1)", file: file, line: line)
            }
        }
    }

    func testSGDMatchesKeras() {
        // Hand check of step 1 without momentum: w - 0.1·g.
        XCTAssertEqual(run(SGD(learningRate: 0.1))[0], [0.95, -1.9, 0.3])
        assertClose(run(SGD(learningRate: 0.1, momentum: 0.9)),
                    [[0.95, -1.9, 0.3], [0.895, -1.84, 0.14], [0.8855, -1.786, -0.104]], "momentum")
        assertClose(run(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)),
                    [[0.905, -1.81, 0.12], [0.8455, -1.786, -0.004], [0.87695, -1.7374, -0.3236]], "nesterov")
        assertClose(run(SGD(learningRate: 0.1, weightDecay: 0.1)),
                    [[0.94, -1.88, 0.295], [0.9206, -1.8912, 0.31205], [0.951394, -1.872288, 0.2089295]], "weight decay")
    }

    func testAdamMatchesKeras() {
        // Step 1 by hand: m̂/√v̂ = sign(g), so w moves by lr = 0.01.
        assertClose(run(Adam(learningRate: 0.01)),
                    [[0.99, -1.99, 0.49], [0.98196983, -1.9857217, 0.48407364], [0.98103285, -1.9824145, 0.4771251]], "adam")
        // 40,002 values: the update is split into blocks over threads.
        let saved = Engine.threads
        Engine.setThreads(2)
        assertClose(run(Adam(learningRate: 0.01), copies: 13_334),
                    [[0.99, -1.99, 0.49], [0.98196983, -1.9857217, 0.48407364], [0.98103285, -1.9824145, 0.4771251]], "adam, blocks")
        Engine.setThreads(saved)
        assertClose(run(Adam(learningRate: 0.01, weightDecay: 0.1)),
                    [[0.989, -1.988, 0.4895], [0.97998083, -1.9817337, 0.48308414], [0.9780639, -1.9764447, 0.4756525]], "adamw")
    }

    func testRMSpropMatchesKeras() {
        // Step 1 by hand: v = 0.1·g², update lr·g/√(0.1·g²) = lr·√10·sign(g) = 0.0316228.
        assertClose(run(RMSprop(learningRate: 0.01)),
                    [[0.9683773, -1.9683772, 0.46837723], [0.96185404, -1.9779118, 0.4716922], [0.982607, -1.9779118, 0.45639962]], "rmsprop")
        assertClose(run(RMSprop(learningRate: 0.01, momentum: 0.5)),
                    [[0.9683773, -1.9683772, 0.46837723], [0.94604266, -1.9621005, 0.4558808], [0.9556283, -1.958962, 0.43434003]], "momentum")
    }

    func testL2RegularisesKernelsOnly() {
        // Loss gains λ·Σw², so dL/dw gains 2λw: with λ = 0.01, w = [1, -2],
        // g = [0.5, 0.5], plain SGD at lr 0.1 gives w - 0.1·(g + 0.02·w).
        let kernel = Parameter(name: "kernel", value: Tensor(shape: [2], data: [1, -2]))
        let bias = Parameter(name: "bias", value: Tensor(shape: [2], data: [1, -2]))
        kernel.grad.data = [0.5, 0.5]
        bias.grad.data = [0.5, 0.5]
        SGD(learningRate: 0.1, l2: 0.01).step([kernel, bias])
        XCTAssertEqual(kernel.value.data[0], 0.948, accuracy: 1e-6)
        XCTAssertEqual(kernel.value.data[1], -2.046, accuracy: 1e-6)
        XCTAssertEqual(bias.value.data, [0.95, -2.05], "biases are not regularised")
        // Adam's first step moves by lr·sign(g_eff): g_eff = 0.5 - 0.04 > 0 for w = -2, λ = 0.01.
        let k2 = Parameter(name: "kernel", value: Tensor(shape: [1], data: [-2]))
        k2.grad.data = [0.5]
        Adam(learningRate: 0.01, l2: 0.01).step([k2])
        XCTAssertEqual(k2.value.data[0], -2.01, accuracy: 1e-6)
        // With λ large enough the regulariser flips the sign: g_eff = 0.5 - 4·0.2 < 0.
        let k3 = Parameter(name: "kernel", value: Tensor(shape: [1], data: [-2]))
        k3.grad.data = [0.5]
        Adam(learningRate: 0.01, l2: 0.2).step([k3])
        XCTAssertEqual(k3.value.data[0], -1.99, accuracy: 1e-6)
    }

    func testStateParametersAreNeverUpdated() {
        let state = Parameter(name: "moving_mean", value: Tensor(shape: [2], data: [1, 2]), isState: true)
        state.grad.data = [5, 5]
        for opt: Optimizer in [SGD(learningRate: 1), Adam(), RMSprop()] { opt.step([state]) }
        XCTAssertEqual(state.value.data, [1, 2])
    }

    func testScheduleDrivesTheStepSize() {
        let opt = SGD(learningRate: 1, schedule: .step(every: 2, factor: 0.5))
        let p = Parameter(name: "w", value: Tensor(shape: [1], data: [0]))
        p.grad.data = [1]
        var trace: [Float] = []
        for _ in 0..<4 { opt.step([p]); trace.append(p.value.data[0]) }
        XCTAssertEqual(trace, [-1, -2, -2.5, -3])
        XCTAssertEqual(opt.iterations, 4)
    }
}
