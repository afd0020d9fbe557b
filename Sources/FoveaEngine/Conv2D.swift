// Conv2D: 2-D convolution over NHWC batches by im2col + GEMM, a few images
// (a cache-sized chunk) at a time: the bias is folded into the GEMM and the
// activation, its derivative and the bias gradient run on each chunk while it
// is in cache. A following MaxPooling2D can run fused with it, chunk by chunk
// (forwardPooled / backwardPooled, driven by Sequential).
// Kernel layout is Keras's [kh, kw, in, filters]; padding follows
// TensorFlow ('same': out = ceil(in / stride), odd padding totals put the
// extra row/column at the bottom/right).

import CFoveaKernels
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
    /// Off forces im2col + GEMM where the direct kernel would run (tests
    /// compare the two).
    var allowsDirect = true

    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(shape: [0]))
    public private(set) var bias: Parameter?
    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    private(set) var geometry = Geometry()
    var input: Tensor?
    var output: Tensor?
    private var cols: [Float] = []
    private var dcols: [Float] = []
    private var pooledScratch: [Float] = []
    private var foldedKernel: [Float] = []
    private var foldedBias: [Float] = []
    /// The kernel rotated 180° with in/out channels swapped, [kh][kw][filters][in],
    /// for the direct path's input gradient.
    var flippedKernel: [Float] = []
    /// Winograd buffers (inference): transformed kernel, tiles, products.
    private var winogradKernel: [Float] = []
    private var winogradTiles: [Float] = []
    private var winogradProducts: [Float] = []
    private var colsHoldWholeBatch = false

    /// Per-chunk caps (in floats) on the im2col rows and on the outputs, so
    /// a chunk's working set stays in cache; measured on this machine's
    /// 2-core EPYC, 2 MB im2col chunks were 1.2–2.2× faster than 32 MB ones.
    static let colsBudget = 1 << 19
    static let outputBudget = 1 << 18

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

    /// Images per chunk: the chunk's im2col rows and outputs stay small
    /// enough to remain in cache between the GEMM and the bias/activation
    /// pass (and, in backward, the activation derivative, bias sums and GEMMs).
    private func chunkSize(batch n: Int) -> Int {
        let g = geometry
        let p = g.outH * g.outW
        let k = kernelSize.height * kernelSize.width * g.inC
        let byOutput = Self.outputBudget / max(1, p * filters)
        return max(1, min(n, usesDirect ? byOutput : min(Self.colsBudget / max(1, p * k), byOutput)))
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let p = g.outH * g.outW
        let out = Tensor(uninitializedShape: [n, g.outH, g.outW, filters])
        let chunk = chunkSize(batch: n)
        withWeights { w, b in
            input.data.withUnsafeBufferPointer { x in
                out.data.withUnsafeMutableBufferPointer { y in
                    for start in stride(from: 0, to: n, by: chunk) {
                        forwardChunk(x.baseAddress!, start: start, images: min(chunk, n - start),
                                     into: y.baseAddress! + start * p * filters, weights: w, bias: b,
                                     activation: activation)
                    }
                }
            }
        }
        colsHoldWholeBatch = chunk >= n
        self.input = input
        self.output = out
        return out
    }

    /// The kernel and (if any) bias as pointers, for the duration of `body`.
    func withWeights<R>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>?) -> R) -> R {
        kernel.value.data.withUnsafeBufferPointer { w in
            if let bias {
                return bias.value.data.withUnsafeBufferPointer { body(w.baseAddress!, $0.baseAddress!) }
            }
            return body(w.baseAddress!, nil)
        }
    }

    /// This layer and the max pooling after it, chunk by chunk: each chunk's
    /// convolution output is pooled while still in cache. At inference the
    /// full convolution output is never materialised; in training it is kept
    /// (both layers' backward need it) but not read back from memory.
    func forwardPooled(_ input: Tensor, pool: MaxPooling2D, poolOutputShape: [Int], training: Bool) -> Tensor {
        if usesDirect {
            return directPooledForward(input, pool: pool, poolOutputShape: poolOutputShape, training: training)
        }
        guard training else {
            self.input = nil
            self.output = nil
            return withWeights { w, b in
                inferChunks(input, weights: w, bias: b, activation: activation,
                            pool: pool, poolOutputShape: poolOutputShape)
            }
        }
        let g = geometry
        let n = input.batchCount
        let p = g.outH * g.outW
        let pooledPerImage = poolOutputShape.reduce(1, *)
        let pooled = Tensor(uninitializedShape: [n] + poolOutputShape)
        let chunk = chunkSize(batch: n)
        let full = Tensor(uninitializedShape: [n, g.outH, g.outW, filters])
        withWeights { w, bb in
            input.data.withUnsafeBufferPointer { x in
                pooled.data.withUnsafeMutableBufferPointer { yb in
                    full.data.withUnsafeMutableBufferPointer { fb in
                        for start in stride(from: 0, to: n, by: chunk) {
                            let b = min(chunk, n - start)
                            let convOut = fb.baseAddress! + start * p * filters
                            forwardChunk(x.baseAddress!, start: start, images: b, into: convOut,
                                         weights: w, bias: bb, activation: activation)
                            pool.poolImages(convOut, images: b, into: yb.baseAddress! + start * pooledPerImage)
                        }
                    }
                }
            }
        }
        colsHoldWholeBatch = chunk >= n
        self.input = input
        self.output = full
        pool.saveForBackward(input: full, output: pooled)
        return pooled
    }

    /// Inference through this convolution and the BatchNormalization after it
    /// (in inference mode), then `activation` and optionally max pooling, as
    /// one convolution whose kernel column f is scaled by γ_f/√(σ²_f+ε) and
    /// whose bias absorbs the shift. The folded weights are recomputed on
    /// every call (a pass over the kernel, small next to the convolution), so
    /// they always follow the current parameters.
    func inferFolded(_ input: Tensor, batchNorm bn: BatchNormalization, activation act: Activation,
                     pool: MaxPooling2D?, poolOutputShape: [Int]) -> Tensor {
        let (scale, shift) = bn.inferenceAffine()
        let f = filters
        let count = kernel.value.count
        if foldedKernel.count != count { foldedKernel = [Float](repeating: 0, count: count) }
        if foldedBias.count != f { foldedBias = [Float](repeating: 0, count: f) }
        kernel.value.data.withUnsafeBufferPointer { w in
            foldedKernel.withUnsafeMutableBufferPointer { fk in
                for r in 0..<(count / f) {
                    for j in 0..<f { fk[r * f + j] = w[r * f + j] * scale[j] }
                }
            }
        }
        for j in 0..<f { foldedBias[j] = (bias?.value.data[j] ?? 0) * scale[j] + shift[j] }
        self.input = nil
        self.output = nil
        return foldedKernel.withUnsafeBufferPointer { w in
            foldedBias.withUnsafeBufferPointer { b in
                inferChunks(input, weights: w.baseAddress!, bias: b.baseAddress!, activation: act,
                            pool: pool, poolOutputShape: poolOutputShape)
            }
        }
    }

    /// Inference with the given weights, bias and activation, optionally
    /// followed by max pooling, chunk by chunk; nothing is kept for backward.
    private func inferChunks(_ input: Tensor, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             activation act: Activation, pool: MaxPooling2D?, poolOutputShape: [Int]) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let p = g.outH * g.outW
        // A batch too small to give the Winograd GEMMs 128 rows (single-image
        // latency) runs faster as one im2col GEMM. The direct path, where it
        // applies, measured faster than this F(2x2,3x3) Winograd (fovea-emnist
        // batch inference 4,270 vs 3,326 img/s, geron-deep equal).
        let winograd = !usesDirect && usesWinograd && n * tileRows * tileColumns >= 128
        let chunk = winograd ? winogradChunkSize(batch: n) : chunkSize(batch: n)
        if winograd { transformKernel(weights) }
        colsHoldWholeBatch = false
        // One chunk: the convolution, bias and (unless nil) activation into y.
        func convolve(_ x: UnsafePointer<Float>, _ start: Int, _ b: Int, _ y: UnsafeMutablePointer<Float>,
                      _ act: Activation?) {
            if winograd {
                winogradChunk(x, start: start, images: b, into: y, bias: bias, activation: act)
            } else {
                forwardChunk(x, start: start, images: b, into: y, weights: weights, bias: bias, activation: act)
            }
        }
        guard let pool else {
            let out = Tensor(uninitializedShape: [n, g.outH, g.outW, filters])
            input.data.withUnsafeBufferPointer { x in
                out.data.withUnsafeMutableBufferPointer { y in
                    for start in stride(from: 0, to: n, by: chunk) {
                        convolve(x.baseAddress!, start, min(chunk, n - start), y.baseAddress! + start * p * filters, act)
                    }
                }
            }
            return out
        }
        let pooledPerImage = poolOutputShape.reduce(1, *)
        let pooled = Tensor(uninitializedShape: [n] + poolOutputShape)
        if pooledScratch.count < chunk * p * filters {
            pooledScratch = [Float](repeating: 0, count: chunk * p * filters)
        }
        // ReLU commutes with max, so it runs on the pooled values only (a
        // quarter of them for 2x2 pooling).
        let reluAfterPooling = act == .relu
        input.data.withUnsafeBufferPointer { x in
            pooled.data.withUnsafeMutableBufferPointer { yb in
                pooledScratch.withUnsafeMutableBufferPointer { sb in
                    for start in stride(from: 0, to: n, by: chunk) {
                        let b = min(chunk, n - start)
                        convolve(x.baseAddress!, start, b, sb.baseAddress!, reluAfterPooling ? nil : act)
                        let pooledOut = yb.baseAddress! + start * pooledPerImage
                        pool.poolImages(sb.baseAddress!, images: b, into: pooledOut)
                        if reluAfterPooling {
                            Activation.relu.applyInPlace(pooledOut, rows: b * pooledPerImage / filters,
                                                         width: filters, bias: nil)
                        }
                    }
                }
            }
        }
        return pooled
    }

    /// Convolution, bias and (unless nil: the caller applies it later)
    /// activation of images start..<start+images into `y`.
    private func forwardChunk(_ x: UnsafePointer<Float>, start: Int, images b: Int, into y: UnsafeMutablePointer<Float>,
                              weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation act: Activation?) {
        let g = geometry
        let k = kernelSize.height * kernelSize.width * g.inC
        let p = g.outH * g.outW
        let imageSize = g.inH * g.inW * g.inC
        if usesDirect {
            directForward(x, start: start, images: b, into: y, weights: weights, bias: bias, relu: act == .relu)
            if let act, act != .relu, act != .linear {
                act.applyInPlace(y, rows: b * p, width: filters, bias: nil)
            }
            return
        }
        if !isPointwise && cols.count < b * p * k {
            // Sized for the largest chunk any batch can use, allocated once.
            cols = [Float](repeating: 0, count: chunkSize(batch: Int.max) * p * k)
        }
        cols.withUnsafeMutableBufferPointer { cb in
            let a: UnsafePointer<Float>
            if isPointwise {
                a = x + start * imageSize
            } else {
                im2col(x + start * imageSize, images: b, into: cb.baseAddress!)
                a = UnsafePointer(cb.baseAddress!)
            }
            // Starting from the bias and accumulating (beta 1) folds the bias
            // add into the GEMM instead of a separate pass.
            if let bias {
                for r in 0..<(b * p) { (y + r * filters).update(from: bias, count: filters) }
            }
            sgemm(m: b * p, n: filters, k: k, a: a, lda: k, b: weights, ldb: filters,
                  beta: bias == nil ? 0 : 1, c: y, ldc: filters)
            if let act {
                act.applyInPlace(y, rows: b * p, width: filters, bias: nil)
            }
        }
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let outPerImage = geometry.outH * geometry.outW * filters
        return gradOutput.data.withUnsafeMutableBufferPointer { gp in
            backwardChunks { start, _ in gp.baseAddress! + start * outPerImage }
        }
    }

    /// Backward through the max pooling after this layer and then this
    /// layer, chunk by chunk: the pooling's input gradient for a chunk is
    /// consumed from cache and never written out for the whole batch.
    func backwardPooled(_ gradOutput: Tensor, pool: MaxPooling2D) -> Tensor {
        if usesDirect && !computesInputGradient {
            return directPooledBackward(gradOutput, pool: pool)
        }
        let chunk = chunkSize(batch: gradOutput.batchCount)
        let outPerImage = geometry.outH * geometry.outW * filters
        let pooledPerImage = gradOutput.count / max(1, gradOutput.batchCount)
        if pooledScratch.count < chunk * outPerImage {
            pooledScratch = [Float](repeating: 0, count: chunk * outPerImage)
        }
        return gradOutput.data.withUnsafeBufferPointer { gp in
            pooledScratch.withUnsafeMutableBufferPointer { scratch in
                backwardChunks { start, images in
                    pool.unpoolImages(start: start, images: images, grad: gp.baseAddress! + start * pooledPerImage,
                                      into: scratch.baseAddress!)
                    return scratch.baseAddress!
                }
            }
        }
    }

    /// The backward pass over the batch in chunks; `gradientChunk(start,
    /// images)` supplies dLoss/dOutput for those images as writable memory.
    private func backwardChunks(_ gradientChunk: (Int, Int) -> UnsafeMutablePointer<Float>) -> Tensor {
        guard let input, let output else { preconditionFailure("\(name): backward before forward") }
        let g = geometry
        let n = input.batchCount
        let k = kernelSize.height * kernelSize.width * g.inC
        let p = g.outH * g.outW
        let imageSize = g.inH * g.inW * g.inC
        let chunk = chunkSize(batch: n)
        let direct = usesDirect
        let gradInput = computesInputGradient ? Tensor(shape: input.shape) : Tensor(shape: [0])
        if direct && computesInputGradient && !isPointwise { prepareFlippedKernel() }
        if computesInputGradient && !isPointwise && !direct && dcols.count < chunk * p * k {
            dcols = [Float](repeating: 0, count: chunk * p * k)
        }
        let biasGrad = bias?.grad
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeBufferPointer { y in
                kernel.value.data.withUnsafeBufferPointer { wt in
                    kernel.grad.data.withUnsafeMutableBufferPointer { wg in
                        gradInput.data.withUnsafeMutableBufferPointer { dx in
                            cols.withUnsafeMutableBufferPointer { cb in
                                dcols.withUnsafeMutableBufferPointer { dcb in
                                    for start in stride(from: 0, to: n, by: chunk) {
                                        let b = min(chunk, n - start)
                                        let rows = b * p
                                        let gChunk = gradientChunk(start, b)
                                        activation.backwardInPlace(output: y.baseAddress! + start * p * filters, grad: gChunk,
                                                                   rows: rows, width: filters, fusedSoftmax: fusedSoftmaxGradient)
                                        if direct {
                                            func filterGrad(_ bg: UnsafeMutablePointer<Float>?) {
                                                directFilterGrad(x.baseAddress!, start: start, images: b, grad: gChunk,
                                                                 kernelGrad: wg.baseAddress!, biasGrad: bg)
                                            }
                                            if let biasGrad {
                                                biasGrad.data.withUnsafeMutableBufferPointer { filterGrad($0.baseAddress!) }
                                            } else {
                                                filterGrad(nil)
                                            }
                                        } else {
                                            biasGrad?.data.withUnsafeMutableBufferPointer { bg in
                                                addColumnSums(gChunk, rows: rows, width: filters, into: bg.baseAddress!)
                                            }
                                            let a: UnsafePointer<Float>
                                            if isPointwise {
                                                a = x.baseAddress! + start * imageSize
                                            } else {
                                                if !colsHoldWholeBatch {
                                                    im2col(x.baseAddress! + start * imageSize, images: b, into: cb.baseAddress!)
                                                }
                                                a = UnsafePointer(cb.baseAddress!)
                                            }
                                            sgemm(transA: true, m: k, n: filters, k: rows, a: a, lda: k,
                                                  b: gChunk, ldb: filters, beta: 1, c: wg.baseAddress!, ldc: filters)
                                        }
                                        guard computesInputGradient else { continue }
                                        if direct && !isPointwise {
                                            directInputGrad(gChunk, start: start, images: b,
                                                            into: dx.baseAddress! + start * imageSize)
                                        } else if isPointwise {
                                            sgemm(transB: true, m: rows, n: k, k: filters, a: gChunk, lda: filters,
                                                  b: wt.baseAddress!, ldb: filters,
                                                  c: dx.baseAddress! + start * imageSize, ldc: k)
                                        } else {
                                            sgemm(transB: true, m: rows, n: k, k: filters, a: gChunk, lda: filters,
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
                        let interiorX = ix0 >= 0 && ix0 + kw <= g.inW
                        for ky in 0..<kh {
                            let iy = iy0 + ky
                            if iy >= 0 && iy < g.inH {
                                if interiorX {
                                    addInPlace(d + iy * rowSize + ix0 * c, s, count: kw * c)
                                } else {
                                    for kx in 0..<kw {
                                        let ix = ix0 + kx
                                        if ix >= 0 && ix < g.inW {
                                            addInPlace(d + iy * rowSize + ix * c, s + kx * c, count: c)
                                        }
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

// Winograd F(2x2, 3x3) for inference: each 4x4 input tile d and 3x3 kernel g
// give a 2x2 output tile Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so the 16 element-wise
// products become 16 GEMMs over (tiles × in) · (in × filters): 4 multiplies
// per output instead of 9. Exact in exact arithmetic, it rounds differently
// from im2col, so training keeps im2col and its gradients.
extension Conv2D {
    /// 3x3 stride-1 convolutions with channel counts in whole SIMD8 lanes.
    var usesWinograd: Bool {
        kernelSize == (3, 3) && strides == (1, 1) && geometry.inC % 8 == 0 && filters % 8 == 0
    }

    fileprivate var tileRows: Int { (geometry.outH + 1) / 2 }
    fileprivate var tileColumns: Int { (geometry.outW + 1) / 2 }

    /// Images per chunk: the 16 transformed-tile and product matrices stay
    /// within about 512 KB each (L2-resident), unless that leaves the GEMMs
    /// fewer than 256 rows, which starves OpenBLAS's threads. Measured on
    /// this 2-core EPYC (batch 1024, 2 threads): fovea-emnist's 32-64
    /// channels ran about 15% faster than with 4 MB chunks; geron-deep's
    /// 128-256 channels about 10% faster with the row floor than without.
    fileprivate func winogradChunkSize(batch n: Int) -> Int {
        let tilesPerImage = tileRows * tileColumns
        let cached = (1 << 17) / max(1, 16 * tilesPerImage * max(geometry.inC, filters))
        let floor = (256 + tilesPerImage - 1) / tilesPerImage
        return max(1, min(n, max(cached, floor)))
    }

    /// U[ξ][c][f] = (G g Gᵀ)[ξ] for every input channel c and filter f, from a
    /// kernel in Keras layout [3][3][in][filters].
    fileprivate func transformKernel(_ w: UnsafePointer<Float>) {
        let c = geometry.inC, f = filters
        let plane = c * f
        if winogradKernel.count != 16 * plane { winogradKernel = [Float](repeating: 0, count: 16 * plane) }
        winogradKernel.withUnsafeMutableBufferPointer { ub in
            let u = ub.baseAddress!
            let half = Float8(repeating: 0.5)
            var k = [Float8](repeating: .zero, count: 9)
            var gg = [Float8](repeating: .zero, count: 12)
            for o in stride(from: 0, to: plane, by: 8) {
                for t in 0..<9 { k[t] = load8(w + t * plane + o) }
                // Rows: G g (4x3), then columns: (G g) Gᵀ (4x4).
                for x in 0..<3 {
                    let (a, b, cc) = (k[x], k[3 + x], k[6 + x])
                    gg[x] = a
                    gg[3 + x] = (a + b + cc) * half
                    gg[6 + x] = (a - b + cc) * half
                    gg[9 + x] = cc
                }
                for r in 0..<4 {
                    let (a, b, cc) = (gg[3 * r], gg[3 * r + 1], gg[3 * r + 2])
                    store8(a, u + (4 * r) * plane + o)
                    store8((a + b + cc) * half, u + (4 * r + 1) * plane + o)
                    store8((a - b + cc) * half, u + (4 * r + 2) * plane + o)
                    store8(cc, u + (4 * r + 3) * plane + o)
                }
            }
        }
    }

    /// Convolution of images start..<start+b by the transformed kernel, plus
    /// bias and (unless nil) activation, into `y`.
    fileprivate func winogradChunk(_ x: UnsafePointer<Float>, start: Int, images b: Int,
                                   into y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                                   activation act: Activation?) {
        let g = geometry
        let c = g.inC, f = filters
        let (th, tw) = (tileRows, tileColumns)
        let tiles = b * th * tw
        if winogradTiles.count < 16 * tiles * c {
            winogradTiles = [Float](repeating: 0, count: 16 * winogradChunkSize(batch: Int.max) * th * tw * c)
        }
        if winogradProducts.count < 16 * tiles * f {
            winogradProducts = [Float](repeating: 0, count: 16 * winogradChunkSize(batch: Int.max) * th * tw * f)
        }
        let imageSize = g.inH * g.inW * c
        let src = x + start * imageSize
        winogradTiles.withUnsafeMutableBufferPointer { vb in
            winogradProducts.withUnsafeMutableBufferPointer { mb in
                winogradKernel.withUnsafeBufferPointer { ub in
                    let v = vb.baseAddress!, m = mb.baseAddress!, u = ub.baseAddress!
                    // V = Bᵀ d B per tile, 8 channels at a time, in registers.
                    parallelFor(b * th, costPerItem: tw * 16 * c) { range in
                        let zero = Float8(repeating: 0)
                        for row in range {
                            let image = row / th, ty = row % th
                            let s = src + image * imageSize
                            let iy0 = 2 * ty - g.padTop
                            for tx in 0..<tw {
                                let t = row * tw + tx
                                let ix0 = 2 * tx - g.padLeft
                                let interior = iy0 >= 0 && iy0 + 4 <= g.inH && ix0 >= 0 && ix0 + 4 <= g.inW
                                let plane = tiles * c
                                for j in stride(from: 0, to: c, by: 8) {
                                    @inline(__always) func ld(_ r: Int, _ q: Int) -> Float8 {
                                        let iy = iy0 + r, ix = ix0 + q
                                        return interior || (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
                                            ? load8(s + (iy * g.inW + ix) * c + j) : zero
                                    }
                                    let r0 = bRow(ld(0, 0), ld(0, 1), ld(0, 2), ld(0, 3))
                                    let r1 = bRow(ld(1, 0), ld(1, 1), ld(1, 2), ld(1, 3))
                                    let r2 = bRow(ld(2, 0), ld(2, 1), ld(2, 2), ld(2, 3))
                                    let r3 = bRow(ld(3, 0), ld(3, 1), ld(3, 2), ld(3, 3))
                                    let o = v + t * c + j
                                    @inline(__always) func st(_ q: Int, _ col: (Float8, Float8, Float8, Float8)) {
                                        store8(col.0, o + q * plane)
                                        store8(col.1, o + (4 + q) * plane)
                                        store8(col.2, o + (8 + q) * plane)
                                        store8(col.3, o + (12 + q) * plane)
                                    }
                                    st(0, bRow(r0.0, r1.0, r2.0, r3.0))
                                    st(1, bRow(r0.1, r1.1, r2.1, r3.1))
                                    st(2, bRow(r0.2, r1.2, r2.2, r3.2))
                                    st(3, bRow(r0.3, r1.3, r2.3, r3.3))
                                }
                            }
                        }
                    }
                    for xi in 0..<16 {
                        sgemm(m: tiles, n: f, k: c, a: v + xi * tiles * c, lda: c, b: u + xi * c * f, ldb: f,
                              c: m + xi * tiles * f, ldc: f)
                    }
                    // Y = Aᵀ M A per tile, then bias; edge tiles drop what falls outside.
                    let relu = act == .relu
                    parallelFor(b * th, costPerItem: tw * 16 * f) { range in
                        let zero = Float8(repeating: 0)
                        for row in range {
                            let image = row / th, ty = row % th
                            for tx in 0..<tw {
                                let t = row * tw + tx
                                let plane = tiles * f
                                let rows = min(2, g.outH - 2 * ty), columns = min(2, g.outW - 2 * tx)
                                for j in stride(from: 0, to: f, by: 8) {
                                    let o = m + t * f + j
                                    @inline(__always) func column(_ q: Int) -> (Float8, Float8) {
                                        aRow(load8(o + q * plane), load8(o + (4 + q) * plane),
                                             load8(o + (8 + q) * plane), load8(o + (12 + q) * plane))
                                    }
                                    let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
                                    let bv = bias.map { load8($0 + j) } ?? zero
                                    let top = aRow(c0.0, c1.0, c2.0, c3.0), bottom = aRow(c0.1, c1.1, c2.1, c3.1)
                                    @inline(__always) func put(_ r: Int, _ q: Int, _ value: Float8) {
                                        guard r < rows && q < columns else { return }
                                        var out = value + bv
                                        if relu { out.replace(with: zero, where: out .< zero) }
                                        store8(out, y + ((image * g.outH + 2 * ty + r) * g.outW + 2 * tx + q) * f + j)
                                    }
                                    put(0, 0, top.0)
                                    put(0, 1, top.1)
                                    put(1, 0, bottom.0)
                                    put(1, 1, bottom.1)
                                }
                            }
                        }
                    }
                }
            }
        }
        if let act, act != .relu, act != .linear {
            act.applyInPlace(y, rows: b * g.outH * g.outW, width: f, bias: nil)
        }
    }
}

/// One row (or column) of Bᵀ d B: (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
@inline(__always)
private func bRow(_ d0: Float8, _ d1: Float8, _ d2: Float8, _ d3: Float8) -> (Float8, Float8, Float8, Float8) {
    (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
}

/// One row (or column) of Aᵀ m A: (m0 + m1 + m2, m1 - m2 - m3).
@inline(__always)
private func aRow(_ m0: Float8, _ m1: Float8, _ m2: Float8, _ m3: Float8) -> (Float8, Float8) {
    (m0 + m1 + m2, m1 - m2 - m3)
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
