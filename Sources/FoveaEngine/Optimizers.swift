// Optimizers with Keras's update rules: SGD (momentum, Nesterov), Adam and
// RMSprop, each with a learning-rate schedule and two kinds of weight decay:
// Keras-style decoupled decay (w -= lr · weightDecay · w before the update) and
// classic L2 regularisation of kernels (as Keras's kernel_regularizer=l2(λ):
// the loss gains λ·Σw², so the gradient gains 2λw, and adaptive optimizers
// scale it like any gradient). State parameters (BatchNormalization moving
// statistics) are never updated.

import CFoveaKernels
import Foundation

public protocol Optimizer: AnyObject {
    /// Applies one update to each parameter from its `grad`.
    func step(_ params: [Parameter])
    /// Number of updates applied so far.
    var iterations: Int { get }
    /// The rate the next update will use.
    var currentLearningRate: Float { get }
}

/// Per-parameter slots (momentum, moments) keyed by the parameter's
/// identity; each slot keeps its parameter alive so an identifier is never reused.
struct OptimizerSlots {
    private struct Slot {
        let owner: Parameter
        var values: [Float]
    }
    private var slots: [ObjectIdentifier: Slot] = [:]

    /// `count` is passed in: the caller holds the parameter's buffer open.
    mutating func with<R>(_ p: Parameter, count: Int, _ body: (UnsafeMutableBufferPointer<Float>) -> R) -> R {
        let key = ObjectIdentifier(p)
        if slots[key] == nil { slots[key] = Slot(owner: p, values: [Float](repeating: 0, count: count)) }
        return slots[key]!.values.withUnsafeMutableBufferPointer { body($0) }
    }
}

/// Applies `update(value, grad, count)` to every non-state parameter after
/// weight decay; with `l2` > 0 a kernel's gradient first gains 2·l2·w.
private func forEachTrainable(_ params: [Parameter], lr: Float, weightDecay: Float, l2: Float = 0,
                              _ update: (Parameter, UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) {
    for p in params where !p.isState {
        p.value.data.withUnsafeMutableBufferPointer { w in
            p.grad.data.withUnsafeMutableBufferPointer { g in
                if l2 != 0 && p.name == "kernel" {
                    let k = 2 * l2
                    for i in 0..<w.count { g[i] += k * w[i] }
                }
                if weightDecay != 0 {
                    let f = 1 - lr * weightDecay
                    for i in 0..<w.count { w[i] *= f }
                }
                update(p, w.baseAddress!, UnsafePointer(g.baseAddress!), w.count)
            }
        }
    }
}

/// Runs `body(lo, hi)` over 0..<n in blocks spread over the engine's
/// threads: updates are memory-bound, and a big kernel is megabytes per array.
@inline(__always)
private func forBlocks(_ n: Int, _ body: (Int, Int) -> Void) {
    let block = 16_384
    parallelFor((n + block - 1) / block, costPerItem: block * 4) { range in
        body(range.lowerBound * block, min(range.upperBound * block, n))
    }
}

/// Keras SGD: v = momentum·v - lr·g; w += v, or with Nesterov w += momentum·v - lr·g.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    /// L2 regularisation factor λ of kernels (Keras `regularizers.l2(λ)`).
    public let l2: Float
    public var schedule: LearningRateSchedule
    public private(set) var iterations = 0
    private var velocity = OptimizerSlots()

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0, l2: Float = 0, schedule: LearningRateSchedule = .constant) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.l2 = l2
        self.schedule = schedule
    }

    public var currentLearningRate: Float { schedule.rate(base: learningRate, step: iterations) }

    public func step(_ params: [Parameter]) {
        let lr = currentLearningRate
        let (mu, nesterov) = (momentum, self.nesterov)
        forEachTrainable(params, lr: lr, weightDecay: weightDecay, l2: l2) { p, w, g, n in
            if mu == 0 {
                forBlocks(n) { lo, hi in
                    var i = lo
                    while i + 8 <= hi {
                        store8(load8(w + i) - lr * load8(g + i), w + i)
                        i += 8
                    }
                    while i < hi {
                        w[i] -= lr * g[i]
                        i += 1
                    }
                }
                return
            }
            velocity.with(p, count: n) { vb in
                let v = vb.baseAddress!
                forBlocks(n) { lo, hi in
                    var i = lo
                    while i + 8 <= hi {
                        let gi = load8(g + i)
                        let vi = mu * load8(v + i) - lr * gi
                        store8(vi, v + i)
                        store8(load8(w + i) + (nesterov ? mu * vi - lr * gi : vi), w + i)
                        i += 8
                    }
                    while i < hi {
                        v[i] = mu * v[i] - lr * g[i]
                        w[i] += nesterov ? mu * v[i] - lr * g[i] : v[i]
                        i += 1
                    }
                }
            }
        }
        iterations += 1
    }
}

/// Keras Adam: m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
/// w -= lr·√(1-β2^t)/(1-β1^t) · m / (√v + ε).
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// L2 regularisation factor λ of kernels (Keras `regularizers.l2(λ)`).
    public let l2: Float
    public var schedule: LearningRateSchedule
    public private(set) var iterations = 0
    private var m = OptimizerSlots()
    private var v = OptimizerSlots()

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                weightDecay: Float = 0, l2: Float = 0, schedule: LearningRateSchedule = .constant) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.l2 = l2
        self.schedule = schedule
    }

    public var currentLearningRate: Float { schedule.rate(base: learningRate, step: iterations) }

    public func step(_ params: [Parameter]) {
        let lr = currentLearningRate
        let t = Float(iterations + 1)
        let alpha = lr * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t))
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        forEachTrainable(params, lr: lr, weightDecay: weightDecay, l2: l2) { p, w, g, n in
            m.with(p, count: n) { mb in
                v.with(p, count: n) { vb in
                    let m = mb.baseAddress!, v = vb.baseAddress!
                    forBlocks(n) { lo, hi in
                        fovea_adam_update(w + lo, g + lo, m + lo, v + lo, hi - lo, b1, b2, alpha, eps)
                    }
                }
            }
        }
        iterations += 1
    }
}

/// Keras RMSprop: v = ρ·v + (1-ρ)·g²; with momentum μ > 0, m = μ·m + lr·g/√(v+ε)
/// and w -= m, else w -= lr·g/√(v + ε).
public final class RMSprop: Optimizer {
    public var learningRate: Float
    public let rho: Float
    public let momentum: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// L2 regularisation factor λ of kernels (Keras `regularizers.l2(λ)`).
    public let l2: Float
    public var schedule: LearningRateSchedule
    public private(set) var iterations = 0
    private var velocity = OptimizerSlots()
    private var moment = OptimizerSlots()

    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                weightDecay: Float = 0, l2: Float = 0, schedule: LearningRateSchedule = .constant) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.l2 = l2
        self.schedule = schedule
    }

    public var currentLearningRate: Float { schedule.rate(base: learningRate, step: iterations) }

    public func step(_ params: [Parameter]) {
        let lr = currentLearningRate
        let (rho, mu, eps) = (self.rho, momentum, epsilon)
        forEachTrainable(params, lr: lr, weightDecay: weightDecay, l2: l2) { p, w, g, n in
            velocity.with(p, count: n) { vb in
                for i in 0..<n { vb[i] = rho * vb[i] + (1 - rho) * g[i] * g[i] }
                if mu > 0 {
                    moment.with(p, count: n) { mb in
                        for i in 0..<n {
                            mb[i] = mu * mb[i] + lr * g[i] / (vb[i] + eps).squareRoot()
                            w[i] -= mb[i]
                        }
                    }
                } else {
                    for i in 0..<n { w[i] -= lr * g[i] / (vb[i] + eps).squareRoot() }
                }
            }
        }
        iterations += 1
    }
}
