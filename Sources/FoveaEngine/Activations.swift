// Activation functions (ReLU, sigmoid, tanh, softmax): the fused forward
// used by Conv2D and Dense (bias + activation in one pass), the backward from
// the layer's output, and the standalone ActivationLayer.

import Foundation

public enum Activation: String, Sendable, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax

    /// Parses a Keras activation name ("relu", "softmax", …).
    public init(kerasName: String) throws {
        guard let a = Activation(rawValue: kerasName) else {
            throw EngineError.invalidArgument(
                "unknown activation '\(kerasName)', expected one of \(Activation.allCases.map(\.rawValue))")
        }
        self = a
    }
}

/// A layer whose output passes through an activation. When the loss already
/// returns dLoss/dLogits (softmax fused with cross-entropy), the model sets
/// `fusedSoftmaxGradient` so that backward skips the softmax Jacobian.
public protocol ActivatedLayer: Layer {
    var activation: Activation { get }
    var fusedSoftmaxGradient: Bool { get set }
}

extension Activation {
    /// y = act(x + bias) in place over `rows` rows of `width` values; softmax
    /// works along each row (the last axis, as Keras).
    func applyInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                      bias: UnsafePointer<Float>?) {
        let act = self
        parallelFor(rows, costPerItem: width * (act == .linear || act == .relu ? 1 : 8)) { range in
            for r in range { act.applyRow(p + r * width, width, bias) }
        }
    }

    /// row = row + bias, then max(·, 0) for ReLU, eight lanes at a time.
    @inline(__always)
    private func biasReluRow(_ row: UnsafeMutablePointer<Float>, _ width: Int, _ bias: UnsafePointer<Float>?) {
        let relu = self == .relu
        if !relu && bias == nil { return }
        let zero = Float8(repeating: 0)
        var j = 0
        while j + 8 <= width {
            var v = load8(row + j)
            if let bias { v += load8(bias + j) }
            if relu { v.replace(with: zero, where: v .< zero) }
            store8(v, row + j)
            j += 8
        }
        while j < width {
            var v = row[j]
            if let bias { v += bias[j] }
            row[j] = relu ? Swift.max(v, 0) : v
            j += 1
        }
    }

    @inline(__always)
    private func applyRow(_ row: UnsafeMutablePointer<Float>, _ width: Int, _ bias: UnsafePointer<Float>?) {
        if self == .linear || self == .relu {
            biasReluRow(row, width, bias)
            return
        }
        if let bias {
            for j in 0..<width { row[j] += bias[j] }
        }
        switch self {
        case .linear, .relu:
            break  // handled above, vectorised
        case .sigmoid:
            for j in 0..<width {
                let x = row[j]
                // Two branches keep exp from overflowing for large |x|.
                if x >= 0 {
                    row[j] = 1 / (1 + Foundation.exp(-x))
                } else {
                    let e = Foundation.exp(x)
                    row[j] = e / (1 + e)
                }
            }
        case .tanh:
            for j in 0..<width { row[j] = Foundation.tanh(row[j]) }
        case .softmax:
            var m = -Float.infinity
            for j in 0..<width { m = Swift.max(m, row[j]) }
            var s: Float = 0
            for j in 0..<width {
                let e = Foundation.exp(row[j] - m)
                row[j] = e
                s += e
            }
            let inv = 1 / s
            for j in 0..<width { row[j] *= inv }
        }
    }

    /// Turns dLoss/dOutput into dLoss/dPreactivation in place, from the
    /// activation's output y. `fusedSoftmax` passes the gradient through.
    func backwardInPlace(output y: UnsafePointer<Float>, grad g: UnsafeMutablePointer<Float>,
                         rows: Int, width: Int, fusedSoftmax: Bool) {
        if self == .linear || (self == .softmax && fusedSoftmax) { return }
        let act = self
        if act == .relu {
            reluBackward(y, g, count: rows * width)
            return
        }
        parallelFor(rows, costPerItem: width * 2) { range in
            for r in range {
                let yr = y + r * width
                let gr = g + r * width
                switch act {
                case .linear, .relu:
                    break  // returned early above
                case .sigmoid:
                    for j in 0..<width { gr[j] *= yr[j] * (1 - yr[j]) }
                case .tanh:
                    for j in 0..<width { gr[j] *= 1 - yr[j] * yr[j] }
                case .softmax:
                    var dot: Float = 0
                    for j in 0..<width { dot += gr[j] * yr[j] }
                    for j in 0..<width { gr[j] = yr[j] * (gr[j] - dot) }
                }
            }
        }
    }
}

/// y = max(x, 0) over `count` values, split over threads.
private func reluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    let blocks = (count + 4095) / 4096
    parallelFor(blocks, costPerItem: 4096) { range in
        let zero = Float8(repeating: 0)
        let end = Swift.min(range.upperBound * 4096, count)
        var i = range.lowerBound * 4096
        while i + 8 <= end {
            let v = load8(x + i)
            store8(v.replacing(with: zero, where: v .< zero), y + i)
            i += 8
        }
        while i < end {
            y[i] = Swift.max(x[i], 0)
            i += 1
        }
    }
}

/// g = y > 0 ? g : 0 over `count` values, split over threads.
private func reluBackward(_ y: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int) {
    let blocks = (count + 4095) / 4096
    parallelFor(blocks, costPerItem: 4096) { range in
        let zero = Float8(repeating: 0)
        let end = Swift.min(range.upperBound * 4096, count)
        var i = range.lowerBound * 4096
        while i + 8 <= end {
            let keep = load8(y + i) .> zero
            store8(zero.replacing(with: load8(g + i), where: keep), g + i)
            i += 8
        }
        while i < end {
            g[i] = y[i] > 0 ? g[i] : 0
            i += 1
        }
    }
}

/// Keras `Activation` layer: applies an activation to its input.
public final class ActivationLayer: ActivatedLayer {
    public var name: String
    public var trainable = true
    public var typeName: String { "Activation" }
    public let activation: Activation
    public var fusedSoftmaxGradient = false
    public var parameters: [Parameter] { [] }
    private var output: Tensor?

    public init(_ activation: Activation, name: String? = nil) {
        self.activation = activation
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out: Tensor
        if activation == .relu {
            // The common case reads the input once instead of copying it first.
            out = Tensor(uninitializedShape: input.shape)
            input.data.withUnsafeBufferPointer { x in
                out.data.withUnsafeMutableBufferPointer { y in
                    reluForward(x.baseAddress!, y.baseAddress!, count: y.count)
                }
            }
        } else {
            out = input.copy()
            let width = input.shape.last ?? 1
            out.data.withUnsafeMutableBufferPointer { p in
                activation.applyInPlace(p.baseAddress!, rows: p.count / Swift.max(width, 1), width: width, bias: nil)
            }
        }
        output = out
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let output else { preconditionFailure("\(name): backward before forward") }
        let width = output.shape.last ?? 1
        output.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeMutableBufferPointer { g in
                activation.backwardInPlace(output: y.baseAddress!, grad: g.baseAddress!,
                                           rows: g.count / Swift.max(width, 1), width: width,
                                           fusedSoftmax: fusedSoftmaxGradient)
            }
        }
        return gradOutput
    }
}
