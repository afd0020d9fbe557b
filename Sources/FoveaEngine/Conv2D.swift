// Conv2D: 2-D convolution over NHWC batches by im2col + one GEMM, with the
// bias and activation fused into a single pass over the output.
// Kernel layout is Keras's [kh, kw, in, filters]; padding follows
// TensorFlow ('same': out = ceil(in / stride), odd padding totals put the
// extra row/column at the bottom/right).

import Foundation

public final class Conv2D: ActivatedLayer {
    public var name: String
    public var trainable = true
    public var typeName: String { "Conv2D" }
    public let filters: Int
    public let kernelSize: (height: Int, width: Int)
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public let activation: Activation
    public let useBias: Bool
    public var fusedSoftmaxGradient = false
    /// The first layer of a model need not produce dLoss/dInput; skipping it
    /// saves a GEMM and a col2im per batch.
    var computesInputGradient = true

    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(shape: [0]))
    public private(set) var bias: Parameter?
    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    private var geometry = Geometry()
    private var input: Tensor?
    private var output: Tensor?
    private var cols: [Float] = []
    private var dcols: [Float] = []
    private var colsHoldWholeBatch = false

    /// The im2col buffer is capped so large layers work through the batch in
    /// chunks instead of allocating hundreds of megabytes.
    static let colsBudget = 1 << 19

    struct Geometry {
        var inH = 0, inW = 0, inC = 0, outH = 0, outW = 0, padTop = 0, padLeft = 0
    }

    public init(filters: Int, kernelSize: (Int, Int), strides: Int = 1, padding: Padding = .valid,
                activation: Activation = .linear, useBias: Bool = true, name: String? = nil) {
        self.filters = filters
        self.kernelSize = (kernelSize.0, kernelSize.1)
        self.strides = (strides, strides)
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
        self.name = name ?? ""
    }

    public convenience init(filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid,
                            activation: Activation = .linear, useBias: Bool = true, name: String? = nil) {
        self.init(filters: filters, kernelSize: (kernelSize, kernelSize), strides: strides,
                  padding: padding, activation: activation, useBias: useBias, name: name)
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 else {
            throw EngineError.shapeMismatch("\(name) (Conv2D) needs input (height, width, channels), got \(inputShape)")
        }
        guard filters > 0, kernelSize.height > 0, kernelSize.width > 0, strides.height > 0 else {
            throw EngineError.invalidArgument("\(name) (Conv2D): filters, kernel size and strides must be positive")
        }
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        _ = Allocator.tuned
        let (oh, pt) = try windowGeometry(size: h, window: kernelSize.height, stride: strides.height,
                                          padding: padding, layer: name)
        let (ow, pl) = try windowGeometry(size: w, window: kernelSize.width, stride: strides.width,
                                          padding: padding, layer: name)
        geometry = Geometry(inH: h, inW: w, inC: c, outH: oh, outW: ow, padTop: pt, padLeft: pl)
        let fanIn = kernelSize.height * kernelSize.width * c
        let fanOut = kernelSize.height * kernelSize.width * filters
        kernel = Parameter(name: "kernel",
                           value: glorotUniform([kernelSize.height, kernelSize.width, c, filters],
                                                fanIn: fanIn, fanOut: fanOut))
        bias = useBias ? Parameter(name: "bias", value: Tensor(shape: [filters])) : nil
        return [oh, ow, filters]
    }

    private var isPointwise: Bool {
        kernelSize == (1, 1) && strides == (1, 1) && geometry.padTop == 0 && geometry.padLeft == 0
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let k = kernelSize.height * kernelSize.width * g.inC
        let p = g.outH * g.outW
        let out = Tensor(uninitializedShape: [n, g.outH, g.outW, filters])
        let chunk = max(1, min(n, Self.colsBudget / max(1, p * k)))
        if !isPointwise && cols.count < chunk * p * k {
            cols = [Float](repeating: 0, count: chunk * p * k)
        }
        input.data.withUnsafeBufferPointer { x in
            kernel.value.data.withUnsafeBufferPointer { wt in
                out.data.withUnsafeMutableBufferPointer { y in
                    if isPointwise {
                        sgemm(m: n * p, n: filters, k: k, a: x.baseAddress!, lda: k,
                              b: wt.baseAddress!, ldb: filters, c: y.baseAddress!, ldc: filters)
                        return
                    }
                    cols.withUnsafeMutableBufferPointer { cb in
                        for start in stride(from: 0, to: n, by: chunk) {
                            let b = min(chunk, n - start)
                            im2col(x.baseAddress! + start * g.inH * g.inW * g.inC, images: b, into: cb.baseAddress!)
                            sgemm(m: b * p, n: filters, k: k, a: cb.baseAddress!, lda: k,
                                  b: wt.baseAddress!, ldb: filters,
                                  c: y.baseAddress! + start * p * filters, ldc: filters)
                        }
                    }
                }
            }
        }
        colsHoldWholeBatch = chunk >= n
        out.data.withUnsafeMutableBufferPointer { y in
            if let bias {
                bias.value.data.withUnsafeBufferPointer { bp in
                    activation.applyInPlace(y.baseAddress!, rows: n * p, width: filters, bias: bp.baseAddress!)
                }
            } else {
                activation.applyInPlace(y.baseAddress!, rows: n * p, width: filters, bias: nil)
            }
        }
        self.input = input
        self.output = out
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input, let output else { preconditionFailure("\(name): backward before forward") }
        let g = geometry
        let n = input.batchCount
        let k = kernelSize.height * kernelSize.width * g.inC
        let p = g.outH * g.outW
        let imageSize = g.inH * g.inW * g.inC
        let chunk = max(1, min(n, Self.colsBudget / max(1, p * k)))
        output.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeMutableBufferPointer { gp in
                activation.backwardInPlace(output: y.baseAddress!, grad: gp.baseAddress!,
                                           rows: n * p, width: filters, fusedSoftmax: fusedSoftmaxGradient)
            }
        }
        if let bias {
            gradOutput.data.withUnsafeBufferPointer { gp in
                bias.grad.data.withUnsafeMutableBufferPointer { bg in
                    addColumnSums(gp.baseAddress!, rows: n * p, width: filters, into: bg.baseAddress!)
                }
            }
        }
        let gradInput = computesInputGradient ? Tensor(shape: input.shape) : Tensor(shape: [0])
        if computesInputGradient && !isPointwise && dcols.count < chunk * p * k {
            dcols = [Float](repeating: 0, count: chunk * p * k)
        }
        input.data.withUnsafeBufferPointer { x in
            gradOutput.data.withUnsafeBufferPointer { gp in
                kernel.value.data.withUnsafeBufferPointer { wt in
                    kernel.grad.data.withUnsafeMutableBufferPointer { wg in
                        gradInput.data.withUnsafeMutableBufferPointer { dx in
                            if isPointwise {
                                sgemm(transA: true, m: k, n: filters, k: n * p, a: x.baseAddress!, lda: k,
                                      b: gp.baseAddress!, ldb: filters, beta: 1, c: wg.baseAddress!, ldc: filters)
                                if computesInputGradient {
                                    sgemm(transB: true, m: n * p, n: k, k: filters, a: gp.baseAddress!, lda: filters,
                                          b: wt.baseAddress!, ldb: filters, c: dx.baseAddress!, ldc: k)
                                }
                                return
                            }
                            cols.withUnsafeMutableBufferPointer { cb in
                                dcols.withUnsafeMutableBufferPointer { dcb in
                                    for start in stride(from: 0, to: n, by: chunk) {
                                        let b = min(chunk, n - start)
                                        if !colsHoldWholeBatch {
                                            im2col(x.baseAddress! + start * imageSize, images: b, into: cb.baseAddress!)
                                        }
                                        let gChunk = gp.baseAddress! + start * p * filters
                                        sgemm(transA: true, m: k, n: filters, k: b * p, a: cb.baseAddress!, lda: k,
                                              b: gChunk, ldb: filters, beta: 1, c: wg.baseAddress!, ldc: filters)
                                        if computesInputGradient {
                                            sgemm(transB: true, m: b * p, n: k, k: filters, a: gChunk, lda: filters,
                                                  b: wt.baseAddress!, ldb: filters, c: dcb.baseAddress!, ldc: k)
                                            col2im(dcb.baseAddress!, images: b, into: dx.baseAddress! + start * imageSize)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }

    /// Unfolds `images` NHWC images into rows of kh*kw*C values, one row per
    /// output position. With channels innermost, each kernel row that lies
    /// inside the image is a single contiguous copy of kw*C floats.
    private func im2col(_ src: UnsafePointer<Float>, images: Int, into dst: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (kh, kw) = kernelSize
        let (sh, sw) = strides
        let c = g.inC
        let k = kh * kw * c
        let imageSize = g.inH * g.inW * c
        let rowSize = g.inW * c
        let colsPerImage = g.outH * g.outW * k
        parallelFor(images, costPerItem: colsPerImage) { range in
            for i in range {
                let s = src + i * imageSize
                var d = dst + i * colsPerImage
                for oy in 0..<g.outH {
                    let iy0 = oy * sh - g.padTop
                    for ox in 0..<g.outW {
                        let ix0 = ox * sw - g.padLeft
                        let interiorX = ix0 >= 0 && ix0 + kw <= g.inW
                        for ky in 0..<kh {
                            let iy = iy0 + ky
                            if iy < 0 || iy >= g.inH {
                                d.update(repeating: 0, count: kw * c)
                            } else if interiorX {
                                d.update(from: s + iy * rowSize + ix0 * c, count: kw * c)
                            } else {
                                for kx in 0..<kw {
                                    let ix = ix0 + kx
                                    if ix < 0 || ix >= g.inW {
                                        (d + kx * c).update(repeating: 0, count: c)
                                    } else {
                                        (d + kx * c).update(from: s + iy * rowSize + ix * c, count: c)
                                    }
                                }
                            }
                            d += kw * c
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: adds each row's values back onto the image
    /// positions they were copied from. `dst` must be zeroed by the caller.
    private func col2im(_ src: UnsafePointer<Float>, images: Int, into dst: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (kh, kw) = kernelSize
        let (sh, sw) = strides
        let c = g.inC
        let k = kh * kw * c
        let imageSize = g.inH * g.inW * c
        let rowSize = g.inW * c
        let colsPerImage = g.outH * g.outW * k
        parallelFor(images, costPerItem: colsPerImage) { range in
            for i in range {
                let d = dst + i * imageSize
                var s = src + i * colsPerImage
                for oy in 0..<g.outH {
                    let iy0 = oy * sh - g.padTop
                    for ox in 0..<g.outW {
                        let ix0 = ox * sw - g.padLeft
                        for ky in 0..<kh {
                            let iy = iy0 + ky
                            if iy >= 0 && iy < g.inH {
                                for kx in 0..<kw {
                                    let ix = ix0 + kx
                                    if ix >= 0 && ix < g.inW {
                                        let target = d + iy * rowSize + ix * c
                                        let from = s + kx * c
                                        for ch in 0..<c { target[ch] += from[ch] }
                                    }
                                }
                            }
                            s += kw * c
                        }
                    }
                }
            }
        }
    }
}

/// Keras glorot_uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
func glorotUniform(_ shape: [Int], fanIn: Int, fanOut: Int) -> Tensor {
    let limit = (6 / Float(max(1, fanIn + fanOut))).squareRoot()
    let t = Tensor(shape: shape)
    EngineRandom.shared.with { rng in
        for i in t.data.indices { t.data[i] = rng.uniform(-limit, limit) }
    }
    return t
}

/// into[j] += Σ_r src[r * width + j], split over threads by rows.
func addColumnSums(_ src: UnsafePointer<Float>, rows: Int, width: Int, into: UnsafeMutablePointer<Float>) {
    let threads = rows * width >= 65_536 ? max(1, min(Engine.threads, rows)) : 1
    var partial = [Float](repeating: 0, count: threads * width)
    partial.withUnsafeMutableBufferPointer { pb in
        let base = pb.baseAddress!
        parallelFor(threads, costPerItem: 1, minimumWork: 2) { range in
            for t in range {
                let acc = base + t * width
                for r in (rows * t / threads)..<(rows * (t + 1) / threads) {
                    let row = src + r * width
                    for j in 0..<width { acc[j] += row[j] }
                }
            }
        }
    }
    for t in 0..<threads {
        for j in 0..<width { into[j] += partial[t * width + j] }
    }
}
