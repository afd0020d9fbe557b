// Pooling layers over NHWC batches: MaxPooling2D and AveragePooling2D
// (pool size, stride, 'valid'/'same' padding as TensorFlow; 'same' average
// pooling divides by the number of real, non-padded cells) and
// GlobalAveragePooling2D.

import CFoveaKernels

/// Window placement shared by the two windowed pooling layers.
struct PoolGeometry {
    var inH = 0, inW = 0, c = 0, outH = 0, outW = 0, padTop = 0, padLeft = 0
    var pool = (0, 0), stride = (0, 0)

    init() {}

    init(inputShape: [Int], pool: Int, stride: Int, padding: Padding, layer: String, type: String) throws {
        guard inputShape.count == 3 else {
            throw EngineError.shapeMismatch("\(layer) (\(type)) needs input (height, width, channels), got \(inputShape)")
        }
        guard pool > 0, stride > 0 else {
            throw EngineError.invalidArgument("\(layer) (\(type)): pool size and strides must be positive")
        }
        inH = inputShape[0]; inW = inputShape[1]; c = inputShape[2]
        (outH, padTop) = try windowGeometry(size: inH, window: pool, stride: stride, padding: padding, layer: layer)
        (outW, padLeft) = try windowGeometry(size: inW, window: pool, stride: stride, padding: padding, layer: layer)
        self.pool = (pool, pool)
        self.stride = (stride, stride)
    }

    var outputShape: [Int] { [outH, outW, c] }

    /// The input rows and columns covered by output cell (oy, ox), clipped to the image.
    @inline(__always)
    func window(_ oy: Int, _ ox: Int) -> (ys: Range<Int>, xs: Range<Int>) {
        let y0 = oy * stride.0 - padTop, x0 = ox * stride.1 - padLeft
        return (max(y0, 0)..<min(y0 + pool.0, inH), max(x0, 0)..<min(x0 + pool.1, inW))
    }
}

public final class MaxPooling2D: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "MaxPooling2D" }
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding
    public var parameters: [Parameter] { [] }
    private var geometry = PoolGeometry()
    private var input: Tensor?
    private var output: Tensor?
    /// 2x2 windows, stride 2, no padding: CFoveaKernels' vector loops run it.
    var isPlain2x2: Bool {
        poolSize == 2 && strides == 2 && geometry.padTop == 0 && geometry.padLeft == 0
            && 2 * geometry.outH <= geometry.inH && 2 * geometry.outW <= geometry.inW
    }

    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        geometry = try PoolGeometry(inputShape: inputShape, pool: poolSize, stride: strides,
                                    padding: padding, layer: name, type: typeName)
        return geometry.outputShape
    }

    // Forward keeps no argmax: a branch-free max over channels vectorises,
    // and backward finds the winner again by comparing input to output.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.batchCount
        let out = Tensor(uninitializedShape: [n] + geometry.outputShape)
        input.data.withUnsafeBufferPointer { xb in
            out.data.withUnsafeMutableBufferPointer { yb in
                poolImages(xb.baseAddress!, images: n, into: yb.baseAddress!)
            }
        }
        self.input = input
        self.output = out
        return out
    }

    /// Records the tensors of a forward pass done on this layer's behalf
    /// (see Conv2D.forwardPooled).
    func saveForBackward(input: Tensor?, output: Tensor?) {
        self.input = input
        self.output = output
    }

    /// Max-pools `images` consecutive images from `x` into `y`. Also used by
    /// Conv2D to pool its output chunk by chunk at inference.
    func poolImages(_ x: UnsafePointer<Float>, images n: Int, into y: UnsafeMutablePointer<Float>) {
        let g = geometry
        let outPerImage = g.outH * g.outW * g.c
        let inPerImage = g.inH * g.inW * g.c
        if isPlain2x2 {
            parallelFor(n, costPerItem: inPerImage) { range in
                fovea_maxpool2x2_forward(x + range.lowerBound * inPerImage, Int32(range.count), Int32(g.inH),
                                         Int32(g.inW), Int32(g.c), Int32(g.outH), Int32(g.outW),
                                         y + range.lowerBound * outPerImage)
            }
            return
        }
        parallelFor(n, costPerItem: inPerImage) { range in
            for i in range {
                let src = x + i * inPerImage
                var dst = y + i * outPerImage
                for oy in 0..<g.outH {
                    for ox in 0..<g.outW {
                        let (ys, xs) = g.window(oy, ox)
                        let vectorEnd = g.c & ~7
                        if ys.count == 2 && xs.count == 2 {
                            // The common 2x2 window: four rows, one pass.
                            let a = src + (ys.lowerBound * g.inW + xs.lowerBound) * g.c
                            let b = a + g.c, c = a + g.inW * g.c, d = c + g.c
                            for ch in stride(from: 0, to: vectorEnd, by: 8) {
                                let va = load8(a + ch), vb = load8(b + ch), vc = load8(c + ch), vd = load8(d + ch)
                                let ab = va.replacing(with: vb, where: vb .> va)
                                let cd = vc.replacing(with: vd, where: vd .> vc)
                                store8(ab.replacing(with: cd, where: cd .> ab), dst + ch)
                            }
                            for ch in vectorEnd..<g.c {
                                dst[ch] = Swift.max(Swift.max(a[ch], b[ch]), Swift.max(c[ch], d[ch]))
                            }
                            dst += g.c
                            continue
                        }
                        dst.update(from: src + (ys.lowerBound * g.inW + xs.lowerBound) * g.c, count: g.c)
                        for yy in ys {
                            for xx in xs {
                                let row = src + (yy * g.inW + xx) * g.c
                                for ch in stride(from: 0, to: vectorEnd, by: 8) {
                                    let v = load8(row + ch), m = load8(dst + ch)
                                    store8(m.replacing(with: v, where: v .> m), dst + ch)
                                }
                                for ch in vectorEnd..<g.c { dst[ch] = Swift.max(dst[ch], row[ch]) }
                            }
                        }
                        dst += g.c
                    }
                }
            }
        }
    }

    /// Routes each output gradient to the first input in its window (in
    /// row-major order) that equals the window's maximum.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let n = gradOutput.batchCount
        let dx = Tensor(uninitializedShape: input.shape)
        gradOutput.data.withUnsafeBufferPointer { gb in
            dx.data.withUnsafeMutableBufferPointer { db in
                unpoolImages(start: 0, images: n, grad: gb.baseAddress!, into: db.baseAddress!)
            }
        }
        return dx
    }

    /// dLoss/dInput for images start..<start+n of the last forward, from their
    /// output gradients `gp`, written to `d` (which needs no clearing). Also
    /// used by Conv2D to run this backward chunk by chunk.
    func unpoolImages(start: Int, images n: Int, grad gp: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>) {
        guard let input, let output else { preconditionFailure("\(name): backward before forward") }
        let g = geometry
        let outPerImage = g.outH * g.outW * g.c
        let inPerImage = g.inH * g.inW * g.c
        // With disjoint windows (stride ≥ pool) every input cell is written
        // at most once, so covered cells are stored directly and the few
        // uncovered ones cleared; overlapping windows accumulate into zeros.
        if isPlain2x2 {
            input.data.withUnsafeBufferPointer { xb in
                output.data.withUnsafeBufferPointer { yb in
                    let x = xb.baseAddress!, y = yb.baseAddress!
                    parallelFor(n, costPerItem: inPerImage) { range in
                        let i = start + range.lowerBound
                        fovea_maxpool2x2_backward(x + i * inPerImage, y + i * outPerImage,
                                                  gp + range.lowerBound * outPerImage, Int32(range.count),
                                                  Int32(g.inH), Int32(g.inW), Int32(g.c), Int32(g.outH), Int32(g.outW),
                                                  d + range.lowerBound * inPerImage)
                    }
                }
            }
            return
        }
        let disjoint = strides >= poolSize
        if !disjoint { d.update(repeating: 0, count: n * inPerImage) }
        var coveredRows = [Bool](repeating: false, count: g.inH)
        var coveredCols = [Bool](repeating: false, count: g.inW)
        for oy in 0..<g.outH { for yy in g.window(oy, 0).ys { coveredRows[yy] = true } }
        for ox in 0..<g.outW { for xx in g.window(0, ox).xs { coveredCols[xx] = true } }
        input.data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeBufferPointer { yb in
                let x = xb.baseAddress!, y = yb.baseAddress!
                parallelFor(n, costPerItem: inPerImage) { range in
                    for i in range {
                        let src = x + (start + i) * inPerImage
                        let dImg = d + i * inPerImage
                        var yRow = y + (start + i) * outPerImage
                        var gRow = gp + i * outPerImage
                        if disjoint {
                            for yy in 0..<g.inH {
                                for xx in 0..<g.inW where !(coveredRows[yy] && coveredCols[xx]) {
                                    (dImg + (yy * g.inW + xx) * g.c).update(repeating: 0, count: g.c)
                                }
                            }
                        }
                        for oy in 0..<g.outH {
                            for ox in 0..<g.outW {
                                let (ys, xs) = g.window(oy, ox)
                                // Four channels at a time: `pending` keeps each
                                // channel's gradient until its first winner takes it.
                                let vectorEnd = g.c & ~3
                                for ch in stride(from: 0, to: vectorEnd, by: 4) {
                                    let best = load4(yRow + ch)
                                    var pending = load4(gRow + ch)
                                    for yy in ys {
                                        for xx in xs {
                                            let at = (yy * g.inW + xx) * g.c + ch
                                            let hit = load4(src + at) .== best
                                            let add = SIMD4<Float>(repeating: 0).replacing(with: pending, where: hit)
                                            store4(disjoint ? add : load4(dImg + at) + add, dImg + at)
                                            pending.replace(with: 0, where: hit)
                                        }
                                    }
                                }
                                for ch in vectorEnd..<g.c {
                                    let best = yRow[ch]
                                    var pending = gRow[ch]
                                    for yy in ys {
                                        for xx in xs {
                                            let at = (yy * g.inW + xx) * g.c + ch
                                            let hit = src[at] == best
                                            let add: Float = hit ? pending : 0
                                            dImg[at] = disjoint ? add : dImg[at] + add
                                            if hit { pending = 0 }
                                        }
                                    }
                                }
                                yRow += g.c
                                gRow += g.c
                            }
                        }
                    }
                }
            }
        }
    }
}

public final class AveragePooling2D: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "AveragePooling2D" }
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding
    public var parameters: [Parameter] { [] }
    private var geometry = PoolGeometry()
    private var inputShape: [Int] = []

    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        geometry = try PoolGeometry(inputShape: inputShape, pool: poolSize, stride: strides,
                                    padding: padding, layer: name, type: typeName)
        return geometry.outputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let outPerImage = g.outH * g.outW * g.c
        let inPerImage = g.inH * g.inW * g.c
        let out = Tensor(shape: [n] + g.outputShape)
        input.data.withUnsafeBufferPointer { xb in
            out.data.withUnsafeMutableBufferPointer { yb in
                let x = xb.baseAddress!, y = yb.baseAddress!
                parallelFor(n, costPerItem: inPerImage) { range in
                    for i in range {
                        let src = x + i * inPerImage
                        var dst = y + i * outPerImage
                        for oy in 0..<g.outH {
                            for ox in 0..<g.outW {
                                let (ys, xs) = g.window(oy, ox)
                                for yy in ys {
                                    for xx in xs {
                                        let row = src + (yy * g.inW + xx) * g.c
                                        for ch in 0..<g.c { dst[ch] += row[ch] }
                                    }
                                }
                                let inv = 1 / Float(ys.count * xs.count)
                                for ch in 0..<g.c { dst[ch] *= inv }
                                dst += g.c
                            }
                        }
                    }
                }
            }
        }
        inputShape = input.shape
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let g = geometry
        let n = gradOutput.batchCount
        let outPerImage = g.outH * g.outW * g.c
        let inPerImage = g.inH * g.inW * g.c
        let dx = Tensor(shape: inputShape)
        gradOutput.data.withUnsafeBufferPointer { gb in
            dx.data.withUnsafeMutableBufferPointer { db in
                let gp = gb.baseAddress!, d = db.baseAddress!
                parallelFor(n, costPerItem: inPerImage) { range in
                    for i in range {
                        let dImg = d + i * inPerImage
                        var gRow = gp + i * outPerImage
                        for oy in 0..<g.outH {
                            for ox in 0..<g.outW {
                                let (ys, xs) = g.window(oy, ox)
                                let inv = 1 / Float(ys.count * xs.count)
                                for yy in ys {
                                    for xx in xs {
                                        let row = dImg + (yy * g.inW + xx) * g.c
                                        for ch in 0..<g.c { row[ch] += gRow[ch] * inv }
                                    }
                                }
                                gRow += g.c
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}

public final class GlobalAveragePooling2D: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "GlobalAveragePooling2D" }
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []

    public init(name: String? = nil) { self.name = name ?? "" }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 else {
            throw EngineError.shapeMismatch("\(name) (GlobalAveragePooling2D) needs input (height, width, channels), got \(inputShape)")
        }
        return [inputShape[2]]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.batchCount
        let c = input.shape[3], cells = input.shape[1] * input.shape[2]
        let out = Tensor(shape: [n, c])
        let inv = 1 / Float(cells)
        input.data.withUnsafeBufferPointer { xb in
            out.data.withUnsafeMutableBufferPointer { yb in
                let x = xb.baseAddress!, y = yb.baseAddress!
                parallelFor(n, costPerItem: cells * c) { range in
                    for i in range {
                        let dst = y + i * c
                        for p in 0..<cells {
                            let row = x + (i * cells + p) * c
                            for ch in 0..<c { dst[ch] += row[ch] }
                        }
                        for ch in 0..<c { dst[ch] *= inv }
                    }
                }
            }
        }
        inputShape = input.shape
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let n = inputShape[0], c = inputShape[3], cells = inputShape[1] * inputShape[2]
        let dx = Tensor(uninitializedShape: inputShape)
        let inv = 1 / Float(cells)
        gradOutput.data.withUnsafeBufferPointer { gb in
            dx.data.withUnsafeMutableBufferPointer { db in
                let gp = gb.baseAddress!, d = db.baseAddress!
                parallelFor(n, costPerItem: cells * c) { range in
                    for i in range {
                        for p in 0..<cells {
                            let row = d + (i * cells + p) * c
                            for ch in 0..<c { row[ch] = gp[i * c + ch] * inv }
                        }
                    }
                }
            }
        }
        return dx
    }
}
