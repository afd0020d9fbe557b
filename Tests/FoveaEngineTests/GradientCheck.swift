// Test helper: central finite differences (accumulated in Double) against
// the analytic gradients of layers, losses and models.

import XCTest
@testable import FoveaEngine

/// Deterministic uniform(-scale, scale) values.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SplitMix64(seed: seed)
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
}

/// ‖a - b‖ / max(‖a‖, ‖b‖), the norm-wise relative error.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var diff = 0.0, na = 0.0, nb = 0.0
    for i in a.indices {
        diff += (a[i] - b[i]) * (a[i] - b[i])
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    return diff.squareRoot() / max(na.squareRoot(), nb.squareRoot(), 1e-12)
}

/// Numeric gradient of `f` with respect to every value of `t`.
func numericGradient(of t: Tensor, eps: Float, _ f: () -> Double) -> [Double] {
    var out = [Double](repeating: 0, count: t.count)
    for i in 0..<t.count {
        let saved = t.data[i]
        t.data[i] = saved + eps
        let plus = f()
        t.data[i] = saved - eps
        let minus = f()
        t.data[i] = saved
        out[i] = (plus - minus) / (2 * Double(eps))
    }
    return out
}

/// Checks dL/dInput and dL/dParameter of a layer for L = Σ R ⊙ layer(x), with
/// R a fixed random tensor.
func checkLayerGradients(_ layer: Layer, inputShape: [Int], training: Bool = true, eps: Float = 1e-2,
                         tolerance: Double = 1e-2, seed: UInt64 = 1, inputScale: Float = 1, label: String = "",
                         file: StaticString = #filePath, line: UInt = #line) throws {
    _ = try layer.build(inputShape: Array(inputShape.dropFirst()))
    let x = randomTensor(inputShape, seed: seed, scale: inputScale)
    let y = layer.forward(x, training: training)
    let r = randomTensor(y.shape, seed: seed &+ 100)
    func objective() -> Double {
        let out = layer.forward(x, training: training)
        var s = 0.0
        for i in 0..<out.count { s += Double(out.data[i]) * Double(r.data[i]) }
        return s
    }
    for p in layer.parameters { p.grad.fill(0) }
    _ = layer.forward(x, training: training)
    let analyticInput = layer.backward(r.copy()).data.map(Double.init)
    let analyticParams = layer.parameters.map { $0.grad.data.map(Double.init) }
    let numericInput = numericGradient(of: x, eps: eps, objective)
    let errInput = relativeError(analyticInput, numericInput)
    XCTAssertLessThan(errInput, tolerance, "\(layer.typeName) \(label) input gradient", file: file, line: line)
    for (p, analytic) in zip(layer.parameters, analyticParams) where !p.isState {
        let numeric = numericGradient(of: p.value, eps: eps, objective)
        XCTAssertLessThan(relativeError(analytic, numeric), tolerance,
                          "\(layer.typeName) \(label) \(p.name) gradient", file: file, line: line)
    }
}
