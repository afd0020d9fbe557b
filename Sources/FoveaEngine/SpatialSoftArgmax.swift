// SpatialSoftArgmax: integral regression (soft-argmax). Each channel of an
// [H, W, C] map is a heatmap of logits; its softmax over the H·W cells
// weights a fixed coordinate grid, giving the expected (x, y) of that
// channel. A point read this way moves with the features (translation
// equivariance) and lands between cells (sub-pixel), which a Dense head on
// flattened features has to learn anew at every position. No parameters:
// the grid (cell (i, j) at x0 + j·dx, y0 + i·dy) is configuration, so
// files and exporters can rebuild it.
import Foundation

public final class SpatialSoftArgmax: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "SpatialSoftArgmax" }
    public var parameters: [Parameter] { [] }
    /// x of column 0 and the step between columns.
    public let x0: Float, dx: Float
    /// y of row 0 and the step between rows.
    public let y0: Float, dy: Float

    private var mapShape: [Int] = []
    /// The last forward's softmax weights [N, H, W, C] and points [N, 2C].
    private var probabilities: Tensor?
    private var points: Tensor?

    public init(x0: Float, dx: Float, y0: Float, dy: Float, name: String? = nil) {
        self.x0 = x0
        self.dx = dx
        self.y0 = y0
        self.dy = dy
        self.name = name ?? ""
    }

    /// The grid's x of every column and y of every row.
    public func grid(height: Int, width: Int) -> (x: [Float], y: [Float]) {
        ((0..<width).map { x0 + Float($0) * dx }, (0..<height).map { y0 + Float($0) * dy })
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw EngineError.shapeMismatch("\(name) (SpatialSoftArgmax) needs input (height, width, channels), got \(inputShape)")
        }
        guard [x0, dx, y0, dy].allSatisfy(\.isFinite) else {
            throw EngineError.invalidArgument("\(name) (SpatialSoftArgmax): the grid (x0 \(x0), dx \(dx), y0 \(y0), dy \(dy)) must be finite")
        }
        mapShape = inputShape
        return [2 * inputShape[2]]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.batchCount, h = input.shape[1], w = input.shape[2], c = input.shape[3]
        let cells = h * w
        let (gx, gy) = grid(height: h, width: w)
        let p = Tensor(uninitializedShape: input.shape)
        let out = Tensor(uninitializedShape: [n, 2 * c])
        input.data.withUnsafeBufferPointer { xb in
            p.data.withUnsafeMutableBufferPointer { pb in
                out.data.withUnsafeMutableBufferPointer { ob in
                    let x = xb.baseAddress!, pp = pb.baseAddress!, o = ob.baseAddress!
                    parallelFor(n, costPerItem: 4 * cells * c) { range in
                        // Per channel: running max, then Σe, Σe·x, Σe·y.
                        var stats = [Float](repeating: 0, count: 4 * c)
                        stats.withUnsafeMutableBufferPointer { sb in
                            let top = sb.baseAddress!, sum = top + c, sx = sum + c, sy = sx + c
                            for item in range {
                                let logits = x + item * cells * c, prob = pp + item * cells * c
                                for ch in 0..<c { top[ch] = -.infinity; sum[ch] = 0; sx[ch] = 0; sy[ch] = 0 }
                                for k in 0..<cells {
                                    for ch in 0..<c { top[ch] = max(top[ch], logits[k * c + ch]) }
                                }
                                for k in 0..<cells {
                                    let cx = gx[k % w], cy = gy[k / w]
                                    for ch in 0..<c {
                                        let e = expf(logits[k * c + ch] - top[ch])
                                        prob[k * c + ch] = e
                                        sum[ch] += e
                                        sx[ch] += e * cx
                                        sy[ch] += e * cy
                                    }
                                }
                                for ch in 0..<c {
                                    let inv = 1 / sum[ch]
                                    o[item * 2 * c + 2 * ch] = sx[ch] * inv
                                    o[item * 2 * c + 2 * ch + 1] = sy[ch] * inv
                                    sum[ch] = inv
                                }
                                for k in 0..<cells {
                                    for ch in 0..<c { prob[k * c + ch] *= sum[ch] }
                                }
                            }
                        }
                    }
                }
            }
        }
        probabilities = p
        points = out
        return out
    }

    /// dL/dlogit_k = p_k·((x_k − x)·dL/dx + (y_k − y)·dL/dy), the softmax's
    /// Jacobian applied to the grid.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let probabilities, let points else { preconditionFailure("\(name): backward before forward") }
        let n = probabilities.batchCount, h = mapShape[0], w = mapShape[1], c = mapShape[2]
        let cells = h * w
        let (gx, gy) = grid(height: h, width: w)
        let dLogits = Tensor(uninitializedShape: probabilities.shape)
        probabilities.data.withUnsafeBufferPointer { pb in
            points.data.withUnsafeBufferPointer { qb in
                gradOutput.data.withUnsafeBufferPointer { gb in
                    dLogits.data.withUnsafeMutableBufferPointer { db in
                        let p = pb.baseAddress!, q = qb.baseAddress!, g = gb.baseAddress!, d = db.baseAddress!
                        parallelFor(n, costPerItem: 2 * cells * c) { range in
                            for item in range {
                                let prob = p + item * cells * c, grad = d + item * cells * c
                                let point = q + item * 2 * c, gp = g + item * 2 * c
                                for k in 0..<cells {
                                    let cx = gx[k % w], cy = gy[k / w]
                                    for ch in 0..<c {
                                        grad[k * c + ch] = prob[k * c + ch]
                                            * ((cx - point[2 * ch]) * gp[2 * ch] + (cy - point[2 * ch + 1]) * gp[2 * ch + 1])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dLogits
    }
}
