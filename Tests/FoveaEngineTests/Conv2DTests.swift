// Conv2D: gradients against finite differences for every stride/padding/
// kernel combination, and 'same' padding placement against a direct
// convolution written independently of im2col.

import XCTest
@testable import FoveaEngine

final class Conv2DTests: XCTestCase {
    func testGradientsForStridesPaddingsAndKernels() throws {
        for (kernel, stride, padding) in [(3, 1, Padding.valid), (3, 2, .valid), (3, 1, .same), (3, 2, .same),
                                          (2, 1, .same), (2, 2, .same), (4, 3, .same), (1, 1, .valid)] {
            let conv = Conv2D(filters: 3, kernelSize: kernel, strides: stride, padding: padding, name: "c")
            try checkLayerGradients(conv, inputShape: [2, 7, 6, 2], seed: UInt64(kernel * 10 + stride))
        }
    }

    func testGradientsWithFusedActivations() throws {
        // The seeds (input and kernel initialisation) keep every ReLU
        // pre-activation farther than eps from its kink, where finite
        // differences are meaningless.
        for act in [Activation.relu, .sigmoid, .tanh, .softmax] {
            Engine.seed(3)
            let conv = Conv2D(filters: 4, kernelSize: (3, 2), padding: .same, activation: act, name: "c")
            try checkLayerGradients(conv, inputShape: [2, 5, 5, 3], eps: 1e-3, seed: 3, label: "\(act)")
        }
    }

    func testGradientWithoutBias() throws {
        let conv = Conv2D(filters: 2, kernelSize: 3, useBias: false, name: "c")
        try checkLayerGradients(conv, inputShape: [1, 5, 5, 2])
        XCTAssertEqual(conv.parameters.map(\.name), ["kernel"])
    }

    /// TensorFlow 'same' padding: for an even padding total the extra row and
    /// column go at the bottom/right. Compared with a direct sum over the
    /// kernel written from that rule.
    func testSamePaddingMatchesDirectConvolution() throws {
        for (kernel, stride) in [(2, 1), (3, 2), (4, 2), (2, 2)] {
            let (h, w, c, f) = (6, 5, 2, 3)
            let conv = Conv2D(filters: f, kernelSize: kernel, strides: stride, padding: .same, name: "c")
            let out = try conv.build(inputShape: [h, w, c])
            let x = randomTensor([1, h, w, c], seed: 3)
            for i in 0..<conv.bias!.value.count { conv.bias!.value.data[i] = Float(i) * 0.1 }
            let y = conv.forward(x, training: false)
            let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
            XCTAssertEqual(out, [oh, ow, f])
            let padTop = max((oh - 1) * stride + kernel - h, 0) / 2
            let padLeft = max((ow - 1) * stride + kernel - w, 0) / 2
            let k = conv.kernel.value.data
            for oy in 0..<oh { for ox in 0..<ow { for fi in 0..<f {
                var s = Double(conv.bias!.value.data[fi])
                for ky in 0..<kernel { for kx in 0..<kernel { for ci in 0..<c {
                    let iy = oy * stride + ky - padTop, ix = ox * stride + kx - padLeft
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    s += Double(x.data[(iy * w + ix) * c + ci]) * Double(k[((ky * kernel + kx) * c + ci) * f + fi])
                }}}
                XCTAssertEqual(Double(y.data[(oy * ow + ox) * f + fi]), s, accuracy: 1e-5)
            }}}
        }
    }

    func testChunkedBatchMatchesSingleImages() throws {
        // A batch larger than one im2col chunk must give the same outputs and
        // gradients as each image alone.
        let conv = Conv2D(filters: 4, kernelSize: 3, padding: .same, name: "c")
        _ = try conv.build(inputShape: [40, 40, 8])
        let perImage = 40 * 40 * 9 * 8
        let n = Conv2D.colsBudget / perImage + 2
        let x = randomTensor([n, 40, 40, 8], seed: 9)
        let y = conv.forward(x, training: false)
        let last = sliceBatch(x, start: n - 1, count: 1, sampleSize: 40 * 40 * 8)
        let yLast = conv.forward(last, training: false)
        let tail = Array(y.data[(y.count - yLast.count)...])
        for i in stride(from: 0, to: tail.count, by: 97) { XCTAssertEqual(tail[i], yLast.data[i], accuracy: 1e-5) }
        // Backward over several chunks: the kernel gradient is the sum of the
        // per-image gradients, and each image's input gradient is its own.
        let gy = randomTensor(y.shape, seed: 10)
        conv.kernel.grad.fill(0)
        _ = conv.forward(x, training: true)
        let dx = conv.backward(gy.copy())
        let batchKernelGrad = conv.kernel.grad.data
        var summed = [Double](repeating: 0, count: batchKernelGrad.count)
        let outPerImage = y.count / n
        for i in 0..<n {
            conv.kernel.grad.fill(0)
            _ = conv.forward(sliceBatch(x, start: i, count: 1, sampleSize: 40 * 40 * 8), training: true)
            let dxi = conv.backward(sliceBatch(gy, start: i, count: 1, sampleSize: outPerImage))
            for j in stride(from: 0, to: dxi.count, by: 89) {
                XCTAssertEqual(dxi.data[j], dx.data[i * dxi.count + j], accuracy: 1e-4)
            }
            for j in summed.indices { summed[j] += Double(conv.kernel.grad.data[j]) }
        }
        XCTAssertLessThan(relativeError(batchKernelGrad.map(Double.init), summed), 1e-5)
    }

    /// The direct kernels (stride 1) against im2col + GEMM
    /// on the same weights: full 32-channel register blocks and a tail,
    /// interior and border pixel groups, with and without bias.
    /// At inference a direct convolution followed by a 2x2 'valid' max
    /// pooling that leaves its last row and column out (7x7 -> 3x3) computes
    /// only the 6x6 the pooling reads; the result must equal im2col layer by
    /// layer, for one image (filters split over two threads) and for three.
    func testDirectPooledInferenceComputesOnlyWhatThePoolingReads() throws {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        Engine.setThreads(2)
        Engine.seed(17)
        let conv = Conv2D(filters: 64, kernelSize: 3, padding: .same, activation: .relu)
        conv.forcedAlgorithm = .direct
        let pool = MaxPooling2D(poolSize: 2)
        let model = try Sequential(inputShape: [7, 7, 16], layers: [conv, pool])
        XCTAssertEqual(model.outputShape, [3, 3, 64])
        if let b = conv.bias { for i in 0..<64 { b.value.data[i] = Float(i % 5) * 0.1 - 0.2 } }
        XCTAssertNotNil(conv.pooledRegion(pool, poolOutputShape: [3, 3, 64]))
        for n in [1, 3] {
            let x = randomTensor([n, 7, 7, 16], seed: UInt64(40 + n))
            let fused = model.predict(x).data.map(Double.init)
            conv.forcedAlgorithm = .im2col
            let reference = pool.forward(conv.forward(x, training: false), training: false).data.map(Double.init)
            conv.forcedAlgorithm = .direct
            XCTAssertEqual(fused.count, n * 3 * 3 * 64)
            XCTAssertLessThan(relativeError(fused, reference), 1e-6, "\(n) images")
        }
    }

    /// At inference a direct convolution followed by a 2x2 pooling runs
    /// them fused (the convolution outputs never stored, the bias and the
    /// activation after the max): against im2col then the pooling, layer by
    /// layer, for kernel sizes, paddings, odd maps (the pooling drops a row
    /// and a column), filter counts off the 32-filter block, each
    /// activation, without bias, for one image (split by filter blocks or by
    /// pooled rows over two threads) and for three.
    func testDirectConvolutionFusedWithPoolingMatchesLayerByLayer() throws {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        Engine.setThreads(2)
        let cases: [(k: Int, padding: Padding, c: Int, f: Int, h: Int, w: Int, act: Activation, bias: Bool)] = [
            (3, .valid, 1, 64, 28, 28, .relu, true),
            (7, .same, 1, 64, 28, 28, .relu, true),
            (5, .same, 3, 40, 11, 9, .linear, true),
            (3, .same, 2, 32, 13, 13, .tanh, false),
            (3, .valid, 1, 16, 9, 12, .sigmoid, true),
        ]
        for (i, t) in cases.enumerated() {
            Engine.seed(UInt64(70 + i))
            let conv = Conv2D(filters: t.f, kernelSize: t.k, padding: t.padding, activation: t.act, useBias: t.bias)
            conv.forcedAlgorithm = .direct
            let pool = MaxPooling2D(poolSize: 2)
            let model = try Sequential(inputShape: [t.h, t.w, t.c], layers: [conv, pool])
            if let b = conv.bias { for j in 0..<t.f { b.value.data[j] = Float(j % 5) * 0.1 - 0.2 } }
            for n in [1, 3] {
                let label = "case \(i) \(t), \(n) images"
                let x = randomTensor([n, t.h, t.w, t.c], seed: UInt64(80 + i + n))
                let fused = model.predict(x).data.map(Double.init)
                conv.forcedAlgorithm = .im2col
                let reference = pool.forward(conv.forward(x, training: false), training: false).data.map(Double.init)
                conv.forcedAlgorithm = .direct
                XCTAssertEqual(fused.count, reference.count, label)
                XCTAssertLessThan(relativeError(fused, reference), 1e-6, label)
            }
        }
    }

    func testDirectKernelMatchesIm2col() throws {
        // Two threads, as on the 2-core machine the split rules were tuned on:
        // one image of 64+ filters splits by 32-filter blocks (with a tail
        // block for 40 and 33), fewer by rows.
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        Engine.setThreads(2)
        for (kh, kw, padding, c, f, h, w, bias) in [(3, 3, Padding.valid, 1, 64, 28, 28, true),
                                                   (3, 3, .same, 16, 96, 7, 7, true),
                                                   (7, 7, .same, 1, 40, 13, 11, true),
                                                   (5, 3, .same, 3, 33, 9, 10, false),
                                                   (1, 1, .valid, 2, 32, 5, 6, true),
                                                   (3, 3, .same, 32, 32, 14, 14, false),
                                                   (3, 3, .valid, 20, 24, 9, 8, true)] {
            let label = "\(kh)x\(kw) \(padding) c\(c) f\(f)"
            func make(direct: Bool) throws -> Conv2D {
                Engine.seed(5)
                let conv = Conv2D(filters: f, kernelSize: (kh, kw), padding: padding, activation: .relu,
                                  useBias: bias, name: "c")
                conv.forcedAlgorithm = direct ? .direct : .im2col
                _ = try conv.build(inputShape: [h, w, c])
                if let b = conv.bias { for i in 0..<f { b.value.data[i] = Float(i % 7) * 0.05 - 0.15 } }
                return conv
            }
            let direct = try make(direct: true), reference = try make(direct: false)
            XCTAssertTrue(direct.usesDirect, label)
            XCTAssertFalse(reference.usesDirect, label)
            let x = randomTensor([3, h, w, c], seed: 21)
            let yd = direct.forward(x, training: true), yr = reference.forward(x, training: true)
            XCTAssertLessThan(relativeError(yd.data.map(Double.init), yr.data.map(Double.init)), 1e-6, label)
            // One image: the direct path splits its filter blocks or rows over the threads.
            let one = sliceBatch(x, start: 1, count: 1, sampleSize: h * w * c)
            let y1d = direct.forward(one, training: false), y1r = reference.forward(one, training: false)
            XCTAssertLessThan(relativeError(y1d.data.map(Double.init), y1r.data.map(Double.init)), 1e-6, label)
            _ = direct.forward(x, training: true)
            _ = reference.forward(x, training: true)
            let gy = randomTensor(yd.shape, seed: 22)
            let dxd = direct.backward(gy.copy()), dxr = reference.backward(gy.copy())
            XCTAssertLessThan(relativeError(dxd.data.map(Double.init), dxr.data.map(Double.init)), 1e-6, label)
            XCTAssertLessThan(relativeError(direct.kernel.grad.data.map(Double.init),
                                            reference.kernel.grad.data.map(Double.init)), 1e-5, label)
            if bias {
                XCTAssertLessThan(relativeError(direct.bias!.grad.data.map(Double.init),
                                                reference.bias!.grad.data.map(Double.init)), 1e-5, label)
            }
        }
    }

    func testRejectsInputSmallerThanValidKernel() {
        XCTAssertThrowsError(try Conv2D(filters: 1, kernelSize: 5, name: "c").build(inputShape: [3, 3, 1]))
    }
}
