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
    /// Saved by forward for backward: the input, the statistics used and
    /// 1/sqrt(var + eps); x̂ is recomputed rather than stored (one pass fewer).
    private var input: Tensor?
    private var mean: [Float] = []
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
        let out = Tensor(uninitializedShape: input.shape)
        // y = γ·x̂ + β with x̂ = (x - mean)·invStd.
        input.data.withUnsafeBufferPointer { xb in
            out.data.withUnsafeMutableBufferPointer { yb in
                gamma.value.data.withUnsafeBufferPointer { gb in
                    beta.value.data.withUnsafeBufferPointer { bb in
                        mean.withUnsafeBufferPointer { mb in
                            invStd.withUnsafeBufferPointer { sb in
                                let x = xb.baseAddress!, y = yb.baseAddress!
                                let g = gb.baseAddress!, b = bb.baseAddress!, m = mb.baseAddress!, s = sb.baseAddress!
                                parallelFor(rows, costPerItem: c) { range in
                                    for r in range {
                                        let o = r * c
                                        var j = 0
                                        while j + 8 <= c {
                                            let v = (load8(x + o + j) - load8(m + j)) * load8(s + j)
                                            store8(load8(g + j) * v + load8(b + j), y + o + j)
                                            j += 8
                                        }
                                        while j < c {
                                            let v = (x[o + j] - m[j]) * s[j]
                                            y[o + j] = g[j] * v + b[j]
                                            j += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.input = input
        self.mean = mean
        return out
    }

    /// The inference-mode transform as y = scale·x + shift per channel, for
    /// folding into the layer before.
    func inferenceAffine() -> (scale: [Float], shift: [Float]) {
        let scale = zip(gamma.value.data, movingVariance.value.data).map { $0 / ($1 + epsilon).squareRoot() }
        let shift = (0..<channels).map { beta.value.data[$0] - movingMean.value.data[$0] * scale[$0] }
        return (scale, shift)
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let c = channels
        let rows = gradOutput.count / c
        // Σ g and Σ g·x̂ per channel give both the parameter gradients and the
        // two correction terms of the input gradient.
        let sums = gradOutput.data.withUnsafeBufferPointer { gb in
            input.data.withUnsafeBufferPointer { xb in
                mean.withUnsafeBufferPointer { mb in
                    invStd.withUnsafeBufferPointer { sb in
                        let g = gb.baseAddress!, x = xb.baseAddress!, m = mb.baseAddress!, s = sb.baseAddress!
                        return channelReduce(rows: rows, width: c, slots: 2) { range, acc in
                            for r in range {
                                let o = r * c
                                var j = 0
                                while j + 8 <= c {
                                    let gv = load8(g + o + j)
                                    let h = (load8(x + o + j) - load8(m + j)) * load8(s + j)
                                    store8(load8(acc + j) + gv, acc + j)
                                    store8(load8(acc + c + j) + gv * h, acc + c + j)
                                    j += 8
                                }
                                while j < c {
                                    let h = (x[o + j] - m[j]) * s[j]
                                    acc[j] += g[o + j]
                                    acc[c + j] += g[o + j] * h
                                    j += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        let sumG = sums[0..<c].map { Float($0) }
        let sumGX = sums[c..<(2 * c)].map { Float($0) }
        for j in 0..<c {
            gamma.grad.data[j] += sumGX[j]
            beta.grad.data[j] += sumG[j]
        }
        // Training: dx = γ·invStd·(g - (Σg + x̂·Σg·x̂) / rows); inference: γ·invStd·g.
        let invRows: Float = usedBatchStatistics ? 1 / Float(rows) : 0
        let scale = zip(gamma.value.data, invStd).map { $0 * $1 }
        let meanG = sumG.map { $0 * invRows }
        let meanGX = sumGX.map { $0 * invRows }
        // The centred input scaled by invStd·mean(g·x̂) replaces x̂·mean(g·x̂).
        let shift = zip(meanGX, invStd).map { $0 * $1 }
        gradOutput.data.withUnsafeMutableBufferPointer { gb in
            input.data.withUnsafeBufferPointer { xb in
                mean.withUnsafeBufferPointer { mb in
                    scale.withUnsafeBufferPointer { kb in
                        meanG.withUnsafeBufferPointer { mgb in
                            shift.withUnsafeBufferPointer { shb in
                                let g = gb.baseAddress!, x = xb.baseAddress!, m = mb.baseAddress!
                                let k = kb.baseAddress!, mg = mgb.baseAddress!, sh = shb.baseAddress!
                                parallelFor(rows, costPerItem: c) { range in
                                    for r in range {
                                        let o = r * c
                                        var j = 0
                                        while j + 8 <= c {
                                            let centred = load8(x + o + j) - load8(m + j)
                                            let v = load8(k + j) * (load8(g + o + j) - load8(mg + j) - centred * load8(sh + j))
                                            store8(v, g + o + j)
                                            j += 8
                                        }
                                        while j < c {
                                            g[o + j] = k[j] * (g[o + j] - mg[j] - (x[o + j] - m[j]) * sh[j])
                                            j += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradOutput
    }
}

/// Per-channel mean and biased variance of rows × width values (two
/// passes: the mean first, then squared deviations from it).
func channelMoments(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> (mean: [Float], variance: [Float]) {
    let n = Double(max(rows, 1))
    let mean = channelReduce(rows: rows, width: width, slots: 1) { range, acc in
        for r in range {
            let row = x + r * width
            var j = 0
            while j + 8 <= width {
                store8(load8(acc + j) + load8(row + j), acc + j)
                j += 8
            }
            while j < width {
                acc[j] += row[j]
                j += 1
            }
        }
    }.map { Float($0 / n) }
    let squares = mean.withUnsafeBufferPointer { mb in
        let m = mb.baseAddress!
        return channelReduce(rows: rows, width: width, slots: 1) { range, acc in
            for r in range {
                let row = x + r * width
                var j = 0
                while j + 8 <= width {
                    let d = load8(row + j) - load8(m + j)
                    store8(load8(acc + j) + d * d, acc + j)
                    j += 8
                }
                while j < width {
                    let d = row[j] - m[j]
                    acc[j] += d * d
                    j += 1
                }
            }
        }
    }
    return (mean, squares.map { Float($0 / n) })
}

/// Sums per channel over rows: `body(rows, acc)` adds its rows into `acc`
/// (slots × width zeroed floats). Rows are cut into blocks so each Float
/// partial sum stays short; blocks run in parallel and are combined in Double.
func channelReduce(rows: Int, width: Int, slots: Int,
                   _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> [Double] {
    let blockRows = 256
    let blocks = max(1, (rows + blockRows - 1) / blockRows)
    let stride = slots * width
    var partial = [Float](repeating: 0, count: blocks * stride)
    partial.withUnsafeMutableBufferPointer { pb in
        let base = pb.baseAddress!
        parallelFor(blocks, costPerItem: blockRows * width) { range in
            for b in range {
                body((b * blockRows)..<min((b + 1) * blockRows, rows), base + b * stride)
            }
        }
    }
    var total = [Double](repeating: 0, count: stride)
    for b in 0..<blocks {
        for j in 0..<stride { total[j] += Double(partial[b * stride + j]) }
    }
    return total
}
