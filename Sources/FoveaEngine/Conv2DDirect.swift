// Conv2D's direct path: stride-1 layers with few input channels run on
// CFoveaKernels' direct loops instead of im2col + GEMM (whose GEMM would be
// only kh*kw*C deep). With a following max pooling, each thread takes whole
// images through convolution and pooling (and, backward, unpooling, the
// activation derivative and the kernel gradient), so a batch costs one
// dispatch instead of several per cache-sized chunk.

import CFoveaKernels
import Foundation

extension Conv2D {
    /// Stride 1 with at most 4 input channels (a first layer on gray or
    /// colour images): the im2col GEMM would be only kh*kw*C deep, which runs
    /// at a fraction of BLAS speed, so CFoveaKernels' direct loops do the
    /// forward pass and the kernel gradient. On textbook-cnn's
    /// 3x3x1→64 layer (batch 128, 2 threads, `fovea bench --profile`) the
    /// forward + backward pair fell from 15.5 ms to about 3 ms.
    var usesDirect: Bool {
        allowsDirect && strides == (1, 1) && geometry.inC <= 4
    }

    /// The direct kernel over images start..<start+b, split over threads by image.
    func directForward(_ x: UnsafePointer<Float>, start: Int, images b: Int, into y: UnsafeMutablePointer<Float>,
                               weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool) {
        let g = geometry
        let imageSize = g.inH * g.inW * g.inC
        let outSize = g.outH * g.outW * filters
        let cost = outSize * kernelSize.height * kernelSize.width * g.inC
        parallelFor(b, costPerItem: cost) { range in
            let status = fovea_conv_direct_forward(x + (start + range.lowerBound) * imageSize, Int32(range.count),
                                      Int32(g.inH), Int32(g.inW), Int32(g.inC), weights,
                                      Int32(kernelSize.height), Int32(kernelSize.width), Int32(filters),
                                      Int32(g.padTop), Int32(g.padLeft), Int32(g.outH), Int32(g.outW),
                                      bias, relu ? 1 : 0, y + range.lowerBound * outSize)
            // Its scratch is a padded image and kernel: failing means the
            // process is out of memory, as a Swift allocation would trap.
            precondition(status == 0, "\(name): out of memory for the convolution's scratch buffers")
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
        for part in 0..<parts {
            let o = part * width
            for i in 0..<kernelCount { kernelGrad[i] += partial[o + i] }
            if let biasGrad {
                for j in 0..<filters { biasGrad[j] += partial[o + kernelCount + j] }
            }
        }
    }


    /// Forward through this layer and the max pooling after it, image by
    /// image on each thread. In training the full convolution output is kept
    /// for both layers' backward; at inference it lives in a per-thread
    /// buffer of one image.
    func directPooledForward(_ input: Tensor, pool: MaxPooling2D, poolOutputShape: [Int], training: Bool) -> Tensor {
        let g = geometry
        let n = input.batchCount
        let imageSize = g.inH * g.inW * g.inC
        let outSize = g.outH * g.outW * filters
        let pooledSize = poolOutputShape.reduce(1, *)
        let pooled = Tensor(uninitializedShape: [n] + poolOutputShape)
        let full = training ? Tensor(uninitializedShape: [n, g.outH, g.outW, filters]) : Tensor(shape: [0])
        let act = activation
        let cost = outSize * kernelSize.height * kernelSize.width * g.inC
        withWeights { w, b in
            input.data.withUnsafeBufferPointer { xb in
                pooled.data.withUnsafeMutableBufferPointer { pb in
                    full.data.withUnsafeMutableBufferPointer { fb in
                        let x = xb.baseAddress!, py = pb.baseAddress!
                        let keep = training ? fb.baseAddress : nil
                        parallelFor(n, costPerItem: cost) { range in
                            var scratch = [Float](repeating: 0, count: keep == nil ? outSize : 0)
                            scratch.withUnsafeMutableBufferPointer { sb in
                                for i in range {
                                    let y = keep.map { $0 + i * outSize } ?? sb.baseAddress!
                                    directForward(x, start: i, images: 1, into: y, weights: w, bias: b,
                                                  relu: act == .relu)
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
        if training {
            self.input = input
            self.output = full
            pool.saveForBackward(input: full, output: pooled)
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
        guard let input, let output else { preconditionFailure("\(name): backward before forward") }
        let g = geometry
        let n = input.batchCount
        let imageSize = g.inH * g.inW * g.inC
        let outSize = g.outH * g.outW * filters
        let pooledSize = gradOutput.count / max(1, n)
        let kernelCount = kernel.value.count
        let width = kernelCount + filters
        let parts = max(1, min(Engine.threads, n))
        var partial = [Float](repeating: 0, count: parts * width)
        let (act, fused) = (activation, fusedSoftmaxGradient)
        input.data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeBufferPointer { yb in
                gradOutput.data.withUnsafeBufferPointer { gb in
                    partial.withUnsafeMutableBufferPointer { pb in
                        let x = xb.baseAddress!, y = yb.baseAddress!, gp = gb.baseAddress!, base = pb.baseAddress!
                        parallelFor(parts, costPerItem: 1, minimumWork: 2) { range in
                            var scratch = [Float](repeating: 0, count: outSize)
                            scratch.withUnsafeMutableBufferPointer { sb in
                                let d = sb.baseAddress!
                                for part in range {
                                    for i in (n * part / parts)..<(n * (part + 1) / parts) {
                                        pool.unpoolImages(start: i, images: 1, grad: gp + i * pooledSize, into: d)
                                        act.backwardInPlace(output: y + i * outSize, grad: d, rows: g.outH * g.outW,
                                                            width: filters, fusedSoftmax: fused)
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
            }
        }
        kernel.grad.data.withUnsafeMutableBufferPointer { kg in
            for part in 0..<parts {
                for j in 0..<kernelCount { kg[j] += partial[part * width + j] }
            }
        }
        if let bias {
            for part in 0..<parts {
                for j in 0..<filters { bias.grad.data[j] += partial[part * width + kernelCount + j] }
            }
        }
        return Tensor(shape: [0])
    }
}
