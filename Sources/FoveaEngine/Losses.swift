// Losses: softmax cross-entropy (sparse or one-hot labels, fused with the
// model's final softmax), mean squared error, smooth L1 and the wing loss of
// landmark regression. Each returns the mean loss over the batch and its
// gradient.

import Foundation

public protocol Loss: Sendable {
    /// The batch-mean loss and dLoss/dPrediction (see `gradientIsForLogits`).
    func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor)
    /// True when `grad` is with respect to the logits feeding the model's
    /// final softmax rather than to the probabilities: the model then skips
    /// that softmax's Jacobian.
    var gradientIsForLogits: Bool { get }
    /// Fraction of correct predictions, for losses where that means something.
    func accuracy(prediction: Tensor, target: Tensor) -> Float?
    /// Checks that targets fit predictions of shape `predictionShape` (batch first).
    func validate(target: Tensor, predictionShape: [Int]) throws
}

extension Loss {
    public var gradientIsForLogits: Bool { false }
    public func accuracy(prediction: Tensor, target: Tensor) -> Float? { nil }
    public func validate(target: Tensor, predictionShape: [Int]) throws {
        let targetShape = target.shape
        guard targetShape.reduce(1, *) == predictionShape.reduce(1, *) else {
            throw EngineError.shapeMismatch("targets of shape \(targetShape) do not match predictions of shape \(predictionShape)")
        }
    }
}

/// Categorical cross-entropy. With `sparse` the target holds one class index
/// per sample (shape [N] or [N, 1]); otherwise one-hot rows [N, C].
/// By default predictions are softmax probabilities (Keras from_logits=False)
/// and the gradient returned is the fused, stable (p - y) / N with respect to
/// the logits. With `fromLogits` the softmax is applied here.
public struct SoftmaxCrossEntropy: Loss {
    public let sparse: Bool
    public let fromLogits: Bool
    /// Keras clips probabilities to [eps, 1 - eps] before the log.
    static let epsilon: Float = 1e-7

    public init(sparse: Bool, fromLogits: Bool = false) {
        self.sparse = sparse
        self.fromLogits = fromLogits
    }

    public var gradientIsForLogits: Bool { !fromLogits }

    public func validate(target: Tensor, predictionShape: [Int]) throws {
        let targetShape = target.shape
        let n = predictionShape.first ?? 0
        let classes = predictionShape.dropFirst().reduce(1, *)
        if sparse {
            guard targetShape.first == n, targetShape.dropFirst().reduce(1, *) == 1 else {
                throw EngineError.shapeMismatch("sparse labels must have shape [\(n)] (one class index per sample), got \(targetShape)")
            }
            if let bad = target.data.first(where: { $0 < 0 || Int($0) >= classes || $0 != $0.rounded() }) {
                throw EngineError.invalidArgument("sparse label \(bad) is not a class index in 0..<\(classes)")
            }
        } else {
            guard targetShape.first == n, targetShape.dropFirst().reduce(1, *) == classes else {
                throw EngineError.shapeMismatch("one-hot labels must have shape [\(n), \(classes)], got \(targetShape)")
            }
        }
    }

    public func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor) {
        let n = prediction.batchCount
        let c = prediction.count / max(n, 1)
        let grad = Tensor(uninitializedShape: prediction.shape)
        var total = 0.0
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                grad.data.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let row = p.baseAddress! + i * c
                        let gr = g.baseAddress! + i * c
                        if fromLogits {
                            var m = -Float.infinity
                            for j in 0..<c { m = max(m, row[j]) }
                            var s: Float = 0
                            for j in 0..<c { s += Foundation.exp(row[j] - m) }
                            let logSum = m + Foundation.log(s)
                            for j in 0..<c { gr[j] = Foundation.exp(row[j] - logSum) }
                            if sparse {
                                total += Double(logSum - row[Int(t[i])])
                            } else {
                                for j in 0..<c where t[i * c + j] != 0 {
                                    total += Double(t[i * c + j] * (logSum - row[j]))
                                }
                            }
                        } else {
                            for j in 0..<c { gr[j] = row[j] }
                            if sparse {
                                total -= Double(Foundation.log(clip(row[Int(t[i])])))
                            } else {
                                for j in 0..<c where t[i * c + j] != 0 {
                                    total -= Double(t[i * c + j] * Foundation.log(clip(row[j])))
                                }
                            }
                        }
                        // Both cases end with softmax probabilities in gr: grad = (p - y) / N.
                        let invN = 1 / Float(n)
                        if sparse {
                            gr[Int(t[i])] -= 1
                            for j in 0..<c { gr[j] *= invN }
                        } else {
                            for j in 0..<c { gr[j] = (gr[j] - t[i * c + j]) * invN }
                        }
                    }
                }
            }
        }
        return (Float(total / Double(max(n, 1))), grad)
    }

    @inline(__always)
    private func clip(_ p: Float) -> Float {
        min(max(p, Self.epsilon), 1 - Self.epsilon)
    }

    public func accuracy(prediction: Tensor, target: Tensor) -> Float? {
        let n = prediction.batchCount
        let c = prediction.count / max(n, 1)
        var correct = 0
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                for i in 0..<n {
                    let predicted = argmax(p.baseAddress! + i * c, c)
                    let truth = sparse ? Int(t[i]) : argmax(t.baseAddress! + i * c, c)
                    if predicted == truth { correct += 1 }
                }
            }
        }
        return Float(correct) / Float(max(n, 1))
    }
}

/// Index of the largest of `count` values (the first on ties).
func argmax(_ p: UnsafePointer<Float>, _ count: Int) -> Int {
    var best = 0
    for j in 1..<max(count, 1) where p[j] > p[best] { best = j }
    return best
}

/// Mean over all elements of (prediction - target)².
public struct MeanSquaredError: Loss {
    public init() {}

    public func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor) {
        let count = prediction.count
        let grad = Tensor(uninitializedShape: prediction.shape)
        var total = 0.0
        let scale = 2 / Float(max(count, 1))
        for i in 0..<count {
            let d = prediction.data[i] - target.data[i]
            total += Double(d * d)
            grad.data[i] = scale * d
        }
        return (Float(total / Double(max(count, 1))), grad)
    }
}

/// Smooth L1 (Huber) loss, mean over all elements: 0.5·d²/β when |d| < β,
/// |d| - 0.5·β otherwise (PyTorch's form; β = 1 equals Keras Huber δ = 1).
public struct SmoothL1: Loss {
    public let beta: Float

    public init(beta: Float = 1) { self.beta = beta }

    public func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor) {
        let count = prediction.count
        let grad = Tensor(uninitializedShape: prediction.shape)
        var total = 0.0
        let invCount = 1 / Float(max(count, 1))
        for i in 0..<count {
            let d = prediction.data[i] - target.data[i]
            if abs(d) < beta {
                total += Double(0.5 * d * d / beta)
                grad.data[i] = d / beta * invCount
            } else {
                total += Double(abs(d) - 0.5 * beta)
                grad.data[i] = (d > 0 ? 1 : -1) * invCount
            }
        }
        return (Float(total / Double(max(count, 1))), grad)
    }
}

/// Wing loss (Feng et al., "Wing Loss for Robust Facial Landmark Localisation
/// with CNNs", CVPR 2018), mean over all elements: w·ln(1 + |d|/ε) when
/// |d| < w, |d| − C otherwise, with C = w − w·ln(1 + w/ε) so the two pieces
/// meet. Its log part keeps the pull on small and medium errors that L1 and
/// smooth L1 flatten out.
public struct WingLoss: Loss {
    public let width: Float
    public let curvature: Float

    public init(width: Float = 10, curvature: Float = 2) {
        self.width = width
        self.curvature = curvature
    }

    public func compute(prediction: Tensor, target: Tensor) -> (loss: Float, grad: Tensor) {
        let count = prediction.count
        let grad = Tensor(uninitializedShape: prediction.shape)
        var total = 0.0
        let invCount = 1 / Float(max(count, 1))
        let c = width - width * log(1 + width / curvature)
        for i in 0..<count {
            let d = prediction.data[i] - target.data[i]
            let a = abs(d), sign: Float = d > 0 ? 1 : (d < 0 ? -1 : 0)
            if a < width {
                total += Double(width * log(1 + a / curvature))
                grad.data[i] = sign * width / (curvature + a) * invCount
            } else {
                total += Double(a - c)
                grad.data[i] = sign * invCount
            }
        }
        return (Float(total / Double(max(count, 1))), grad)
    }
}
