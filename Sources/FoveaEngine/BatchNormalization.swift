// BatchNormalization over the last (channel) axis, as Keras: batch
// statistics (biased variance) while training, moving statistics at
// inference, moving = moving * momentum + batch * (1 - momentum).
// A frozen layer (trainable = false) runs in inference mode, as in Keras.

import Foundation

public final class BatchNormalization: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "BatchNormalization" }
    public let momentum: Float
    public let epsilon: Float

    public private(set) var gamma = Parameter(name: "gamma", value: Tensor(shape: [0]))
    public private(set) var beta = Parameter(name: "beta", value: Tensor(shape: [0]))
    public private(set) var movingMean = Parameter(name: "moving_mean", value: Tensor(shape: [0]), isState: true)
    public private(set) var movingVariance = Parameter(name: "moving_variance", value: Tensor(shape: [0]), isState: true)
    public var parameters: [Parameter] { [gamma, beta, movingMean, movingVariance] }

    private var channels = 0
    /// Saved by forward for backward: normalised input and 1/sqrt(var + eps).
    private var normalized: Tensor?
    private var invStd: [Float] = []
    private var usedBatchStatistics = false

    public init(momentum: Float = 0.99, epsilon: Float = 0.001, name: String? = nil) {
        self.momentum = momentum
        self.epsilon = epsilon
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard let c = inputShape.last, c > 0 else {
            throw EngineError.shapeMismatch("\(name) (BatchNormalization) needs a non-empty input shape, got \(inputShape)")
        }
        channels = c
        gamma = Parameter(name: "gamma", value: Tensor(shape: [c], repeating: 1))
        beta = Parameter(name: "beta", value: Tensor(shape: [c]))
        movingMean = Parameter(name: "moving_mean", value: Tensor(shape: [c]), isState: true)
        movingVariance = Parameter(name: "moving_variance", value: Tensor(shape: [c], repeating: 1), isState: true)
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let c = channels
        let rows = input.count / c
        usedBatchStatistics = training && trainable
        var mean = movingMean.value.data
        var variance = movingVariance.value.data
        if usedBatchStatistics {
            (mean, variance) = input.data.withUnsafeBufferPointer { x in
                channelMoments(x.baseAddress!, rows: rows, width: c)
            }
            for j in 0..<c {
                movingMean.value.data[j] = movingMean.value.data[j] * momentum + mean[j] * (1 - momentum)
                movingVariance.value.data[j] = movingVariance.value.data[j] * momentum + variance[j] * (1 - momentum)
            }
        }
        invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let xhat = Tensor(uninitializedShape: input.shape)
        let out = Tensor(uninitializedShape: input.shape)
        input.data.withUnsafeBufferPointer { xb in
            xhat.data.withUnsafeMutableBufferPointer { hb in
                out.data.withUnsafeMutableBufferPointer { yb in
                    let x = xb.baseAddress!, h = hb.baseAddress!, y = yb.baseAddress!
                    let gm = gamma.value.data, bt = beta.value.data, s = invStd
                    gm.withUnsafeBufferPointer { g in
                        bt.withUnsafeBufferPointer { b in
                            mean.withUnsafeBufferPointer { m in
                                s.withUnsafeBufferPointer { sd in
                                    parallelFor(rows, costPerItem: c) { range in
                                        for r in range {
                                            let o = r * c
                                            for j in 0..<c {
                                                let v = (x[o + j] - m[j]) * sd[j]
                                                h[o + j] = v
                                                y[o + j] = g[j] * v + b[j]
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        normalized = xhat
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let normalized else { preconditionFailure("\(name): backward before forward") }
        let c = channels
        let rows = gradOutput.count / c
        // Σ g and Σ g·x̂ per channel give both the parameter gradients and the
        // two correction terms of the input gradient.
        var sumG = [Float](repeating: 0, count: c)
        var sumGX = [Float](repeating: 0, count: c)
        gradOutput.data.withUnsafeBufferPointer { gb in
            normalized.data.withUnsafeBufferPointer { hb in
                let products = [Float](unsafeUninitializedCapacity: rows * c) { p, n in
                    for i in 0..<(rows * c) { p[i] = gb[i] * hb[i] }
                    n = rows * c
                }
                sumG.withUnsafeMutableBufferPointer { addColumnSums(gb.baseAddress!, rows: rows, width: c, into: $0.baseAddress!) }
                products.withUnsafeBufferPointer { pb in
                    sumGX.withUnsafeMutableBufferPointer { addColumnSums(pb.baseAddress!, rows: rows, width: c, into: $0.baseAddress!) }
                }
            }
        }
        for j in 0..<c {
            gamma.grad.data[j] += sumGX[j]
            beta.grad.data[j] += sumG[j]
        }
        let gm = gamma.value.data, sd = invStd
        let batchStats = usedBatchStatistics
        let invRows = 1 / Float(rows)
        gradOutput.data.withUnsafeMutableBufferPointer { gb in
            normalized.data.withUnsafeBufferPointer { hb in
                let g = gb.baseAddress!, h = hb.baseAddress!
                parallelFor(rows, costPerItem: c) { range in
                    for r in range {
                        let o = r * c
                        for j in 0..<c {
                            let scale = gm[j] * sd[j]
                            if batchStats {
                                g[o + j] = scale * (g[o + j] - invRows * (sumG[j] + h[o + j] * sumGX[j]))
                            } else {
                                g[o + j] = scale * g[o + j]
                            }
                        }
                    }
                }
            }
        }
        return gradOutput
    }
}

/// Per-channel mean and biased variance of rows × width values, accumulated
/// in Double (two passes) so large batches do not lose precision.
func channelMoments(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> (mean: [Float], variance: [Float]) {
    var sum = [Double](repeating: 0, count: width)
    for r in 0..<rows {
        let row = x + r * width
        for j in 0..<width { sum[j] += Double(row[j]) }
    }
    let mean = sum.map { $0 / Double(max(rows, 1)) }
    var sq = [Double](repeating: 0, count: width)
    for r in 0..<rows {
        let row = x + r * width
        for j in 0..<width {
            let d = Double(row[j]) - mean[j]
            sq[j] += d * d
        }
    }
    return (mean.map { Float($0) }, sq.map { Float($0 / Double(max(rows, 1))) })
}
