// Sequential: a stack of layers built for one input shape, with Keras-style
// default layer names, batched prediction, and one training step
// (forward, loss, backward, optimizer update).

import Foundation

public final class Sequential {
    public let name: String
    /// Shape of one sample (no batch axis).
    public let inputShape: [Int]
    public let layers: [Layer]
    /// Output shape of each layer, without the batch axis.
    public let outputShapes: [[Int]]
    public var outputShape: [Int] { outputShapes.last ?? inputShape }

    /// Set by `compile`; used by `fit`, `evaluate` and `trainStep`.
    public private(set) var optimizer: Optimizer?
    public private(set) var loss: Loss?

    public init(inputShape: [Int], layers: [Layer], name: String = "sequential") throws {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw EngineError.invalidArgument("model input shape must be non-empty and positive, got \(inputShape)")
        }
        // A layer keeps its input and output buffers for one place in one model:
        // the same object twice would overwrite its own buffers mid-pass (seen as
        // heap corruption in release builds), so it is refused here.
        var seen = Set<ObjectIdentifier>()
        for (index, layer) in layers.enumerated() where !seen.insert(ObjectIdentifier(layer)).inserted {
            throw EngineError.invalidArgument(
                "layer \(index) of model '\(name)' (\(type(of: layer))) is the same object as an earlier layer; "
                    + "make a new layer for each place (a layer object holds one place's buffers)")
        }
        _ = Allocator.tuned
        self.name = name
        self.inputShape = inputShape
        self.layers = layers
        Sequential.assignDefaultNames(layers)
        var shape = inputShape
        var shapes: [[Int]] = []
        for layer in layers {
            shape = try layer.build(inputShape: shape)
            shapes.append(shape)
        }
        outputShapes = shapes
    }

    /// All parameters, layer by layer, each layer's in Keras order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// What an optimizer updates: non-state parameters of trainable layers.
    public var trainableParameters: [Parameter] {
        layers.filter(\.trainable).flatMap { $0.parameters.filter { !$0.isState } }
    }

    public func layer(named name: String) -> Layer? {
        layers.first { $0.name == name }
    }

    /// Number of values in one sample.
    var sampleSize: Int { inputShape.reduce(1, *) }

    /// Checks that `x` is a batch of samples of `inputShape` (any shape with
    /// the same batch size and per-sample count is accepted, e.g. [N, 784]
    /// for input [28, 28]).
    public func validate(input x: Tensor) throws {
        guard x.rank >= 1, x.batchCount > 0, x.count == x.batchCount * sampleSize else {
            throw EngineError.shapeMismatch(
                "\(name) expects a batch of samples of shape \(inputShape), got a tensor of shape \(x.shape)")
        }
    }

    /// Runs every layer and keeps what `backward` needs (also at inference,
    /// so that gradients with respect to the input can be taken).
    public func forward(_ x: Tensor, training: Bool = false) -> Tensor {
        run(x, training: training, keepForBackward: true)
    }

    /// Inference only: nothing is kept for backward, which lets a
    /// convolution + max pooling pair skip storing the convolution's output.
    func infer(_ x: Tensor) -> Tensor {
        run(x, training: false, keepForBackward: false)
    }

    /// When set, `run` reports each step it takes: the layers it covered
    /// (a fused group spans several) and how long it took. For profiling.
    var stepTimer: ((Range<Int>, Duration) -> Void)?

    private func run(_ x: Tensor, training: Bool, keepForBackward: Bool) -> Tensor {
        var h = x.shape == [x.batchCount] + inputShape ? x : x.reshaped([x.batchCount] + inputShape)
        var i = 0
        guard let stepTimer else {
            while i < layers.count { (h, i) = step(h, at: i, training: training, keepForBackward: keepForBackward) }
            return h
        }
        let clock = ContinuousClock()
        while i < layers.count {
            let first = i, start = clock.now
            (h, i) = step(h, at: i, training: training, keepForBackward: keepForBackward)
            stepTimer(first..<i, clock.now - start)
        }
        return h
    }

    /// Runs the layer at index i, or the fused group starting there; returns
    /// the output and the index of the next layer.
    private func step(_ h: Tensor, at i: Int, training: Bool, keepForBackward: Bool) -> (Tensor, Int) {
        if !keepForBackward, let group = foldedGroup(at: i) {
            let y = group.conv.inferFolded(h, batchNorm: group.batchNorm, activation: group.activation,
                                           pool: group.pool, poolOutputShape: outputShapes[group.next - 1])
            return (y, group.next)
        }
        // A convolution followed by max pooling runs fused, chunk by chunk,
        // so the pooling reads the convolution's output from cache.
        if training || !keepForBackward, let (conv, pool) = pooledPair(at: i) {
            return (conv.forwardPooled(h, pool: pool, poolOutputShape: outputShapes[i + 1], training: training), i + 2)
        }
        return (layers[i].forward(h, training: training), i + 1)
    }

    private func pooledPair(at i: Int) -> (Conv2D, MaxPooling2D)? {
        guard i + 1 < layers.count, let conv = layers[i] as? Conv2D, let pool = layers[i + 1] as? MaxPooling2D else {
            return nil
        }
        return (conv, pool)
    }

    /// A linear Conv2D, the BatchNormalization after it, an optional
    /// ActivationLayer and an optional MaxPooling2D, which inference runs as
    /// one folded convolution (see Conv2D.inferFolded); nil when layers[i...]
    /// do not start that pattern. `next` is the index after the group.
    private func foldedGroup(at i: Int)
        -> (conv: Conv2D, batchNorm: BatchNormalization, activation: Activation, pool: MaxPooling2D?, next: Int)? {
        guard i + 1 < layers.count, let conv = layers[i] as? Conv2D, conv.activation == .linear,
              let bn = layers[i + 1] as? BatchNormalization else { return nil }
        var next = i + 2
        var activation = Activation.linear
        if next < layers.count, let a = layers[next] as? ActivationLayer {
            activation = a.activation
            next += 1
        }
        let pool = next < layers.count ? layers[next] as? MaxPooling2D : nil
        if pool != nil { next += 1 }
        return (conv, bn, activation, pool, next)
    }

    /// Values per sample of the largest tensor inference stores whole: the
    /// input and each step's output. The outputs inside a fused group (a
    /// convolution before its pooling or batch norm) are only ever held a
    /// chunk at a time.
    var largestInferenceSample: Int {
        var largest = sampleSize
        var i = 0
        while i < layers.count {
            i = foldedGroup(at: i)?.next ?? (pooledPair(at: i) != nil ? i + 2 : i + 1)
            largest = max(largest, outputShapes[i - 1].reduce(1, *))
        }
        return largest
    }

    /// Back-propagates dLoss/dOutput through every layer, accumulating
    /// parameter gradients, and returns dLoss/dInput.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        backward(gradOutput, downTo: 0)
    }

    /// Back-propagates through layers[stop...], a max pooling and the
    /// convolution before it as one fused step (see forward).
    private func backward(_ gradOutput: Tensor, downTo stop: Int) -> Tensor {
        var g = gradOutput
        var i = layers.count - 1
        while i >= stop {
            if i - 1 >= stop, let pool = layers[i] as? MaxPooling2D, let conv = layers[i - 1] as? Conv2D {
                g = conv.backwardPooled(g, pool: pool)
                i -= 2
                continue
            }
            g = layers[i].backward(g)
            i -= 1
        }
        return g
    }

    /// Back-propagation for a training step: stops at the first layer with
    /// parameters to update (earlier layers and its input gradient are not
    /// needed).
    func backwardForTraining(_ gradOutput: Tensor) {
        guard let stop = layers.firstIndex(where: { $0.trainable && $0.parameters.contains { !$0.isState } }) else {
            return
        }
        setComputesInputGradient(layers[stop], false)
        defer { setComputesInputGradient(layers[stop], true) }
        _ = backward(gradOutput, downTo: stop)
    }

    /// Inference over `x` in batches of `batchSize` (check untrusted input
    /// with `validate(input:)` first). Internally batches are
    /// capped so that no layer output outgrows the allocator's heap blocks
    /// (bigger ones are mmapped and page-faulted afresh every batch); results
    /// do not depend on the batch size at inference.
    public func predict(_ x: Tensor, batchSize: Int = 32) -> Tensor {
        let n = x.batchCount
        let heapBatch = max(1, Int(Allocator.largestHeapBlock) / (largestInferenceSample * MemoryLayout<Float>.size))
        let cap = max(1, min(batchSize, heapBatch))
        if n <= cap { return infer(x) }
        // Batches of equal size: a thin last one wastes the GEMMs' blocking.
        let batches = (n + cap - 1) / cap
        let bs = (n + batches - 1) / batches
        let outSize = outputShape.reduce(1, *)
        let result = Tensor(uninitializedShape: [n] + outputShape)
        for start in stride(from: 0, to: n, by: bs) {
            let b = min(bs, n - start)
            let xb = sliceBatch(x, start: start, count: b, sampleSize: sampleSize)
            let yb = infer(xb)
            result.data.withUnsafeMutableBufferPointer { r in
                yb.data.withUnsafeBufferPointer { y in
                    (r.baseAddress! + start * outSize).update(from: y.baseAddress!, count: b * outSize)
                }
            }
        }
        return result
    }

    /// Sets the optimizer and loss used by `fit`, `evaluate` and `trainStep`.
    /// Cross-entropy on probabilities needs a final softmax, whose gradient
    /// it fuses.
    public func compile(optimizer: Optimizer, loss: Loss) throws {
        if loss.gradientIsForLogits {
            guard let last = layers.last as? ActivatedLayer, last.activation == .softmax else {
                throw EngineError.invalidArgument(
                    "\(name): SoftmaxCrossEntropy on probabilities needs a final layer with softmax activation; "
                    + "end the model with activation .softmax or use SoftmaxCrossEntropy(sparse:fromLogits: true)")
            }
        }
        self.optimizer = optimizer
        self.loss = loss
    }

    /// One optimisation step on a batch; returns the batch loss and accuracy
    /// (nil when the loss has no accuracy).
    @discardableResult
    public func trainStep(x: Tensor, y: Tensor) throws -> (loss: Float, accuracy: Float?) {
        guard let optimizer, let loss else {
            throw EngineError.invalidArgument("\(name): call compile(optimizer:loss:) before training")
        }
        let result = computeGradients(x: x, y: y, loss: loss)
        optimizer.step(trainableParameters)
        return result
    }

    /// Zeroes every gradient, then runs forward (training mode), the loss and
    /// backward, leaving dLoss/dParameter in each trainable parameter's grad.
    func computeGradients(x: Tensor, y: Tensor, loss: Loss) -> (loss: Float, accuracy: Float?) {
        zeroGradients(parameters)
        // The first layer with weights computes no input gradient in a
        // training step; telling it before the forward pass lets a first
        // Conv2D + MaxPooling2D keep pooling indices instead of its output.
        let first = layers.firstIndex { $0.trainable && $0.parameters.contains { !$0.isState } }
        if let first { setComputesInputGradient(layers[first], false) }
        defer { if let first { setComputesInputGradient(layers[first], true) } }
        let prediction = forward(x, training: true)
        let (value, grad) = loss.compute(prediction: prediction, target: y)
        let accuracy = loss.accuracy(prediction: prediction, target: y)
        let last = layers.last as? ActivatedLayer
        last?.fusedSoftmaxGradient = loss.gradientIsForLogits
        defer { last?.fusedSoftmaxGradient = false }
        backwardForTraining(grad)
        return (value, accuracy)
    }

    /// Loss and accuracy on a batch without updating anything.
    func testStep(x: Tensor, y: Tensor, loss: Loss) -> (loss: Float, accuracy: Float?) {
        let prediction = infer(x)
        return (loss.compute(prediction: prediction, target: y).loss, loss.accuracy(prediction: prediction, target: y))
    }

    private static func assignDefaultNames(_ layers: [Layer]) {
        var taken = Set(layers.map(\.name).filter { !$0.isEmpty })
        var counters: [String: Int] = [:]
        for layer in layers where layer.name.isEmpty {
            let base = LayerRegistry.snakeCase(layer.typeName)
            var candidate: String
            repeat {
                let k = counters[base, default: 0]
                counters[base] = k + 1
                candidate = k == 0 ? base : "\(base)_\(k)"
            } while taken.contains(candidate)
            taken.insert(candidate)
            layer.name = candidate
        }
    }
}

/// Clears every parameter's gradient, large ones split over threads.
func zeroGradients(_ params: [Parameter]) {
    for p in params {
        p.grad.data.withUnsafeMutableBufferPointer { g in
            guard let base = g.baseAddress else { return }
            let n = g.count, block = 65_536
            parallelFor((n + block - 1) / block, costPerItem: block) { range in
                let lo = range.lowerBound * block
                (base + lo).update(repeating: 0, count: min(range.upperBound * block, n) - lo)
            }
        }
    }
}

func setComputesInputGradient(_ layer: Layer, _ value: Bool) {
    if let conv = layer as? Conv2D { conv.computesInputGradient = value }
    if let dense = layer as? Dense { dense.computesInputGradient = value }
}

/// Samples start..<start+count of a batch tensor, as a new tensor.
func sliceBatch(_ x: Tensor, start: Int, count: Int, sampleSize: Int) -> Tensor {
    let out = Tensor(uninitializedShape: [count] + x.shape.dropFirst())
    x.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: src.baseAddress! + start * sampleSize, count: count * sampleSize)
        }
    }
    return out
}

/// The samples at `indices` of a batch tensor, in that order.
func gatherBatch(_ x: Tensor, indices: ArraySlice<Int>) -> Tensor {
    let n = x.batchCount
    let sampleSize = x.count / max(n, 1)
    let out = Tensor(uninitializedShape: [indices.count] + x.shape.dropFirst())
    x.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
            for (row, i) in indices.enumerated() {
                (dst.baseAddress! + row * sampleSize).update(from: src.baseAddress! + i * sampleSize, count: sampleSize)
            }
        }
    }
    return out
}
