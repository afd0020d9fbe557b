// Conv2D's direct path: stride-1 layers run on CFoveaKernels' direct loops
// instead of im2col + GEMM. With a following max pooling, each thread takes whole
// images through convolution and pooling (and, backward, unpooling, the
// activation derivative and the kernel gradient), so a batch costs one
// dispatch instead of several per cache-sized chunk.

import CFoveaKernels
import Foundation

extension Conv2D {
    /// Every stride-1 convolution except 1x1 ones over more than 4 channels
    /// (those are a plain GEMM on the input, no im2col); a batch Winograd
    /// takes (3x3 over 3+ channels, enough tiles) runs Winograd instead,
    /// which measured 2-2.5x faster there on geron-deep, and so does one
    /// image of a 7x7 or smaller map at inference (runsFewTiles). The direct loops
    /// keep 8 pixels x 32 filters (forward) or 10 taps x 32 filters (kernel
    /// gradient) in registers and run at 90-100 GFLOP/s per core here,
    /// where im2col + GEMM ran at 20 (3x3x1, a 9-deep GEMM) to 75 (3x3x32→32)
    /// GFLOP/s on two cores. The input gradient is the same forward loop on
    /// the output gradient with the flipped kernel.
    var usesDirect: Bool {
        (forcedAlgorithm == nil || forcedAlgorithm == .direct) && strides == (1, 1)
            && (geometry.inC <= 4 || kernelSize != (1, 1))
    }

    /// The direct kernel over images start..<start+b, split over threads by
    /// image, or by output rows when there are fewer images than threads
    /// (single-image latency). `needed`: only the top-left rows x columns of
    /// each output are computed (the rest is left unwritten).
    func directForward(_ x: UnsafePointer<Float>, start: Int, images b: Int, into y: UnsafeMutablePointer<Float>,
                       weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, parallel: Bool = true,
                       needed: (rows: Int, columns: Int)? = nil) {
        let g = geometry
        directConvolve(x + start * g.inH * g.inW * g.inC, images: b, height: g.inH, width: g.inW, channels: g.inC,
                       kernel: weights, filters: filters, padTop: g.padTop, padLeft: g.padLeft,
                       outHeight: g.outH, outWidth: g.outW, bias: bias, relu: relu, parallel: parallel,
                       needed: needed, into: y)
    }

    /// The output rows and columns a following max pooling reads at
    /// inference, when it leaves some out: a 2x2 'valid' pooling of a 7x7 map
    /// (geron-deep's last convolution) reads 6x6 of it, 73% of the work.
    func pooledRegion(_ pool: MaxPooling2D, poolOutputShape: [Int]) -> (rows: Int, columns: Int)? {
        guard pool.isPlain2x2 else { return nil }
        let rows = 2 * poolOutputShape[0], columns = 2 * poolOutputShape[1]
        return rows < geometry.outH || columns < geometry.outW ? (rows, columns) : nil
    }

    /// fovea_conv_direct_forward over threads: by image, or for fewer images
    /// than threads by 32-filter blocks (when there are at least as many
    /// blocks as threads: each thread then reads only its share of the
    /// kernel, and 7-row maps split evenly) or else by output rows.
    private func directConvolve(_ x: UnsafePointer<Float>, images b: Int, height: Int, width: Int, channels: Int,
                                kernel: UnsafePointer<Float>, filters f: Int, padTop: Int, padLeft: Int,
                                outHeight: Int, outWidth: Int, bias: UnsafePointer<Float>?, relu: Bool,
                                parallel: Bool = true, needed: (rows: Int, columns: Int)? = nil,
                                into y: UnsafeMutablePointer<Float>) {
        let (kh, kw) = kernelSize
        let imageSize = height * width * channels
        let outSize = outHeight * outWidth * f
        let cost = outSize * kh * kw * channels
        let name = self.name
        let rowsNeeded = min(outHeight, needed?.rows ?? outHeight)
        let columnsNeeded = min(outWidth, needed?.columns ?? outWidth)
        func run(_ first: Int, _ count: Int, _ rows: Range<Int>, _ filterRange: Range<Int>? = nil) {
            let fr = filterRange ?? 0..<f
            let rows = rows.clamped(to: 0..<rowsNeeded)
            let status = fovea_conv_direct_forward(x + first * imageSize, Int32(count), Int32(height), Int32(width),
                                                   Int32(channels), kernel, Int32(kh), Int32(kw), Int32(f),
                                                   Int32(padTop), Int32(padLeft), Int32(outHeight), Int32(outWidth),
                                                   bias, relu ? 1 : 0, Int32(rows.lowerBound), Int32(rows.upperBound),
                                                   Int32(columnsNeeded), Int32(fr.lowerBound), Int32(fr.upperBound),
                                                   y + first * outSize)
            // Its scratch is a padded image and kernel: failing means the
            // process is out of memory, as a Swift allocation would trap.
            precondition(status == 0, "\(name): out of memory for the convolution's scratch buffers")
        }
        let threads = Engine.threads
        if !parallel {
            run(0, b, 0..<outHeight)
            return
        }
        if b >= threads || b * cost < 131_072 {
            parallelFor(b, costPerItem: cost) { range in run(range.lowerBound, range.count, 0..<outHeight) }
            return
        }
        let blocks = (f + 31) / 32
        if blocks >= threads {
            let parts = max(1, threads / max(1, b))
            parallelFor(b * parts, costPerItem: cost / parts, minimumWork: 2) { range in
                for task in range {
                    let image = task / parts, part = task % parts
                    run(image, 1, 0..<outHeight, (blocks * part / parts * 32)..<min(f, blocks * (part + 1) / parts * 32))
                }
            }
            return
        }
        let bands = max(1, threads / max(1, b))
        parallelFor(b * bands, costPerItem: cost / bands, minimumWork: 2) { range in
            for task in range {
                let image = task / bands, band = task % bands
                run(image, 1, (rowsNeeded * band / bands)..<(rowsNeeded * (band + 1) / bands))
            }
        }
    }

    /// fovea_conv_direct_forward_maxpool2 over threads: by images, or for
    /// fewer images than threads by 32-filter blocks when there are enough,
    /// else by pooled rows.
    private func directForwardMaxPool(_ x: UnsafePointer<Float>, images b: Int, weights: UnsafePointer<Float>,
                                      bias: UnsafePointer<Float>?, relu: Bool, pooledRows: Int, pooledColumns: Int,
                                      into y: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (kh, kw) = kernelSize
        let f = filters
        let imageSize = g.inH * g.inW * g.inC, pooledSize = pooledRows * pooledColumns * f
        let cost = 4 * pooledSize * kh * kw * g.inC
        let name = self.name
        func run(_ first: Int, _ count: Int, _ rows: Range<Int>, _ filterRange: Range<Int>) {
            let status = fovea_conv_direct_forward_maxpool2(
                x + first * imageSize, Int32(count), Int32(g.inH), Int32(g.inW), Int32(g.inC), weights, Int32(kh),
                Int32(kw), Int32(f), Int32(g.padTop), Int32(g.padLeft), Int32(g.outH), Int32(g.outW), bias,
                relu ? 1 : 0, Int32(pooledRows), Int32(pooledColumns), Int32(rows.lowerBound), Int32(rows.upperBound),
                Int32(filterRange.lowerBound), Int32(filterRange.upperBound), y + first * pooledSize)
            // -2 (a pooling reading past the convolution) cannot happen for a
            // plain 2x2 pooling; -1 is out of memory, as a Swift allocation
            // would trap.
            precondition(status == 0, "\(name): the fused convolution and pooling failed (\(status))")
        }
        let threads = Engine.threads
        if b >= threads || b * cost < 131_072 {
            parallelFor(b, costPerItem: cost) { range in run(range.lowerBound, range.count, 0..<pooledRows, 0..<f) }
            return
        }
        let blocks = (f + 31) / 32
        let parts = max(1, threads / max(1, b))
        parallelFor(b * parts, costPerItem: cost / parts, minimumWork: 2) { range in
            for task in range {
                let image = task / parts, part = task % parts
                if blocks >= threads {
                    run(image, 1, 0..<pooledRows, (blocks * part / parts * 32)..<min(f, blocks * (part + 1) / parts * 32))
                } else {
                    run(image, 1, (pooledRows * part / parts)..<(pooledRows * (part + 1) / parts), 0..<f)
                }
            }
        }
    }

    /// kernelGrad (and biasGrad) += the direct kernel's gradients over images
    /// start..<start+b, each thread into its own partial sums.
    func directFilterGrad(_ x: UnsafePointer<Float>, start: Int, images b: Int, grad: UnsafePointer<Float>,
                                  kernelGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>?) {
        let g = geometry
        let imageSize = g.inH * g.inW * g.inC
        let outSize = g.outH * g.outW * filters
        let kernelCount = kernelSize.height * kernelSize.width * g.inC * filters
        let cost = outSize * kernelSize.height * kernelSize.width * g.inC
        let parts = b * cost >= 131_072 ? max(1, min(Engine.threads, b)) : 1
        let width = kernelCount + filters
        var partial = [Float](repeating: 0, count: parts * width)
        partial.withUnsafeMutableBufferPointer { pb in
            let base = pb.baseAddress!
            parallelFor(parts, costPerItem: 1, minimumWork: 2) { range in
                for part in range {
                    let lo = b * part / parts, hi = b * (part + 1) / parts
                    let status = fovea_conv_direct_filter_grad(x + (start + lo) * imageSize, Int32(hi - lo),
                                                  Int32(g.inH), Int32(g.inW), Int32(g.inC), grad + lo * outSize,
                                                  Int32(kernelSize.height), Int32(kernelSize.width), Int32(filters),
                                                  Int32(g.padTop), Int32(g.padLeft), Int32(g.outH), Int32(g.outW),
                                                  base + part * width, base + part * width + kernelCount)
                    precondition(status == 0, "\(name): out of memory for the convolution's scratch buffers")
                }
            }
        }
        addPartialGradients(partial, parts: parts, kernelGrad: kernelGrad, biasGrad: biasGrad)
    }

    /// kernelGrad (and biasGrad) += the per-thread partial sums, each part
    /// laid out as the kernel gradient followed by the bias gradient.
    private func addPartialGradients(_ partial: [Float], parts: Int, kernelGrad: UnsafeMutablePointer<Float>,
                                     biasGrad: UnsafeMutablePointer<Float>?) {
        let kernelCount = kernel.value.count
        let width = kernelCount + filters
        for part in 0..<parts {
            let o = part * width
            for i in 0..<kernelCount { kernelGrad[i] += partial[o + i] }
            if let biasGrad {
                for j in 0..<filters { biasGrad[j] += partial[o + kernelCount + j] }
            }
        }
    }


    /// Fills `flippedKernel`: dLoss/dInput is the convolution of the output
    /// gradient, padded by (kernel - 1 - padding), with this kernel.
    func prepareFlippedKernel() {
        let (kh, kw) = kernelSize
        let (c, f) = (geometry.inC, filters)
        if flippedKernel.count != kh * kw * c * f { flippedKernel = [Float](repeating: 0, count: kh * kw * c * f) }
        kernel.value.data.withUnsafeBufferPointer { w in
            flippedKernel.withUnsafeMutableBufferPointer { r in
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let src = ((kh - 1 - ky) * kw + (kw - 1 - kx)) * c * f
                        let dst = (ky * kw + kx) * f * c
                        for ci in 0..<c {
                            for fi in 0..<f { r[dst + fi * c + ci] = w[src + ci * f + fi] }
                        }
                    }
                }
            }
        }
    }

    /// dLoss/dInput of b images from their output gradient, by
    /// the direct kernel on the flipped kernel (after `prepareFlippedKernel`).
    func directInputGrad(_ grad: UnsafePointer<Float>, images b: Int, into dx: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (kh, kw) = kernelSize
        flippedKernel.withUnsafeBufferPointer { wf in
            directConvolve(grad, images: b, height: g.outH, width: g.outW, channels: filters,
                           kernel: wf.baseAddress!, filters: g.inC, padTop: kh - 1 - g.padTop,
                           padLeft: kw - 1 - g.padLeft, outHeight: g.inH, outWidth: g.inW, bias: nil, relu: false,
                           into: dx)
        }
    }

    /// Forward through this layer and the max pooling after it, image by
    /// image on each thread. In training the full convolution output is kept
    /// for both layers' backward; at inference it lives in a per-thread
    /// buffer of one image.
    func directPooledForward(_ input: Tensor, pool: MaxPooling2D, poolOutputShape: [Int], training: Bool) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let outSize = g.outH * g.outW * filters
        let pooledSize = poolOutputShape.reduce(1, *)
        let pooled = Tensor(uninitializedShape: [n] + poolOutputShape)
        let act = activation
        let cost = outSize * kernelSize.height * kernelSize.width * g.inC
        // Only when backward will be the fused first-layer one (no input
        // gradient), whose activation derivative can be taken on the pooled
        // values: ReLU and linear commute with max.
        let keepIndex = training && !computesInputGradient && pool.isPlain2x2 && n >= Engine.threads
            && (act == .relu || act == .linear)
        let full = training && !keepIndex ? Tensor(uninitializedShape: [n, g.outH, g.outW, filters]) : Tensor(shape: [0])
        // At inference only what the pooling reads is computed; in training
        // the kept output must be whole (backward reads every cell).
        let needed = training ? nil : pooledRegion(pool, poolOutputShape: poolOutputShape)
        if keepIndex && poolIndex.count != n * pooledSize { poolIndex = [UInt8](repeating: 0, count: n * pooledSize) }
        withWeights { w, b in
            input.data.withUnsafeBufferPointer { xb in
                pooled.data.withUnsafeMutableBufferPointer { pb in
                    full.data.withUnsafeMutableBufferPointer { fb in
                        let x = xb.baseAddress!, py = pb.baseAddress!
                        let keep = training ? fb.baseAddress : nil
                        if keepIndex {
                            // Training, first layer: pool each image's convolution
                            // from a per-thread buffer and keep, per pooled value,
                            // which window cell won (a byte) instead of the whole
                            // convolution output.
                            let index = UncheckedSendable(poolIndex.withUnsafeMutableBufferPointer { $0.baseAddress! })
                            parallelFor(n, costPerItem: cost) { range in
                                var scratch = [Float](repeating: 0, count: outSize)
                                scratch.withUnsafeMutableBufferPointer { sb in
                                    let y = sb.baseAddress!
                                    for i in range {
                                        directForward(x, start: i, images: 1, into: y, weights: w, bias: b,
                                                      relu: act == .relu, parallel: false)
                                        fovea_maxpool2x2_forward_index(y, 1, Int32(g.outH), Int32(g.outW), Int32(filters),
                                                                       Int32(poolOutputShape[0]), Int32(poolOutputShape[1]),
                                                                       py + i * pooledSize, index.value + i * pooledSize)
                                    }
                                }
                            }
                            return
                        }
                        if !training && pool.isPlain2x2 && act != .softmax {
                            // Inference: the pooling runs inside the convolution's
                            // loops (fovea_conv_direct_forward_maxpool2), whose
                            // outputs are never stored. An activation other than
                            // ReLU is non-decreasing too, so it commutes with the
                            // max and runs on the pooled values.
                            directForwardMaxPool(x, images: n, weights: w, bias: b, relu: act == .relu,
                                                 pooledRows: poolOutputShape[0], pooledColumns: poolOutputShape[1],
                                                 into: py)
                            if act != .relu && act != .linear {
                                act.applyInPlace(py, rows: n * pooledSize / filters, width: filters, bias: nil)
                            }
                            return
                        }
                        if n < Engine.threads {
                            // Fewer images than threads (latency): the convolution
                            // splits each image's rows over the threads instead.
                            var scratch = [Float](repeating: 0, count: keep == nil ? n * outSize : 0)
                            scratch.withUnsafeMutableBufferPointer { sb in
                                let y = keep ?? sb.baseAddress!
                                directForward(x, start: 0, images: n, into: y, weights: w, bias: b, relu: act == .relu,
                                              needed: needed)
                                if act != .relu && act != .linear {
                                    act.applyInPlace(y, rows: n * g.outH * g.outW, width: filters, bias: nil)
                                }
                                pool.poolImages(y, images: n, into: py)
                            }
                            return
                        }
                        parallelFor(n, costPerItem: cost) { range in
                            var scratch = [Float](repeating: 0, count: keep == nil ? outSize : 0)
                            scratch.withUnsafeMutableBufferPointer { sb in
                                for i in range {
                                    let y = keep.map { $0 + i * outSize } ?? sb.baseAddress!
                                    directForward(x, start: i, images: 1, into: y, weights: w, bias: b,
                                                  relu: act == .relu, parallel: false, needed: needed)
                                    if act != .relu && act != .linear {
                                        act.applyInPlace(y, rows: g.outH * g.outW, width: filters, bias: nil)
                                    }
                                    pool.poolImages(y, images: 1, into: py + i * pooledSize)
                                }
                            }
                        }
                    }
                }
            }
        }
        pooledForBackward = keepIndex ? pooled : nil
        if training {
            self.input = input
            self.output = keepIndex ? nil : full
            pool.saveForBackward(input: keepIndex ? nil : full, output: keepIndex ? nil : pooled)
        } else {
            self.input = nil
            self.output = nil
        }
        return pooled
    }

    /// Backward through the max pooling after this layer and this layer's
    /// kernel and bias (the first layer of a model: no input gradient),
    /// image by image on each thread into per-thread partial sums.
    func directPooledBackward(_ gradOutput: Tensor, pool: MaxPooling2D) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let g = geometry
        let n = input.batchCount
        let outSize = g.outH * g.outW * filters
        let pooledSize = gradOutput.count / max(1, n)
        let act = activation
        if let pooled = pooledForBackward {
            // The forward kept the pooling's window indices: the activation's
            // derivative on the pooled values (ReLU and linear commute with
            // max), then the gradient scattered to the winning cells.
            let (pooledH, pooledW) = (pooled.shape[1], pooled.shape[2])
            return pooled.data.withUnsafeBufferPointer { yb in
                gradOutput.data.withUnsafeBufferPointer { gb in
                    poolIndex.withUnsafeBufferPointer { kb in
                        let y = yb.baseAddress!, gp = gb.baseAddress!, index = kb.baseAddress!
                        return directFirstLayerGradients(input, scratch: pooledSize) { i, d, gPooled in
                            gPooled.update(from: gp + i * pooledSize, count: pooledSize)
                            act.backwardInPlace(output: y + i * pooledSize, grad: gPooled, rows: pooledSize / filters,
                                                width: filters, fusedSoftmax: false)
                            fovea_maxpool2x2_scatter(gPooled, index + i * pooledSize, 1, Int32(g.outH), Int32(g.outW),
                                                     Int32(filters), Int32(pooledH), Int32(pooledW), d)
                        }
                    }
                }
            }
        }
        guard let output else { preconditionFailure("\(name): backward before forward") }
        let fused = fusedSoftmaxGradient
        return output.data.withUnsafeBufferPointer { yb in
            gradOutput.data.withUnsafeBufferPointer { gb in
                let y = yb.baseAddress!, gp = gb.baseAddress!
                return directFirstLayerGradients(input, scratch: 0) { i, d, _ in
                    pool.unpoolImages(start: i, images: 1, grad: gp + i * pooledSize, into: d)
                    act.backwardInPlace(output: y + i * outSize, grad: d, rows: g.outH * g.outW,
                                        width: filters, fusedSoftmax: fused)
                }
            }
        }
    }

    /// Kernel and bias gradients of a first layer (no input gradient), image
    /// by image on each thread into per-thread partial sums:
    /// `outputGradient(i, d, extra)` writes dLoss/d(convolution output) of
    /// image i into d, using `extra` (`scratch` floats) as it likes.
    private func directFirstLayerGradients(
        _ input: Tensor, scratch: Int,
        _ outputGradient: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let imageSize = g.inH * g.inW * g.inC
        let outSize = g.outH * g.outW * filters
        let kernelCount = kernel.value.count
        let width = kernelCount + filters
        let parts = max(1, min(Engine.threads, n))
        var partial = [Float](repeating: 0, count: parts * width)
        input.data.withUnsafeBufferPointer { xb in
            partial.withUnsafeMutableBufferPointer { pb in
                let x = xb.baseAddress!, base = pb.baseAddress!
                parallelFor(parts, costPerItem: 1, minimumWork: 2) { range in
                    var buffer = [Float](repeating: 0, count: outSize + scratch)
                    buffer.withUnsafeMutableBufferPointer { sb in
                        let d = sb.baseAddress!
                        for part in range {
                            for i in (n * part / parts)..<(n * (part + 1) / parts) {
                                outputGradient(i, d, d + outSize)
                                let status = fovea_conv_direct_filter_grad(
                                    x + i * imageSize, 1, Int32(g.inH), Int32(g.inW), Int32(g.inC), d,
                                    Int32(kernelSize.height), Int32(kernelSize.width), Int32(filters),
                                    Int32(g.padTop), Int32(g.padLeft), Int32(g.outH), Int32(g.outW),
                                    base + part * width, base + part * width + kernelCount)
                                precondition(status == 0, "\(name): out of memory for the convolution's scratch buffers")
                            }
                        }
                    }
                }
            }
        }
        kernel.grad.data.withUnsafeMutableBufferPointer { kg in
            if let bias {
                bias.grad.data.withUnsafeMutableBufferPointer { bg in
                    addPartialGradients(partial, parts: parts, kernelGrad: kg.baseAddress!, biasGrad: bg.baseAddress!)
                }
            } else {
                addPartialGradients(partial, parts: parts, kernelGrad: kg.baseAddress!, biasGrad: nil)
            }
        }
        return Tensor(shape: [0])
    }
}
