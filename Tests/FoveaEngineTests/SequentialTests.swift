// Sequential: Keras default names, output shapes, batched prediction, and
// whole-model gradients (fused softmax cross-entropy) against finite differences.

import XCTest
@testable import FoveaEngine

final class SequentialTests: XCTestCase {
    func testKerasDefaultNamesAndShapes() throws {
        let model = try Sequential(inputShape: [28, 28], layers: [
            Reshape([28, 28, 1]),
            Conv2D(filters: 64, kernelSize: 3, activation: .relu),
            MaxPooling2D(poolSize: 2),
            Flatten(),
            Dense(units: 256, activation: .relu),
            Dense(units: 128, activation: .relu, name: "dense_2"),
            Dense(units: 47, activation: .softmax),
        ])
        XCTAssertEqual(model.layers.map(\.name),
                       ["reshape", "conv2d", "max_pooling2d", "flatten", "dense", "dense_2", "dense_1"])
        XCTAssertEqual(model.outputShapes, [[28, 28, 1], [26, 26, 64], [13, 13, 64], [10816], [256], [128], [47]])
        // Keras's summary count for this model: 640 + 2,769,152 + 32,896 + 6,063.
        XCTAssertEqual(model.parameters.map(\.value.count).reduce(0, +), 2_808_751)
        let other = try Sequential(inputShape: [4, 4, 2], layers: [
            BatchNormalization(), Dropout(rate: 0.1), AveragePooling2D(), Conv2D(filters: 3, kernelSize: 1, name: "conv2d"),
            Conv2D(filters: 3, kernelSize: 1), GlobalAveragePooling2D(), ActivationLayer(.relu),
        ])
        XCTAssertEqual(other.layers.map(\.name), ["batch_normalization", "dropout", "average_pooling2d", "conv2d",
                                                  "conv2d_1", "global_average_pooling2d", "activation"])
    }

    func testInvalidArchitectureIsAnError() {
        XCTAssertThrowsError(try Sequential(inputShape: [3, 3, 1], layers: [Conv2D(filters: 1, kernelSize: 5)]))
        XCTAssertThrowsError(try Sequential(inputShape: [10], layers: [Conv2D(filters: 1, kernelSize: 1)]))
    }

    func testTheSameLayerObjectTwiceIsRefused() throws {
        // Reusing one pooling layer at two places corrupted the heap in a release build.
        let pool = MaxPooling2D(poolSize: 2)
        XCTAssertThrowsError(try Sequential(inputShape: [16, 16, 1], layers: [
            Conv2D(filters: 4, kernelSize: 3, padding: .same), pool, Conv2D(filters: 4, kernelSize: 3, padding: .same), pool,
        ], name: "twice")) { error in
            XCTAssertTrue("\(error)".contains("layer 3 of model 'twice' (MaxPooling2D) is the same object as an earlier layer"), "\(error)")
        }
        // Two distinct layers of the same configuration are fine.
        let model = try Sequential(inputShape: [16, 16, 1], layers: [
            Conv2D(filters: 4, kernelSize: 3, padding: .same), MaxPooling2D(poolSize: 2),
            Conv2D(filters: 4, kernelSize: 3, padding: .same), MaxPooling2D(poolSize: 2),
        ])
        XCTAssertEqual(model.outputShapes.last, [4, 4, 4])
    }

    func testPredictInBatchesMatchesOneForward() throws {
        Engine.seed(3)
        let model = try Sequential(inputShape: [6, 6, 2], layers: [
            Conv2D(filters: 3, kernelSize: 3, padding: .same, activation: .relu), MaxPooling2D(),
            Flatten(), Dense(units: 4, activation: .softmax),
        ])
        let x = randomTensor([10, 6, 6, 2], seed: 1)
        let whole = model.forward(x, training: false)
        let batched = model.predict(x, batchSize: 3)
        XCTAssertEqual(batched.shape, [10, 4])
        for (a, b) in zip(whole.data, batched.data) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertThrowsError(try model.validate(input: Tensor(shape: [2, 6, 6, 3])))
        XCTAssertNoThrow(try model.validate(input: Tensor(shape: [2, 72])))
    }

    /// predict sizes its internal batches by the tensors inference stores
    /// whole: a convolution's output inside a fused group (before its pooling,
    /// or before a folded batch norm) is not one of them.
    func testLargestInferenceSampleSkipsFusedOutputs() throws {
        let textbook = try Architecture.textbookCNN.make(classes: 47)
        // Input 784; the 26x26x64 convolution output is pooled chunk by chunk,
        // so the largest stored tensor is the 13x13x64 pooled map.
        XCTAssertEqual(textbook.outputShapes.map { $0.reduce(1, *) }.max(), 26 * 26 * 64)
        XCTAssertEqual(textbook.largestInferenceSample, 13 * 13 * 64)
        let folded = try Sequential(inputShape: [10, 10, 3], layers: [
            Conv2D(filters: 8, kernelSize: 3, padding: .same), BatchNormalization(), ActivationLayer(.relu),
            Conv2D(filters: 5, kernelSize: 3, padding: .same), BatchNormalization(), MaxPooling2D(),
            Flatten(), Dense(units: 7),
        ])
        // conv + BN + ReLU folded: 10x10x8 = 800 stored; conv + BN + pool: 5x5x5 = 125.
        XCTAssertEqual(folded.largestInferenceSample, 800)
        let plain = try Sequential(inputShape: [4, 4, 2], layers: [Flatten(), Dense(units: 3)])
        XCTAssertEqual(plain.largestInferenceSample, 32)
    }

    /// A first Conv2D on a 1-channel input runs the direct kernel and, with
    /// the max pooling after it, the image-by-image fused passes; training
    /// steps and predictions must match the same model on im2col + GEMM.
    func testDirectFirstLayerTrainsLikeIm2col() throws {
        func make(direct: Bool, activation: Activation) throws -> Sequential {
            Engine.seed(8)
            let conv = Conv2D(filters: 40, kernelSize: 3, activation: activation)
            conv.forcedAlgorithm = direct ? .direct : .im2col
            let model = try Sequential(inputShape: [12, 11, 1], layers: [
                conv, MaxPooling2D(), Flatten(), Dense(units: 5, activation: .softmax),
            ])
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: SoftmaxCrossEntropy(sparse: true))
            return model
        }
        // ReLU and linear take the path that keeps only the pooling's window
        // indices (the first layer needs no input gradient); tanh keeps the
        // convolution's output. 12x11 -> 10x9 leaves a column no 2x2 window covers.
        for activation in [Activation.relu, .linear, .tanh] {
            let direct = try make(direct: true, activation: activation)
            let reference = try make(direct: false, activation: activation)
            let conv = direct.layers[0] as! Conv2D
            XCTAssertTrue(conv.usesDirect)
            let x = randomTensor([9, 12, 11, 1], seed: 4)
            let y = Tensor(shape: [9], data: (0..<9).map { Float($0 % 5) })
            for _ in 0..<3 {
                let a = try direct.trainStep(x: x, y: y).loss, b = try reference.trainStep(x: x, y: y).loss
                XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(activation)")
                XCTAssertEqual(conv.pooledForBackward != nil, activation != .tanh, "\(activation): indexed path")
            }
            // After training steps, a plain forward + backward still gives the
            // input gradient (the full path again).
            let g = Tensor(shape: [9, 5], data: (0..<45).map { Float($0 % 7) * 0.1 - 0.3 })
            _ = direct.forward(x, training: true)
            XCTAssertNil(conv.pooledForBackward)
            _ = reference.forward(x, training: true)
            let dxd = direct.backward(g.copy()), dxr = reference.backward(g.copy())
            XCTAssertEqual(dxd.shape, x.shape)
            XCTAssertLessThan(relativeError(dxd.data.map(Double.init), dxr.data.map(Double.init)), 1e-5,
                              "\(activation) input gradient")
            for (p, q) in zip(direct.parameters, reference.parameters) {
                XCTAssertLessThan(relativeError(p.value.data.map(Double.init), q.value.data.map(Double.init)), 1e-5,
                                  "\(activation) \(p.name)")
            }
            let pd = direct.predict(x, batchSize: 4), pr = reference.predict(x, batchSize: 4)
            XCTAssertLessThan(relativeError(pd.data.map(Double.init), pr.data.map(Double.init)), 1e-5, "\(activation)")
        }
    }

    /// At inference a linear Conv2D + BatchNormalization (+ activation, +
    /// max pooling) runs as one convolution with the normalisation folded
    /// into its weights; it must equal running the layers one by one.
    func testBatchNormFoldedPredictMatchesLayerByLayer() throws {
        Engine.seed(11)
        let model = try Sequential(inputShape: [10, 10, 3], layers: [
            Conv2D(filters: 8, kernelSize: 3, padding: .same), BatchNormalization(), ActivationLayer(.relu),
            MaxPooling2D(poolSize: 2),
            Conv2D(filters: 6, kernelSize: 3, useBias: false), BatchNormalization(epsilon: 0.01),
            ActivationLayer(.tanh),
            Conv2D(filters: 4, kernelSize: 1), BatchNormalization(), MaxPooling2D(poolSize: 3),
            Conv2D(filters: 5, kernelSize: 1), BatchNormalization(),
            Flatten(), Dense(units: 3, activation: .softmax),
        ])
        // Non-trivial statistics and affine parameters, so that a wrong fold shows.
        var seed: UInt64 = 5
        for case let bn as BatchNormalization in model.layers {
            for p in bn.parameters {
                let t = randomTensor(p.value.shape, seed: seed)
                seed += 1
                for i in p.value.data.indices {
                    p.value.data[i] = p.name == "moving_variance" ? 0.2 + abs(t.data[i]) : p.name == "gamma" ? 0.5 + t.data[i] : t.data[i]
                }
            }
        }
        for layer in model.layers { for p in layer.parameters where p.name == "bias" { p.value.data = randomTensor(p.value.shape, seed: 40).data } }
        let x = randomTensor([150, 10, 10, 3], seed: 9)  // several conv chunks
        var h = x
        for layer in model.layers { h = layer.forward(h, training: false) }
        let folded = model.predict(x, batchSize: 150)
        XCTAssertEqual(folded.shape, h.shape)
        for (a, b) in zip(folded.data, h.data) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        // Single-image path, after a weight change (the fold is not stale).
        model.layers[8].parameters[0].value.data[2] *= 3
        var h1 = sliceBatch(x, start: 7, count: 1, sampleSize: 300)
        let one = model.predict(h1, batchSize: 1)
        for layer in model.layers { h1 = layer.forward(h1, training: false) }
        for (a, b) in zip(one.data, h1.data) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    /// 3x3 stride-1 convolutions run by Winograd F(4x4, 3x3) at inference
    /// (odd sizes leave partial edge tiles; 'same' and 'valid' padding; with
    /// and without bias, pooling, a folded BatchNormalization); they must
    /// equal im2col layer by layer.
    func testWinogradPredictMatchesLayerByLayer() throws {
        Engine.seed(12)
        let model = try Sequential(inputShape: [9, 7, 8], layers: [
            Conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .relu),
            Conv2D(filters: 8, kernelSize: 3, activation: .tanh),
            Conv2D(filters: 16, kernelSize: 3, padding: .same, useBias: false), BatchNormalization(),
            ActivationLayer(.relu), MaxPooling2D(poolSize: 2),
            Conv2D(filters: 24, kernelSize: 3, padding: .same), MaxPooling2D(poolSize: 2),
            Flatten(), Dense(units: 3, activation: .softmax),
        ])
        XCTAssertEqual(model.layers.compactMap { ($0 as? Conv2D)?.usesWinograd }, [true, true, true, true])
        for layer in model.layers {
            for p in layer.parameters where p.name != "kernel" {
                let t = randomTensor(p.value.shape, seed: 21)
                p.value.data = t.data.map { p.name == "moving_variance" || p.name == "gamma" ? 0.5 + abs($0) : $0 }
            }
        }
        let x = randomTensor([70, 9, 7, 8], seed: 13)
        var h = x
        for layer in model.layers { h = layer.forward(h, training: false) }
        let fast = model.predict(x, batchSize: 70)
        XCTAssertEqual(fast.shape, h.shape)
        for (a, b) in zip(fast.data, h.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // One image is too few tiles for Winograd: the im2col inference path.
        var x1 = sliceBatch(x, start: 3, count: 1, sampleSize: 9 * 7 * 8)
        let one = model.predict(x1, batchSize: 1)
        for layer in model.layers { x1 = layer.forward(x1, training: false) }
        for (a, b) in zip(one.data, x1.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // The convolution outputs themselves, before softmax squashes differences.
        let trunk = try Sequential(inputShape: [9, 7, 8], layers: [
            Conv2D(filters: 16, kernelSize: 3, padding: .same), Conv2D(filters: 8, kernelSize: 3, useBias: false),
        ])
        var t = x
        for layer in trunk.layers { t = layer.forward(t, training: false) }
        let tf = trunk.predict(x, batchSize: 70)
        XCTAssertEqual(tf.shape, [70, 7, 5, 8])
        for (a, b) in zip(tf.data, t.data) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
    }

    /// Conv2D + MaxPooling2D run fused chunk by chunk; outputs and gradients
    /// must equal running the layers one after the other.
    func testFusedConvolutionPoolingMatchesLayerByLayer() throws {
        Engine.seed(8)
        let model = try Sequential(inputShape: [9, 9, 3], layers: [
            Conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .relu),
            MaxPooling2D(poolSize: 2, padding: .same),
            Conv2D(filters: 5, kernelSize: 2, activation: .tanh),
            MaxPooling2D(poolSize: 3, strides: 1),
            Flatten(), Dense(units: 3, activation: .softmax),
        ])
        let x = randomTensor([300, 9, 9, 3], seed: 4)  // several conv chunks
        var h = x
        for layer in model.layers { h = layer.forward(h, training: false) }
        let fused = model.predict(x, batchSize: 300)
        XCTAssertEqual(fused.shape, h.shape)
        for (a, b) in zip(fused.data, h.data) { XCTAssertEqual(a, b, accuracy: 1e-6) }

        // forward at inference keeps what backward needs (input gradients).
        let gOut = randomTensor(h.shape, seed: 6)
        _ = model.forward(x, training: false)
        let viaModel = model.backward(gOut.copy())
        var viaLayers = gOut.copy()
        for layer in model.layers.reversed() { viaLayers = layer.backward(viaLayers) }
        XCTAssertEqual(viaModel.shape, x.shape)
        XCTAssertLessThan(relativeError(viaModel.data.map(Double.init), viaLayers.data.map(Double.init)), 1e-6)

        // Training: the same gradients as forward and backward layer by layer.
        let y = Tensor(shape: [300], data: (0..<300).map { Float($0 % 3) })
        let loss = SoftmaxCrossEntropy(sparse: true, fromLogits: true)
        _ = model.computeGradients(x: x, y: y, loss: loss)
        let fusedGrads = model.parameters.map(\.grad.data)
        for p in model.parameters { p.grad.fill(0) }
        h = x
        for layer in model.layers { h = layer.forward(h, training: true) }
        var g = loss.compute(prediction: h, target: y).grad
        for layer in model.layers.reversed() { g = layer.backward(g) }
        for (p, expected) in zip(model.parameters, fusedGrads) {
            XCTAssertLessThan(relativeError(p.grad.data.map(Double.init), expected.map(Double.init)), 1e-5, p.name)
        }
    }

    /// Every parameter gradient of a conv/BN/pool/dropout/dense model with
    /// the fused softmax cross-entropy, against differences of the loss.
    func testModelGradientsWithFusedSoftmaxCrossEntropy() throws {
        Engine.seed(11)
        let dropout = Dropout(rate: 0.5)
        let model = try Sequential(inputShape: [6, 6, 2], layers: [
            // No bias before batch normalization: BN cancels it, so its true gradient is 0.
            Conv2D(filters: 3, kernelSize: 3, strides: 2, padding: .same, useBias: false),
            BatchNormalization(),
            ActivationLayer(.tanh),
            AveragePooling2D(poolSize: 2, padding: .same),
            Flatten(),
            dropout,
            Dense(units: 5, activation: .sigmoid),
            Dense(units: 4, activation: .softmax),
        ])
        dropout.fixedMask = Tensor(shape: [3, 12], data: (0..<36).map { Float(($0 * 7) % 3 == 0 ? 0 : 1) })
        let x = randomTensor([3, 6, 6, 2], seed: 2)
        let y = Tensor(shape: [3], data: [1, 3, 0])
        let loss = SoftmaxCrossEntropy(sparse: true)
        try model.compile(optimizer: SGD(), loss: loss)
        _ = model.computeGradients(x: x, y: y, loss: loss)
        for p in model.trainableParameters {
            let analytic = p.grad.data.map(Double.init)
            let numeric = numericGradient(of: p.value, eps: 1e-2) {
                Double(loss.compute(prediction: model.forward(x, training: true), target: y).loss)
            }
            XCTAssertLessThan(relativeError(analytic, numeric), 1e-2, p.name)
        }
    }

    func testCompileRejectsCrossEntropyWithoutSoftmax() throws {
        let model = try Sequential(inputShape: [3], layers: [Dense(units: 2)])
        XCTAssertThrowsError(try model.compile(optimizer: SGD(), loss: SoftmaxCrossEntropy(sparse: true)))
        XCTAssertNoThrow(try model.compile(optimizer: SGD(), loss: SoftmaxCrossEntropy(sparse: true, fromLogits: true)))
    }
}
