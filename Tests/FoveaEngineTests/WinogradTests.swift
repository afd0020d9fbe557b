// Winograd F(4x4, 3x3) convolution: its outputs and gradients (input,
// kernel, bias) against the im2col path of the same layer (itself checked
// against a direct convolution in Conv2DTests), alone and fused with max
// pooling, and its gradients against finite differences.

import CFoveaKernels
import XCTest
@testable import FoveaEngine

final class WinogradTests: XCTestCase {
    private struct Run {
        var output: [Double]
        var inputGradient: [Double]
        var kernelGradient: [Double]
        var biasGradient: [Double]
    }

    /// Forward and backward through `conv` with the given algorithm.
    private func run(_ conv: Conv2D, _ algorithm: Conv2D.Algorithm, x: Tensor, gradient: Tensor,
                     training: Bool = true) -> Run {
        conv.forcedAlgorithm = algorithm
        for p in conv.parameters { p.grad.fill(0) }
        let y = conv.forward(x, training: training)
        let dx = conv.backward(gradient.copy())
        return Run(output: y.data.map(Double.init), inputGradient: dx.data.map(Double.init),
                   kernelGradient: conv.kernel.grad.data.map(Double.init),
                   biasGradient: conv.bias?.grad.data.map(Double.init) ?? [])
    }

    private func assertAgree(_ a: Run, _ b: Run, _ label: String, tolerance: Double = 1e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.output.count, b.output.count, label, file: file, line: line)
        XCTAssertLessThan(relativeError(a.output, b.output), tolerance, "\(label) output", file: file, line: line)
        XCTAssertLessThan(relativeError(a.inputGradient, b.inputGradient), tolerance, "\(label) dInput",
                          file: file, line: line)
        XCTAssertLessThan(relativeError(a.kernelGradient, b.kernelGradient), tolerance, "\(label) dKernel",
                          file: file, line: line)
        XCTAssertLessThan(relativeError(a.biasGradient, b.biasGradient), tolerance, "\(label) dBias",
                          file: file, line: line)
    }

    func testMatchesIm2colForPaddingsSizesAndChannels() throws {
        // Odd and even sizes give partial edge tiles; channel counts off the
        // 16-lane vector width exercise the transforms' tails.
        let cases: [(h: Int, w: Int, c: Int, f: Int, padding: Padding, batch: Int, act: Activation)] = [
            (7, 7, 16, 16, .same, 1, .relu),
            (8, 8, 16, 32, .same, 2, .linear),
            (9, 6, 20, 18, .same, 3, .relu),
            (6, 10, 17, 33, .valid, 2, .tanh),
            (8, 8, 5, 3, .valid, 2, .linear),
            (3, 3, 2, 1, .valid, 1, .linear),
            (5, 4, 3, 40, .same, 1, .sigmoid),
        ]
        for (i, t) in cases.enumerated() {
            let conv = Conv2D(filters: t.f, kernelSize: 3, padding: t.padding, activation: t.act, name: "c")
            let shape = try conv.build(inputShape: [t.h, t.w, t.c])
            for j in 0..<t.f { conv.bias!.value.data[j] = Float(j % 7) * 0.05 - 0.1 }
            let x = randomTensor([t.batch, t.h, t.w, t.c], seed: UInt64(20 + i))
            let gy = randomTensor([t.batch] + shape, seed: UInt64(40 + i))
            assertAgree(run(conv, .winograd, x: x, gradient: gy), run(conv, .im2col, x: x, gradient: gy),
                        "case \(i) \(t)")
        }
    }

    func testMultiChunkBatchMatchesIm2col() throws {
        // More images than one Winograd chunk holds: dU accumulates over the
        // chunks, whose tiles a training forward keeps for backward and an
        // inference forward does not (backward transforms the input again).
        let conv = Conv2D(filters: 128, kernelSize: 3, padding: .same, activation: .relu, name: "c")
        let shape = try conv.build(inputShape: [16, 16, 64])
        conv.forcedAlgorithm = .winograd
        let chunk = conv.winogradChunkSize(batch: Int.max)
        let n = chunk + 2
        let x = randomTensor([n, 16, 16, 64], seed: 5)
        let gy = randomTensor([n] + shape, seed: 6)
        XCTAssertLessThan(chunk, n)
        let reference = run(conv, .im2col, x: x, gradient: gy)
        assertAgree(run(conv, .winograd, x: x, gradient: gy), reference, "multi-chunk, kept tiles")
        assertAgree(run(conv, .winograd, x: x, gradient: gy, training: false), reference, "multi-chunk, recomputed tiles")
    }

    func testFusedMaxPoolingMatchesIm2col() throws {
        // Sequential runs Conv2D + MaxPooling2D fused (forwardPooled,
        // backwardPooled) in training, and through inferChunks at inference.
        let conv = Conv2D(filters: 24, kernelSize: 3, padding: .same, activation: .relu, name: "c")
        let model = try Sequential(inputShape: [10, 10, 16], layers: [conv, MaxPooling2D(poolSize: 2)])
        let x = randomTensor([3, 10, 10, 16], seed: 11)
        let gy = randomTensor([3, 5, 5, 24], seed: 12)
        func fused(_ algorithm: Conv2D.Algorithm) -> ([Double], Run) {
            conv.forcedAlgorithm = algorithm
            let inferred = model.forward(x, training: false).data.map(Double.init)
            for p in conv.parameters { p.grad.fill(0) }
            let y = model.forward(x, training: true)
            let dx = model.backward(gy.copy())
            return (inferred, Run(output: y.data.map(Double.init), inputGradient: dx.data.map(Double.init),
                                  kernelGradient: conv.kernel.grad.data.map(Double.init),
                                  biasGradient: conv.bias!.grad.data.map(Double.init)))
        }
        let (wInfer, wTrain) = fused(.winograd)
        let (iInfer, iTrain) = fused(.im2col)
        XCTAssertLessThan(relativeError(wInfer, iInfer), 1e-4)
        assertAgree(wTrain, iTrain, "pooled")
    }

    func testGradientsAgainstFiniteDifferences() throws {
        for padding in [Padding.same, .valid] {
            let conv = Conv2D(filters: 4, kernelSize: 3, padding: padding, name: "c")
            conv.forcedAlgorithm = .winograd
            try checkLayerGradients(conv, inputShape: [2, 7, 6, 3], seed: 7, label: "\(padding)")
        }
    }

    func testChoosesWinogradOnlyWhereItPays() throws {
        let wide = Conv2D(filters: 32, kernelSize: 3, padding: .same, name: "c")
        _ = try wide.build(inputShape: [14, 14, 32])
        XCTAssertTrue(wide.usesWinograd)
        let narrow = Conv2D(filters: 32, kernelSize: 3, padding: .same, name: "c")
        _ = try narrow.build(inputShape: [28, 28, 1])
        XCTAssertFalse(narrow.usesWinograd)
        let strided = Conv2D(filters: 32, kernelSize: 3, strides: 2, padding: .same, name: "c")
        _ = try strided.build(inputShape: [14, 14, 32])
        strided.forcedAlgorithm = .winograd
        XCTAssertFalse(strided.usesWinograd)
    }

    /// At inference the transformed kernel is kept between calls; a write
    /// to the weights in place, a whole new weight array, or an optimizer
    /// step must each be seen by the next call. The reference is the same
    /// layer through im2col, which keeps nothing.
    func testInferenceFollowsEveryWeightChange() throws {
        Engine.seed(21)
        let conv = Conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .relu, name: "c")
        _ = try conv.build(inputShape: [14, 14, 8])
        let x = randomTensor([1, 14, 14, 8], seed: 22)
        func infer(_ algorithm: Conv2D.Algorithm?) -> [Double] {
            conv.forcedAlgorithm = algorithm
            defer { conv.forcedAlgorithm = nil }
            return conv.forward(x, training: false).data.map(Double.init)
        }
        // One image of 14x14 is 16 tiles: Winograd without forcing.
        XCTAssertTrue(conv.usesWinograd)
        var previous = infer(nil)
        XCTAssertLessThan(relativeError(previous, infer(.im2col)), 1e-5, "first call")
        let changes: [(String, () -> Void)] = [
            ("in-place write", { conv.kernel.value.data[5] += 0.75 }),
            ("new array", { conv.kernel.value.data = conv.kernel.value.data.map { -$0 } }),
            ("optimizer step", {
                for p in conv.parameters { p.grad.fill(0.5) }
                SGD(learningRate: 0.1).step(conv.parameters)
            }),
        ]
        for (label, change) in changes {
            change()
            let now = infer(nil)
            XCTAssertLessThan(relativeError(now, infer(.im2col)), 1e-5, label)
            XCTAssertGreaterThan(relativeError(now, previous), 1e-3, "\(label) changed nothing")
            previous = now
        }
        // Unchanged weights: the cached transform gives the same result.
        XCTAssertEqual(infer(nil), previous)
    }

    /// The same for a convolution folded with the BatchNormalization after
    /// it (Sequential's inference path): moving statistics written after a
    /// first prediction change the next one, which matches running the
    /// layers one by one.
    func testFoldedInferenceFollowsBatchNormChanges() throws {
        try assertFoldedInferenceFollowsBatchNorm(map: 14, channels: 8, filters: 16, batch: 2, algorithm: nil, seed: 23)
    }

    /// Conv2D (no bias) + BatchNormalization + ReLU + 2x2 pooling predicted
    /// with `algorithm` forced on the convolution, against the layers one by
    /// one through im2col; then written batch norm statistics change the
    /// next prediction, which again matches.
    private func assertFoldedInferenceFollowsBatchNorm(map: Int, channels: Int, filters: Int, batch: Int,
                                                       algorithm: Conv2D.Algorithm?, seed: UInt64,
                                                       file: StaticString = #filePath, line: UInt = #line) throws {
        Engine.seed(seed)
        let conv = Conv2D(filters: filters, kernelSize: 3, padding: .same, useBias: false)
        let bn = BatchNormalization()
        let model = try Sequential(inputShape: [map, map, channels],
                                   layers: [conv, bn, ActivationLayer(.relu), MaxPooling2D(poolSize: 2)])
        let x = randomTensor([batch, map, map, channels], seed: seed + 1)
        func layerByLayer() -> [Double] {
            conv.forcedAlgorithm = .im2col
            defer { conv.forcedAlgorithm = algorithm }
            var h = x
            for layer in model.layers { h = layer.forward(h, training: false) }
            return h.data.map(Double.init)
        }
        conv.forcedAlgorithm = algorithm
        let first = model.predict(x).data.map(Double.init)
        XCTAssertLessThan(relativeError(first, layerByLayer()), 1e-5, file: file, line: line)
        for (i, p) in bn.parameters.enumerated() {
            for j in p.value.data.indices { p.value.data[j] = 0.25 + Float((i + j) % 5) * 0.2 }
        }
        let second = model.predict(x).data.map(Double.init)
        XCTAssertLessThan(relativeError(second, layerByLayer()), 1e-5, file: file, line: line)
        XCTAssertGreaterThan(relativeError(second, first), 1e-3, file: file, line: line)
    }

    // MARK: One image of few tiles (Conv2D.runsFewTiles)

    /// One image of a small map at inference by the few-tile path (the kernel
    /// transformed on the fly) against im2col: 2x2, 2x1 and 1x1 tile grids,
    /// edge tiles cut short, channel counts off the 16-lane block (including
    /// fewer than 16), with and without bias, ReLU, linear and tanh.
    func testFewTilesMatchesIm2col() throws {
        // window: 6 for F(4x4), 5 for F(3x3), whichever needs fewer products.
        let cases: [(h: Int, w: Int, c: Int, f: Int, padding: Padding, act: Activation, bias: Bool, window: Int)] = [
            (7, 7, 128, 32, .same, .relu, true, 6),
            (7, 7, 20, 16, .same, .linear, false, 6),
            (7, 5, 5, 48, .valid, .tanh, true, 5),
            (4, 4, 33, 16, .same, .relu, true, 6),
            (6, 3, 16, 32, .same, .sigmoid, false, 5),
            (6, 6, 40, 16, .same, .relu, true, 5),
            (3, 3, 3, 16, .valid, .linear, true, 5),
        ]
        for (i, t) in cases.enumerated() {
            let conv = Conv2D(filters: t.f, kernelSize: 3, padding: t.padding, activation: t.act, useBias: t.bias,
                              name: "c")
            _ = try conv.build(inputShape: [t.h, t.w, t.c])
            if let bias = conv.bias { for j in 0..<t.f { bias.value.data[j] = Float(j % 7) * 0.05 - 0.1 } }
            let x = randomTensor([1, t.h, t.w, t.c], seed: UInt64(60 + i))
            conv.forcedAlgorithm = .winogradFewTiles
            XCTAssertEqual(conv.fewTilesPlan(batch: 1)?.window, t.window, "case \(i)")
            let few = conv.forward(x, training: false).data.map(Double.init)
            conv.forcedAlgorithm = .im2col
            let reference = conv.forward(x, training: false).data.map(Double.init)
            XCTAssertEqual(few.count, reference.count, "case \(i)")
            XCTAssertLessThan(relativeError(few, reference), 1e-5, "case \(i) \(t)")
        }
    }

    /// The path is only for inference on one image of at most 2x2 tiles with
    /// filters in whole 16-lane blocks: a batch, a 14x14 map or 24 filters
    /// go elsewhere.
    func testFewTilesOnlyWhereItApplies() throws {
        func conv(_ size: Int, _ filters: Int) throws -> Conv2D {
            let c = Conv2D(filters: filters, kernelSize: 3, padding: .same, name: "c")
            _ = try c.build(inputShape: [size, size, 32])
            c.forcedAlgorithm = .winogradFewTiles
            return c
        }
        XCTAssertEqual(try conv(7, 32).fewTilesPlan(batch: 1),
                       Conv2D.FewTilesPlan(window: 6, tileRows: 2, tileColumns: 2))
        // What a 2x2 'valid' pooling reads of a 7x7 map, 6x6: F(3x3)'s 2x2 tiles.
        XCTAssertEqual(try conv(7, 32).fewTilesPlan(batch: 1, needed: (6, 6)),
                       Conv2D.FewTilesPlan(window: 5, tileRows: 2, tileColumns: 2))
        XCTAssertFalse(try conv(7, 32).runsFewTiles(batch: 2))
        XCTAssertFalse(try conv(14, 32).runsFewTiles(batch: 1))
        XCTAssertFalse(try conv(7, 24).runsFewTiles(batch: 1))
    }

    /// Fused with 2x2 pooling, and folded with BatchNormalization, as a model
    /// runs it at inference: the few-tile path against the same layers one
    /// by one through im2col; then a write to the kernel and one to the
    /// batch norm's statistics are each seen by the next prediction (the
    /// regrouped kernel is kept between calls).
    func testFewTilesInModelsFollowsWeightChanges() throws {
        Engine.seed(31)
        let plain = Conv2D(filters: 32, kernelSize: 3, padding: .same, activation: .relu, name: "plain")
        let folded = Conv2D(filters: 48, kernelSize: 3, padding: .same, useBias: false, name: "folded")
        let bn = BatchNormalization()
        let model = try Sequential(inputShape: [7, 7, 24],
                                   layers: [plain, MaxPooling2D(poolSize: 2), folded, bn, ActivationLayer(.relu)])
        // The pooling reads 6x6 of the 7x7 map: F(3x3)'s 2x2 tiles, the 7th
        // row and column never computed; the pooled 3x3 map is one F(3x3) tile.
        let x = randomTensor([1, 7, 7, 24], seed: 32)
        func layerByLayer() -> [Double] {
            plain.forcedAlgorithm = .im2col
            folded.forcedAlgorithm = .im2col
            defer { plain.forcedAlgorithm = .winogradFewTiles; folded.forcedAlgorithm = .winogradFewTiles }
            var h = x
            for layer in model.layers { h = layer.forward(h, training: false) }
            return h.data.map(Double.init)
        }
        plain.forcedAlgorithm = .winogradFewTiles
        folded.forcedAlgorithm = .winogradFewTiles
        var previous = model.predict(x).data.map(Double.init)
        XCTAssertLessThan(relativeError(previous, layerByLayer()), 1e-5, "first call")
        let changes: [(String, () -> Void)] = [
            ("pooled layer's kernel", { plain.kernel.value.data[7] += 0.75 }),
            ("folded layer's kernel", { folded.kernel.value.data = folded.kernel.value.data.map { -$0 } }),
            ("batch norm statistics", {
                for (i, p) in bn.parameters.enumerated() {
                    for j in p.value.data.indices { p.value.data[j] = 0.25 + Float((i + j) % 5) * 0.2 }
                }
            }),
        ]
        for (label, change) in changes {
            change()
            let now = model.predict(x).data.map(Double.init)
            XCTAssertLessThan(relativeError(now, layerByLayer()), 1e-5, label)
            XCTAssertGreaterThan(relativeError(now, previous), 1e-3, "\(label) changed nothing")
            previous = now
        }
        XCTAssertEqual(model.predict(x).data.map(Double.init), previous, "unchanged weights")
    }

    /// The C entry points refuse what they cannot do without writing: more
    /// than 4 tiles, filter ranges off the 16-lane blocks, a misaligned
    /// channel start, a window other than 6 or 5.
    func testFewTilesKernelsRefuseBadArguments() {
        var m = [Float](repeating: 7, count: 36 * 4 * 32)
        let vr = [Float](repeating: 1, count: 36 * 4 * 16), k = [Float](repeating: 1, count: 9 * 16 * 32)
        XCTAssertEqual(fovea_wino_few_tiles_products(6, vr, 5, 16, k, 32, 0, 32, &m), -1)
        XCTAssertEqual(fovea_wino_few_tiles_products(6, vr, 4, 16, k, 32, 8, 32, &m), -1)
        XCTAssertEqual(fovea_wino_few_tiles_products(5, vr, 4, 16, k, 32, 0, 48, &m), -1)
        XCTAssertEqual(fovea_wino_few_tiles_products(4, vr, 4, 16, k, 32, 0, 32, &m), -1)
        XCTAssertTrue(m.allSatisfy { $0 == 7 })
        var g = fovea_wino_geometry(in_h: 14, in_w: 14, in_c: 16, out_h: 14, out_w: 14, filters: 32,
                                    pad_top: 1, pad_left: 1, tiles_h: 4, tiles_w: 4)
        var out = [Float](repeating: 7, count: 36 * 16 * 16)
        let x = [Float](repeating: 1, count: 14 * 14 * 16)
        XCTAssertEqual(fovea_wino_few_tiles_input(6, &g, x, 0, 16, &out), -1)
        g.tiles_h = 2; g.tiles_w = 2
        XCTAssertEqual(fovea_wino_few_tiles_input(5, &g, x, 8, 16, &out), -1)
        XCTAssertEqual(fovea_wino_few_tiles_input(7, &g, x, 0, 16, &out), -1)
        XCTAssertTrue(out.allSatisfy { $0 == 7 })
    }

    // MARK: Batches whose pooling reads 6x6 of a 7x7 map (Conv2D.winograd3Tiles)

    /// A batch at inference through a convolution and a 2x2 'valid' pooling
    /// that drops the 7x7 map's last row and column runs F(3x3, 3x3) on the
    /// 6x6 the pooling reads: against im2col then the pooling, layer by
    /// layer, with ReLU and with tanh (applied after the transform), with and
    /// without bias, channel and filter counts off the 16-lane block; and
    /// folded with BatchNormalization, whose changed statistics the next
    /// prediction follows (the F(3x3) kernel is kept between calls).
    func testBatchF3x3UnderPoolingMatchesLayerByLayer() throws {
        for (i, t) in [(c: 16, f: 32, act: Activation.relu, bias: true), (c: 20, f: 24, act: .tanh, bias: false)]
            .enumerated() {
            Engine.seed(UInt64(90 + i))
            let conv = Conv2D(filters: t.f, kernelSize: 3, padding: .same, activation: t.act, useBias: t.bias)
            let pool = MaxPooling2D(poolSize: 2)
            let model = try Sequential(inputShape: [7, 7, t.c], layers: [conv, pool])
            if let b = conv.bias { for j in 0..<t.f { b.value.data[j] = Float(j % 5) * 0.1 - 0.2 } }
            conv.forcedAlgorithm = .winograd
            XCTAssertNotNil(conv.winograd3Tiles(batch: 3, needed: (6, 6)))
            let x = randomTensor([3, 7, 7, t.c], seed: UInt64(95 + i))
            let fused = model.predict(x).data.map(Double.init)
            conv.forcedAlgorithm = .im2col
            let reference = pool.forward(conv.forward(x, training: false), training: false).data.map(Double.init)
            XCTAssertEqual(fused.count, 3 * 3 * 3 * t.f)
            XCTAssertLessThan(relativeError(fused, reference), 1e-5, "case \(i) \(t)")
        }
        try assertFoldedInferenceFollowsBatchNorm(map: 7, channels: 16, filters: 32, batch: 3, algorithm: .winograd,
                                                  seed: 97)
    }
}
