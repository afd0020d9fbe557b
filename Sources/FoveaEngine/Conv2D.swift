// Conv2D: 2-D convolution over NHWC batches, a few images (a cache-sized
// chunk) at a time, in training and inference alike, by one of three
// algorithms: Winograd F(4x4, 3x3) for 3x3 stride-1 kernels over 3+ input
// channels (the extension at the end of this file), CFoveaKernels' direct
// loops for other stride-1 kernels (Conv2DDirect.swift; batches of fewer
// than 16 Winograd tiles also take them, except one image of a 7x7 or
// smaller map at inference, which runs Winograd with the kernel transformed
// on the fly), else im2col + GEMM. The bias and activation, the activation's
// derivative and the bias gradient run on each chunk while it is in cache. A following
// MaxPooling2D can run fused with it, chunk by chunk (forwardPooled /
// backwardPooled, driven by Sequential).
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

    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(shape: [0]))
    public private(set) var bias: Parameter?
    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    private(set) var geometry = Geometry()
    var input: Tensor?
    var output: Tensor?
    private var cols: [Float] = []
    private var dcols: [Float] = []
    private var pooledScratch: [Float] = []
    /// After a training forward of a first layer fused with 2x2 pooling:
    /// the pooled output and, per pooled value, the window cell that won
    /// (see directPooledForward); nil otherwise.
    var pooledForBackward: Tensor?
    var poolIndex: [UInt8] = []
    private var foldedKernel: [Float] = []
    private var foldedBias: [Float] = []
    /// The kernel rotated 180° with in/out channels swapped, [kh][kw][filters][in],
    /// for the direct path's input gradient.
    var flippedKernel: [Float] = []
    /// Winograd buffers: transformed kernel U, tiles V (dV in backward),
    /// products M (dM in backward), and the kernel gradient dU.
    private var winogradKernel: [Float] = []
    private var winogradKernelTransposed: [Float] = []
    /// What winogradKernel and foldedKernel / foldedBias were computed from,
    /// when they may be reused.
    private var winogradStamp: WeightStamp?
    /// The kernel regrouped for the few-tile path (fovea_wino_few_tiles_pack),
    /// what it was made from, and that path's tile and product buffers.
    private var fewTilesKernel: [Float] = []
    /// F(3x3, 3x3)'s transformed kernel for batches at inference
    /// (winograd3Tiles), and what it was made from.
    private var winograd3Kernel: [Float] = []
    private var winograd3Stamp: WeightStamp?
    private var fewTilesStamp: WeightStamp?
    private var fewTilesBuffers: [Float] = []
    private var foldedStamp: WeightStamp?
    private var winogradTiles: [Float] = []
    private var winogradProducts: [Float] = []
    private var winogradKernelGradient: [Float] = []
    /// The last forward ran all its images in one chunk, whose im2col rows
    /// (or Winograd tiles) backward can reuse.
    private var colsHoldWholeBatch = false
    /// The last training forward ran Winograd; backward follows it.
    var forwardUsedWinograd = false
    /// winogradTiles holds the last forward's V for its whole batch, each
    /// chunk's at its own offset, for backward to reuse.
    private var tilesKept = false
    /// Set by tests to compare the algorithms on the same layer.
    var forcedAlgorithm: Algorithm?

    /// Per-chunk caps (in floats) on the im2col rows and on the outputs, so
    /// a chunk's working set stays in cache; measured on this machine's
    /// 2-core EPYC, 2 MB im2col chunks were 1.2–2.2× faster than 32 MB ones.
    static let colsBudget = 1 << 19
    static let outputBudget = 1 << 18
    /// The smallest input or output transform (tiles x 36 x channels) split
    /// over the threads: one image's 14x14 map (16 tiles) is, which made
    /// geron-deep's single-image 14x14 layers about 15% faster (0.139 ->
    /// 0.116 and 0.251 -> 0.214 ms, `fovea bench --ab`, medians).
    static let transformMinimumWork = 16_384
    /// Per-chunk cap (in floats) on each of the Winograd tile and product
    /// buffers, and the fewest GEMM rows (tiles) a chunk may have.
    static let winogradBudget = 1 << 19
    static let winogradMinimumRows = 256
    /// Cap (in floats, 128 MB) on the Winograd tiles a training forward
    /// keeps for backward.
    static let keptTilesBudget = 1 << 25

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
        pooledForBackward = nil
        let g = geometry
        let n = input.batchCount
        let p = g.outH * g.outW
        if !training && runsFewTiles(batch: n) {
            let out = withWeights { w, b in
                inferChunks(input, weights: w, bias: b, source: [kernel.value], activation: activation, pool: nil,
                            poolOutputShape: [])
            }
            forwardUsedWinograd = false
            self.input = input
            self.output = out
            return out
        }
        let out = Tensor(uninitializedShape: [n, g.outH, g.outW, filters])
        let winograd = runsWinograd(batch: n)
        let chunk = winograd ? winogradChunkSize(batch: n) : chunkSize(batch: n)
        withWeights { w, b in
            if winograd {
                prepareWinograd(kernel: w, batch: n, training: training, source: training ? nil : [kernel.value])
            }
            input.data.withUnsafeBufferPointer { x in
                out.data.withUnsafeMutableBufferPointer { y in
                    for start in stride(from: 0, to: n, by: chunk) {
                        convolveChunk(x.baseAddress!, start: start, images: min(chunk, n - start),
                                      into: y.baseAddress! + start * p * filters, weights: w, bias: b,
                                      activation: activation, winograd: winograd)
                    }
                }
            }
        }
        colsHoldWholeBatch = chunk >= n
        forwardUsedWinograd = winograd
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
        pooledForBackward = nil
        if usesDirect && !runsWinograd(batch: input.batchCount) && (training || !runsFewTiles(batch: input.batchCount)) {
            forwardUsedWinograd = false
            return directPooledForward(input, pool: pool, poolOutputShape: poolOutputShape, training: training)
        }
        guard training else {
            self.input = nil
            self.output = nil
            return withWeights { w, b in
                inferChunks(input, weights: w, bias: b, source: [kernel.value], activation: activation,
                            pool: pool, poolOutputShape: poolOutputShape)
            }
        }
        let g = geometry
        let n = input.batchCount
        let p = g.outH * g.outW
        let pooledPerImage = poolOutputShape.reduce(1, *)
        let pooled = Tensor(uninitializedShape: [n] + poolOutputShape)
        let winograd = runsWinograd(batch: n)
        let chunk = winograd ? winogradChunkSize(batch: n) : chunkSize(batch: n)
        let full = Tensor(uninitializedShape: [n, g.outH, g.outW, filters])
        withWeights { w, bb in
            if winograd { prepareWinograd(kernel: w, batch: n, training: true, source: nil) }
            input.data.withUnsafeBufferPointer { x in
                pooled.data.withUnsafeMutableBufferPointer { yb in
                    full.data.withUnsafeMutableBufferPointer { fb in
                        for start in stride(from: 0, to: n, by: chunk) {
                            let b = min(chunk, n - start)
                            let convOut = fb.baseAddress! + start * p * filters
                            convolveChunk(x.baseAddress!, start: start, images: b, into: convOut,
                                          weights: w, bias: bb, activation: activation, winograd: winograd)
                            pool.poolImages(convOut, images: b, into: yb.baseAddress! + start * pooledPerImage)
                        }
                    }
                }
            }
        }
        colsHoldWholeBatch = chunk >= n
        forwardUsedWinograd = winograd
        self.input = input
        self.output = full
        pool.saveForBackward(input: full, output: pooled)
        return pooled
    }

    /// Inference through this convolution and the BatchNormalization after it
    /// (in inference mode), then `activation` and optionally max pooling, as
    /// one convolution whose kernel column f is scaled by γ_f/√(σ²_f+ε) and
    /// whose bias absorbs the shift. The folded weights are kept until any of
    /// the tensors they come from is written (see Tensor.version), so they
    /// always follow the current parameters.
    func inferFolded(_ input: Tensor, batchNorm bn: BatchNormalization, activation act: Activation,
                     pool: MaxPooling2D?, poolOutputShape: [Int]) -> Tensor {
        let source = [kernel.value] + (bias.map { [$0.value] } ?? []) + bn.parameters.map(\.value)
        if foldedStamp?.isCurrent(for: source) != true {
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
            foldedStamp = WeightStamp(source)
        }
        self.input = nil
        self.output = nil
        return foldedKernel.withUnsafeBufferPointer { w in
            foldedBias.withUnsafeBufferPointer { b in
                inferChunks(input, weights: w.baseAddress!, bias: b.baseAddress!, source: source, activation: act,
                            pool: pool, poolOutputShape: poolOutputShape)
            }
        }
    }

    /// Inference with the given weights, bias and activation, optionally
    /// followed by max pooling, chunk by chunk; nothing is kept for backward.
    /// `source`: the tensors `weights` are computed from, for prepareWinograd.
    private func inferChunks(_ input: Tensor, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             source: [Tensor], activation act: Activation, pool: MaxPooling2D?,
                             poolOutputShape: [Int]) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let p = g.outH * g.outW
        // A following pooling may read only part of the output (see pooledRegion).
        let needed = pool.flatMap { pooledRegion($0, poolOutputShape: poolOutputShape) }
        let fewTiles = fewTilesPlan(batch: n, needed: needed)
        let three = fewTiles == nil ? winograd3Tiles(batch: n, needed: needed) : nil
        let winograd = fewTiles == nil && three == nil && runsWinograd(batch: n)
        let chunk = winograd || three != nil ? winogradChunkSize(batch: n) : chunkSize(batch: n)
        if winograd { prepareWinograd(kernel: weights, batch: n, training: false, source: source) }
        if let three { prepareWinograd3(kernel: weights, source: source, chunkTiles: chunk * three.rows * three.columns) }
        if fewTiles != nil { prepareFewTiles(kernel: weights, source: source) }
        colsHoldWholeBatch = false
        // One chunk: the convolution, bias and (unless nil) activation into y.
        func convolve(_ x: UnsafePointer<Float>, _ start: Int, _ b: Int, _ y: UnsafeMutablePointer<Float>,
                      _ act: Activation?) {
            if let fewTiles {
                fewTilesConvolve(x + start * g.inH * g.inW * g.inC, plan: fewTiles, into: y, bias: bias, activation: act)
                return
            }
            if let three {
                winograd3Chunk(x + start * g.inH * g.inW * g.inC, images: b, tiles: three, into: y, bias: bias,
                               activation: act)
                return
            }
            convolveChunk(x, start: start, images: b, into: y, weights: weights, bias: bias, activation: act,
                          winograd: winograd)
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

    /// Whether a batch of n images runs Winograd with a stored transformed
    /// kernel: with fewer than 16 tiles the products are too short to pay
    /// for streaming it (4x the 3x3 kernel's size); one image of few tiles
    /// takes runsFewTiles at inference instead. Measured on this 2-core EPYC, one
    /// image of geron-deep (medians, interleaved runs): 14x14 maps (16 tiles)
    /// 0.19 vs 0.24 ms (64 -> 128) and 0.31 vs 0.42 ms (128 -> 128, pooled)
    /// Winograd vs direct; 7x7 maps (4 tiles) 0.43 vs 0.27 ms (128 -> 256)
    /// and 0.77 vs 0.51 ms (256 -> 256, pooled).
    private func runsWinograd(batch n: Int) -> Bool {
        usesWinograd && forcedAlgorithm != .winogradFewTiles
            && (forcedAlgorithm == .winograd || n * tileRows * tileColumns >= 16)
    }

    /// How one image of a small map runs Winograd at inference with the
    /// kernel transformed on the fly: `window` 6 for F(4x4, 3x3), 5 for
    /// F(3x3, 3x3), and the grid of (at most 4) tiles.
    struct FewTilesPlan: Equatable {
        let window: Int, tileRows: Int, tileColumns: Int
        var tiles: Int { tileRows * tileColumns }
    }

    /// The few-tile plan for a batch of n images whose output is read in its
    /// top-left `needed` rows x columns (nil: all of it), or nil when the
    /// path does not apply. It takes one image of at most 4 tiles, filters
    /// in whole vectors, on AVX-512 (its 24 accumulators would spill in the
    /// AVX2 clone); of the two tilings the one with fewer products: F(3x3)
    /// for a 6x6 region (4 x 25 against 4 x 36; a 2x2 'valid' pooling of a
    /// 7x7 map reads 6x6 of it), F(4x4) for 7x7 (4 x 36 against 9 x 25).
    /// Measured on this 2-core EPYC, one geron-deep image (`fovea bench
    /// --ab 6`, in-process medians against the direct loops): its 7x7
    /// 128 -> 256 layer 0.166 -> 0.089 ms, the 256 -> 256 one with its
    /// pooling 0.293 -> 0.161 ms by F(4x4) (direct computed only the 6x6
    /// cells the pooling reads), the whole image 0.82 -> 0.55 ms; then that
    /// layer by F(3x3) instead of F(4x4) 0.164 -> 0.108 ms (`--ab 10`). Streaming
    /// a stored transformed kernel instead had measured 0.43 vs 0.27 ms and
    /// 0.77 vs 0.51 ms against older direct loops.
    func fewTilesPlan(batch n: Int, needed: (rows: Int, columns: Int)? = nil) -> FewTilesPlan? {
        guard n == 1 && usesWinograd && filters % 16 == 0 else { return nil }
        guard forcedAlgorithm == .winogradFewTiles || (forcedAlgorithm == nil && ownGemmPays) else { return nil }
        let rows = min(needed?.rows ?? geometry.outH, geometry.outH)
        let columns = min(needed?.columns ?? geometry.outW, geometry.outW)
        let four = FewTilesPlan(window: 6, tileRows: (rows + 3) / 4, tileColumns: (columns + 3) / 4)
        let three = FewTilesPlan(window: 5, tileRows: (rows + 2) / 3, tileColumns: (columns + 2) / 3)
        if three.tiles <= 4 && 25 * three.tiles < 36 * four.tiles { return three }
        return four.tiles <= 4 ? four : nil
    }

    /// Whether one image runs the few-tile path when all its output is read.
    func runsFewTiles(batch n: Int) -> Bool { fewTilesPlan(batch: n) != nil }

    /// The F(3x3, 3x3) tile grid (3x3 outputs a tile) for a batch at
    /// inference whose output is read only in its top-left `needed` rows x
    /// columns, when it needs fewer products than F(4x4) over the whole map:
    /// a 2x2 'valid' pooling reads 6x6 of a 7x7 map, 4 tiles x 25 products
    /// against 4 x 36 (geron-deep's last convolution: a 1024-image call 572
    /// -> 545 ms and 611 -> 556 ms in two in-process A/B runs, medians of 6).
    /// Nil otherwise, or when the batch does not run Winograd.
    func winograd3Tiles(batch n: Int, needed: (rows: Int, columns: Int)?) -> (rows: Int, columns: Int)? {
        guard let needed, runsWinograd(batch: n), forcedAlgorithm == nil || forcedAlgorithm == .winograd else {
            return nil
        }
        let rows = (needed.rows + 2) / 3, columns = (needed.columns + 2) / 3
        return 25 * rows * columns < 36 * tileRows * tileColumns ? (rows, columns) : nil
    }

    /// The F(3x3) transformed kernel (kept while the tensors it comes from
    /// are unwritten) and tile and product buffers for `chunkTiles` tiles.
    private func prepareWinograd3(kernel w: UnsafePointer<Float>, source: [Tensor], chunkTiles: Int) {
        let c = geometry.inC, f = filters, plane = c * f
        if winograd3Stamp?.isCurrent(for: source) != true {
            if winograd3Kernel.count != 25 * plane { winograd3Kernel = [Float](repeating: 0, count: 25 * plane) }
            winograd3Kernel.withUnsafeMutableBufferPointer { u in
                let u = u.baseAddress!
                forEachKernelBlock(plane) { begin, end in fovea_wino3_transform_kernel(w, plane, begin, end, u) }
            }
            winograd3Stamp = WeightStamp(source)
        }
        // The tile buffer is overwritten: it no longer holds a training forward's tiles.
        tilesKept = false
        let tileCount = 25 * fovea_wino_plane(chunkTiles, c), productCount = 25 * fovea_wino_plane(chunkTiles, f)
        if winogradTiles.count < tileCount { winogradTiles = [Float](repeating: 0, count: tileCount) }
        if winogradProducts.count < productCount { winogradProducts = [Float](repeating: 0, count: productCount) }
    }

    /// b images by F(3x3, 3x3) over the given tile grid into `y` (outputs
    /// outside the grid's 3 x rows by 3 x columns left unwritten), plus bias
    /// and (unless nil: the caller applies it later) activation; after
    /// prepareWinograd3.
    private func winograd3Chunk(_ x: UnsafePointer<Float>, images b: Int, tiles grid: (rows: Int, columns: Int),
                                into y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                                activation act: Activation?) {
        let c = geometry.inC, f = filters
        let tiles = b * grid.rows * grid.columns
        let relu: Int32 = act == .relu ? 1 : 0
        withUnsafePointer(to: winogradGeometry(tileRows: grid.rows, tileColumns: grid.columns)) { geo in
            winogradTiles.withUnsafeMutableBufferPointer { vb in
                winogradProducts.withUnsafeMutableBufferPointer { mb in
                    winograd3Kernel.withUnsafeBufferPointer { ub in
                        let v = vb.baseAddress!, m = mb.baseAddress!, u = ub.baseAddress!
                        parallelFor(tiles, costPerItem: 25 * c, minimumWork: Self.transformMinimumWork) { range in
                            fovea_wino3_transform_input(geo, x, range.lowerBound, range.upperBound, tiles, v)
                        }
                        let vPlane = fovea_wino_plane(tiles, c), mPlane = fovea_wino_plane(tiles, f)
                        forEachTransformIndex(count: 25) { xi in
                            panelGemm(m: tiles, n: f, k: c, a: v + xi * vPlane, lda: c, b: u + xi * c * f, ldb: f,
                                      c: m + xi * mPlane, ldc: f)
                        }
                        parallelFor(tiles, costPerItem: 25 * f, minimumWork: Self.transformMinimumWork) { range in
                            fovea_wino3_transform_output_filters(geo, m, range.lowerBound, range.upperBound, tiles,
                                                                 0, f, bias, relu, y)
                        }
                    }
                }
            }
        }
        if let act, act != .relu, act != .linear {
            act.applyInPlace(y, rows: b * self.geometry.outH * self.geometry.outW, width: f, bias: nil)
        }
    }

    /// Packs the kernel for the few-tile path unless the tensors it comes
    /// from are unwritten since the last packing.
    private func prepareFewTiles(kernel w: UnsafePointer<Float>, source: [Tensor]) {
        if fewTilesStamp?.isCurrent(for: source) == true { return }
        let c = geometry.inC, f = filters
        if fewTilesKernel.count != 9 * c * f { fewTilesKernel = [Float](repeating: 0, count: 9 * c * f) }
        fewTilesKernel.withUnsafeMutableBufferPointer { packed in
            let p = packed.baseAddress!
            parallelFor(f / 16, costPerItem: 9 * c * 16) { range in
                fovea_wino_few_tiles_pack(w, c, f, range.lowerBound * 16, range.upperBound * 16, p)
            }
        }
        fewTilesStamp = WeightStamp(source)
    }

    /// One image's convolution, bias and (unless nil: the caller applies it
    /// later) activation into `y` by the few-tile path, after prepareFewTiles:
    /// input transform split by channel blocks, then products and output
    /// transform by filter blocks. Outputs outside the plan's tiles (a 7x7
    /// map's last row and column under F(3x3)'s 6x6) are left unwritten.
    private func fewTilesConvolve(_ x: UnsafePointer<Float>, plan: FewTilesPlan, into y: UnsafeMutablePointer<Float>,
                                  bias: UnsafePointer<Float>?, activation act: Activation?) {
        let c = geometry.inC, f = filters, tiles = plan.tiles, window = plan.window
        let xiCount = window * window
        let groups = (c + 15) / 16
        let vrCount = xiCount * groups * 16 * tiles
        let mCount = xiCount * fovea_wino_plane(tiles, f)
        if fewTilesBuffers.count < vrCount + mCount {
            fewTilesBuffers = [Float](repeating: 0, count: vrCount + mCount)
        }
        let relu: Int32 = act == .relu ? 1 : 0
        withUnsafePointer(to: winogradGeometry(tileRows: plan.tileRows, tileColumns: plan.tileColumns)) { geo in
            fewTilesBuffers.withUnsafeMutableBufferPointer { buffers in
                fewTilesKernel.withUnsafeBufferPointer { packed in
                    let vr = buffers.baseAddress!, m = vr + vrCount, k = packed.baseAddress!
                    parallelFor(groups, costPerItem: xiCount * 16 * tiles, minimumWork: Self.transformMinimumWork) { range in
                        let status = fovea_wino_few_tiles_input(Int32(window), geo, x, range.lowerBound * 16,
                                                                min(c, range.upperBound * 16), vr)
                        precondition(status == 0, "few-tile input transform refused its arguments")
                    }
                    // Each thread's filters go through products and output
                    // transform without waiting for the others.
                    parallelFor(f / 16, costPerItem: xiCount * tiles * c * 16) { range in
                        let (lo, hi) = (range.lowerBound * 16, range.upperBound * 16)
                        let status = fovea_wino_few_tiles_products(Int32(window), vr, tiles, c, k, f, lo, hi, m)
                        precondition(status == 0, "few-tile products refused their arguments")
                        if window == 6 {
                            fovea_wino4_transform_output_filters(geo, m, 0, tiles, tiles, lo, hi, bias, relu, y)
                        } else {
                            fovea_wino3_transform_output_filters(geo, m, 0, tiles, tiles, lo, hi, bias, relu, y)
                        }
                    }
                }
            }
        }
        if let act, act != .relu, act != .linear {
            act.applyInPlace(y, rows: self.geometry.outH * self.geometry.outW, width: f, bias: nil)
        }
    }

    /// Convolution, bias and (unless nil: the caller applies it later)
    /// activation of images start..<start+images into `y`, by Winograd (with
    /// the kernel already transformed) or im2col.
    private func convolveChunk(_ x: UnsafePointer<Float>, start: Int, images b: Int, into y: UnsafeMutablePointer<Float>,
                               weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation act: Activation?,
                               winograd: Bool) {
        if winograd {
            winogradChunk(x, start: start, images: b, into: y, bias: bias, activation: act)
        } else {
            forwardChunk(x, start: start, images: b, into: y, weights: weights, bias: bias, activation: act)
        }
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
        if usesDirect && !computesInputGradient && !forwardUsedWinograd {
            return directPooledBackward(gradOutput, pool: pool)
        }
        precondition(pooledForBackward == nil,
                     "\(name): the forward kept only pooling indices (no input gradient); "
                     + "set computesInputGradient before the forward pass to get one")
        let chunk = backwardChunkSize(batch: gradOutput.batchCount)
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

    /// Backward runs in the chunks its forward used.
    private func backwardChunkSize(batch n: Int) -> Int {
        forwardUsedWinograd ? winogradChunkSize(batch: n) : chunkSize(batch: n)
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
        let winograd = forwardUsedWinograd
        let direct = !winograd && usesDirect
        let chunk = backwardChunkSize(batch: n)
        // Winograd's input adjoint overwrites every input value; col2im adds.
        let gradInput = !computesInputGradient ? Tensor(shape: [0])
            : winograd ? Tensor(uninitializedShape: input.shape) : Tensor(shape: input.shape)
        if direct && computesInputGradient && !isPointwise { prepareFlippedKernel() }
        if computesInputGradient && !winograd && !direct && !isPointwise && dcols.count < chunk * p * k {
            dcols = [Float](repeating: 0, count: chunk * p * k)
        }
        if winograd {
            if computesInputGradient { transposeWinogradKernel() }
            let count = 36 * g.inC * filters
            if winogradKernelGradient.count != count {
                winogradKernelGradient = [Float](repeating: 0, count: count)
            } else {
                winogradKernelGradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            }
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
                                        if winograd {
                                            biasGrad?.data.withUnsafeMutableBufferPointer { bg in
                                                addColumnSums(gChunk, rows: rows, width: filters, into: bg.baseAddress!)
                                            }
                                            winogradBackwardChunk(x.baseAddress! + start * imageSize, images: b,
                                                                  start: start, gradient: gChunk,
                                                                  dx: computesInputGradient
                                                                      ? dx.baseAddress! + start * imageSize : nil)
                                            continue
                                        }
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
                                            directInputGrad(gChunk, images: b,
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
                                    if winograd {
                                        addKernelGradient(into: wg.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Winograd's dV overwrote the tiles a later backward would reuse.
        if winograd && computesInputGradient { tilesKept = false }
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

// Winograd F(4x4, 3x3), for training and inference: each 6x6 input tile d
// and 3x3 kernel g give a 4x4 output tile Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so the
// 36 element-wise products become 36 GEMMs M[ξ] = V[ξ] · U[ξ] over
// (tiles × in) · (in × filters): 2.25 multiplies per output instead of 9.
// The backward is the adjoint of the same linear maps, so its gradients
// are exact for the function the forward computes: dM = A dY Aᵀ per tile,
// dU[ξ] = V[ξ]ᵀ dM[ξ] → dKernel = Gᵀ dU G, dV[ξ] = dM[ξ] U[ξ]ᵀ → dInput =
// B dV Bᵀ added over the overlapping tile windows. The transforms are C
// (CFoveaKernels/winograd.c), the GEMMs Fovea's own (gemm.c, see panelGemm).
extension Conv2D {
    /// Which algorithm a convolution runs with; tests force one to compare them.
    enum Algorithm { case im2col, winograd, winogradFewTiles, direct }

    /// 3x3 stride-1 convolutions with at least 3 input channels and 4
    /// filters. Measured on this 2-core EPYC (batch 128, 28x28, forward +
    /// backward): Winograd beat im2col from 3 -> 16 (12 vs 15 ms) and 4 -> 4
    /// channels (9.5 vs 15.5 ms) up; 2 -> 8 was even and 1 -> 32 slower
    /// (15.6 vs 13.7 ms), the transforms outweighing GEMMs that small.
    var usesWinograd: Bool {
        guard kernelSize == (3, 3) && strides == (1, 1) else { return false }
        if let forcedAlgorithm { return forcedAlgorithm == .winograd || forcedAlgorithm == .winogradFewTiles }
        return geometry.inC >= 3 && filters >= 4
    }

    fileprivate var tileRows: Int { (geometry.outH + 3) / 4 }
    fileprivate var tileColumns: Int { (geometry.outW + 3) / 4 }

    fileprivate var winogradGeometry: fovea_wino_geometry {
        winogradGeometry(tileRows: tileRows, tileColumns: tileColumns)
    }

    /// The geometry for the C transforms with a tile grid of one's own (the
    /// F(3x3) and few-tile paths).
    fileprivate func winogradGeometry(tileRows: Int, tileColumns: Int) -> fovea_wino_geometry {
        let g = geometry
        return fovea_wino_geometry(in_h: Int32(g.inH), in_w: Int32(g.inW), in_c: Int32(g.inC),
                                   out_h: Int32(g.outH), out_w: Int32(g.outW), filters: Int32(filters),
                                   pad_top: Int32(g.padTop), pad_left: Int32(g.padLeft),
                                   tiles_h: Int32(tileRows), tiles_w: Int32(tileColumns))
    }

    /// Images per chunk: the 36 transformed-tile and product matrices stay
    /// within a cache-sized budget, unless that leaves the GEMMs fewer than
    /// `winogradMinimumRows` rows. Measured on this 2-core EPYC with OpenBLAS
    /// doing the products (geron-deep's layers, batch 128 and 1024): floors
    /// of 128 to 1024 rows were within 5% of each other.
    func winogradChunkSize(batch n: Int) -> Int {
        let tilesPerImage = tileRows * tileColumns
        let cached = Self.winogradBudget / max(1, 36 * tilesPerImage * max(geometry.inC, filters))
        let floor = (Self.winogradMinimumRows + tilesPerImage - 1) / tilesPerImage
        return max(1, min(n, max(cached, floor)))
    }

    /// Transforms the kernel and sizes the tile and product buffers for the
    /// largest chunk any batch can use; in training, the tiles of the whole
    /// batch when they fit in `keptTilesBudget` floats. Backward then reads
    /// them instead of transforming the input again: measured on this 2-core
    /// EPYC, geron-deep's training step spent 4–5% of its CPU time on that
    /// second transform.
    /// At inference `source` names the tensors `w` is computed from; while
    /// they are unwritten the transformed kernel is reused (for a single
    /// image, transforming geron-deep's 256 -> 256 kernel took longer than the
    /// convolution).
    fileprivate func prepareWinograd(kernel w: UnsafePointer<Float>, batch n: Int, training: Bool,
                                     source: [Tensor]?) {
        if let source, !training, winogradStamp?.isCurrent(for: source) == true {
            // U is current.
        } else {
            transformKernel(w)
            winogradStamp = training ? nil : source.map(WeightStamp.init)
        }
        tilesKept = training && n * keptTilesPerImage <= Self.keptTilesBudget
        let chunkTiles = winogradChunkSize(batch: Int.max) * tileRows * tileColumns
        let tileCount = max(36 * fovea_wino_plane(chunkTiles, geometry.inC), tilesKept ? n * keptTilesPerImage : 0)
        if winogradTiles.count < tileCount { winogradTiles = [Float](repeating: 0, count: tileCount) }
        let productCount = 36 * fovea_wino_plane(chunkTiles, filters)
        if winogradProducts.count < productCount {
            winogradProducts = [Float](repeating: 0, count: productCount)
        }
    }

    /// Floats of kept tiles per image: 36 planes' share of one image plus
    /// each plane's pad (fovea_wino_plane), so a chunk of b images, 36 *
    /// fovea_wino_plane(b * tiles, c) floats, fits before the next.
    private var keptTilesPerImage: Int { 36 * (tileRows * tileColumns * geometry.inC + 16) }

    /// Where the tiles of the chunk starting at image `start` live in winogradTiles.
    fileprivate func tileOffset(start: Int) -> Int {
        tilesKept ? start * keptTilesPerImage : 0
    }

    /// U[ξ] = (G g Gᵀ)[ξ] for every input channel and filter, from a kernel
    /// in Keras layout [3][3][in][filters].
    private func transformKernel(_ w: UnsafePointer<Float>) {
        let plane = geometry.inC * filters
        if winogradKernel.count != 36 * plane { winogradKernel = [Float](repeating: 0, count: 36 * plane) }
        winogradKernel.withUnsafeMutableBufferPointer { u in
            forEachKernelBlock(plane) { begin, end in
                fovea_wino4_transform_kernel(w, plane, begin, end, u.baseAddress!)
            }
        }
    }

    /// U[ξ]ᵀ (filters x in) for every ξ, for the input gradient's products.
    fileprivate func transposeWinogradKernel() {
        let c = geometry.inC, f = filters
        if winogradKernelTransposed.count != 36 * c * f {
            winogradKernelTransposed = [Float](repeating: 0, count: 36 * c * f)
        }
        winogradKernel.withUnsafeBufferPointer { u in
            winogradKernelTransposed.withUnsafeMutableBufferPointer { ut in
                let box = UncheckedSendable((u.baseAddress!, ut.baseAddress!))
                parallelFor(36, costPerItem: c * f) { range in
                    let (u, ut) = box.value
                    for xi in range {
                        let src = u + xi * c * f, dst = ut + xi * c * f
                        // 16 x 16 blocks keep both sides' lines in cache.
                        for i0 in stride(from: 0, to: c, by: 16) {
                            for j0 in stride(from: 0, to: f, by: 16) {
                                for i in i0..<min(i0 + 16, c) {
                                    for j in j0..<min(j0 + 16, f) { dst[j * c + i] = src[i * f + j] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// body(begin, end) over the kernel's (channel, filter) pairs in blocks
    /// of 16 (a vector), split over threads.
    fileprivate func forEachKernelBlock(_ plane: Int, _ body: (Int, Int) -> Void) {
        let blocks = (plane + 15) / 16
        parallelFor(blocks, costPerItem: 16 * 36) { range in
            body(range.lowerBound * 16, min(plane, range.upperBound * 16))
        }
    }

    /// dKernel += Gᵀ dU G from the dU accumulated over a backward's chunks.
    fileprivate func addKernelGradient(into dw: UnsafeMutablePointer<Float>) {
        let plane = geometry.inC * filters
        winogradKernelGradient.withUnsafeBufferPointer { du in
            forEachKernelBlock(plane) { begin, end in
                fovea_wino4_kernel_gradient(du.baseAddress!, plane, begin, end, dw)
            }
        }
    }

    /// body(ξ) for the 36 GEMMs of a chunk, split between the engine's
    /// threads, each GEMM single-threaded: GEMMs this small (a few hundred
    /// rows) lose more to thread hand-offs than they gain. Measured on this
    /// 2-core EPYC (with OpenBLAS then), batch 128, forward + backward: 14x14
    /// 128 -> 128 channels 63-67 ms split by ξ vs 76-97 ms with two threads
    /// per GEMM; 7x7 256 -> 256 about even. Each GEMM is claimed on its own
    /// by whichever thread is free (parallelFor's itemChunks).
    fileprivate func forEachTransformIndex(count: Int = 36, _ body: (Int) -> Void) {
        parallelFor(count, minimumWork: 0, itemChunks: true) { range in
            for xi in range { body(xi) }
        }
    }

    /// V = Bᵀ d B for every tile of `images` images at x, into winogradTiles
    /// from `offset` on.
    fileprivate func transformInput(_ x: UnsafePointer<Float>, images b: Int, offset: Int) {
        let tiles = b * tileRows * tileColumns
        withUnsafePointer(to: winogradGeometry) { geo in
            winogradTiles.withUnsafeMutableBufferPointer { v in
                parallelFor(tiles, costPerItem: 36 * geometry.inC, minimumWork: Self.transformMinimumWork) { range in
                    fovea_wino4_transform_input(geo, x, range.lowerBound, range.upperBound, tiles,
                                                v.baseAddress! + offset)
                }
            }
        }
    }

    /// The geometry and the Winograd buffers (V from `tileOffset`, M, U, dU)
    /// as pointers, for the duration of `body`.
    private func withWinogradBuffers<R>(tileOffset: Int, _ body: (UnsafePointer<fovea_wino_geometry>, UnsafeMutablePointer<Float>,
                                                 UnsafeMutablePointer<Float>, UnsafePointer<Float>,
                                                 UnsafeMutablePointer<Float>?) -> R) -> R {
        withUnsafePointer(to: winogradGeometry) { geo in
            winogradTiles.withUnsafeMutableBufferPointer { v in
                winogradProducts.withUnsafeMutableBufferPointer { m in
                    winogradKernel.withUnsafeBufferPointer { u in
                        winogradKernelGradient.withUnsafeMutableBufferPointer { du in
                            body(geo, v.baseAddress! + tileOffset, m.baseAddress!, u.baseAddress!, du.baseAddress)
                        }
                    }
                }
            }
        }
    }

    /// Convolution of images start..<start+b by the transformed kernel, plus
    /// bias and (unless nil: the caller applies it later) activation, into
    /// `y`; after prepareWinograd.
    fileprivate func winogradChunk(_ x: UnsafePointer<Float>, start: Int, images b: Int,
                                   into y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                                   activation act: Activation?) {
        let c = geometry.inC, f = filters
        let tiles = b * tileRows * tileColumns
        let vPlane = fovea_wino_plane(tiles, c), mPlane = fovea_wino_plane(tiles, f)
        let offset = tileOffset(start: start)
        transformInput(x + start * geometry.inH * geometry.inW * c, images: b, offset: offset)
        let relu: Int32 = act == .relu ? 1 : 0
        withWinogradBuffers(tileOffset: offset) { geo, v, m, u, _ in
            forEachTransformIndex { xi in
                panelGemm(m: tiles, n: f, k: c, a: v + xi * vPlane, lda: c, b: u + xi * c * f, ldb: f,
                          c: m + xi * mPlane, ldc: f)
            }
            parallelFor(tiles, costPerItem: 36 * f, minimumWork: Self.transformMinimumWork) { range in
                fovea_wino4_transform_output(geo, m, range.lowerBound, range.upperBound, tiles, bias, relu, y)
            }
        }
        if let act, act != .relu, act != .linear {
            act.applyInPlace(y, rows: b * geometry.outH * geometry.outW, width: f, bias: nil)
        }
    }

    /// The backward of the chunk of images start..<start+b (x points at
    /// the first) given dLoss/dOutput `dy` (after the activation's
    /// derivative): adds the chunk's dU[ξ] into winogradKernelGradient and,
    /// when `dx` is given, writes dLoss/dInput for its images.
    fileprivate func winogradBackwardChunk(_ x: UnsafePointer<Float>, images b: Int, start: Int,
                                           gradient dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?) {
        let c = geometry.inC, f = filters
        let tiles = b * tileRows * tileColumns
        let vPlane = fovea_wino_plane(tiles, c), mPlane = fovea_wino_plane(tiles, f)
        let offset = tileOffset(start: start)
        if !tilesKept { transformInput(x, images: b, offset: offset) }
        withWinogradBuffers(tileOffset: offset) { geo, v, dm, u, du in
            guard let du else { preconditionFailure("\(name): Winograd kernel gradient not allocated") }
            parallelFor(tiles, costPerItem: 36 * f) { range in
                fovea_wino4_output_adjoint(geo, dy, range.lowerBound, range.upperBound, tiles, dm)
            }
            forEachTransformIndex { xi in
                panelGemm(transA: true, m: c, n: f, k: tiles, a: v + xi * vPlane, lda: c,
                          b: dm + xi * mPlane, ldb: f, beta: 1, c: du + xi * c * f, ldc: f)
            }
            guard let dx else { return }
            // dV overwrites V, which the kernel gradient no longer needs.
            // dV[ξ] = dM[ξ] · U[ξ]ᵀ, with U[ξ]ᵀ stored (transposeWinogradKernel).
            winogradKernelTransposed.withUnsafeBufferPointer { ut in
                let ut = ut.baseAddress!
                forEachTransformIndex { xi in
                    panelGemm(m: tiles, n: c, k: f, a: dm + xi * mPlane, lda: f,
                              b: ut + xi * c * f, ldb: c, c: v + xi * vPlane, ldc: c)
                }
            }
            parallelFor(b, costPerItem: tileRows * tileColumns * 36 * c) { range in
                fovea_wino4_input_adjoint(geo, v, range.lowerBound, range.upperBound, tiles, dx)
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
