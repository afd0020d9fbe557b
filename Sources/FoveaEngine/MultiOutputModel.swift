// MultiOutputModel: a shared trunk feeding several named heads, each with its
// own loss and loss weight; the total loss is Σ weight · head loss. The
// textbook case is classification + localisation (a class softmax head and a
// 4-unit box head weighted 0.8 / 0.2).

import Foundation

public final class MultiOutputModel {
    public struct Head {
        public let name: String
        /// A Sequential whose input shape is the trunk's output shape.
        public let model: Sequential
        public let loss: Loss
        public let weight: Float

        public init(name: String, model: Sequential, loss: Loss, weight: Float = 1) {
            self.name = name
            self.model = model
            self.loss = loss
            self.weight = weight
        }
    }

    public let trunk: Sequential
    public let heads: [Head]
    public private(set) var optimizer: Optimizer?

    public init(trunk: Sequential, heads: [Head]) throws {
        guard !heads.isEmpty else { throw EngineError.invalidArgument("a multi-output model needs at least one head") }
        guard Set(heads.map(\.name)).count == heads.count else {
            throw EngineError.invalidArgument("head names must be unique, got \(heads.map(\.name))")
        }
        for head in heads {
            guard head.model.inputShape == trunk.outputShape else {
                throw EngineError.shapeMismatch(
                    "head '\(head.name)' takes input \(head.model.inputShape) but the trunk outputs \(trunk.outputShape)")
            }
            if head.loss.gradientIsForLogits {
                guard let last = head.model.layers.last as? ActivatedLayer, last.activation == .softmax else {
                    throw EngineError.invalidArgument(
                        "head '\(head.name)': SoftmaxCrossEntropy on probabilities needs a final softmax layer")
                }
            }
        }
        self.trunk = trunk
        self.heads = heads
    }

    public var parameters: [Parameter] { trunk.parameters + heads.flatMap(\.model.parameters) }
    public var trainableParameters: [Parameter] {
        trunk.trainableParameters + heads.flatMap(\.model.trainableParameters)
    }

    public func compile(optimizer: Optimizer) {
        self.optimizer = optimizer
    }

    /// Each head's output for a batch, keyed by head name.
    public func forward(_ x: Tensor, training: Bool = false) -> [String: Tensor] {
        let h = trunk.forward(x, training: training)
        return Dictionary(uniqueKeysWithValues: heads.map { ($0.name, $0.model.forward(h, training: training)) })
    }

    /// Inference in batches of `batchSize`, keyed by head name.
    public func predict(_ x: Tensor, batchSize: Int = 32) -> [String: Tensor] {
        let features = trunk.predict(x, batchSize: batchSize)
        return Dictionary(uniqueKeysWithValues: heads.map { ($0.name, $0.model.predict(features, batchSize: batchSize)) })
    }

    /// One optimisation step; returns "loss" (weighted total) and per head
    /// "<head>_loss" and, where defined, "<head>_accuracy".
    @discardableResult
    public func trainStep(x: Tensor, y: [String: Tensor]) throws -> [String: Float] {
        guard let optimizer else {
            throw EngineError.invalidArgument("call compile(optimizer:) before training a multi-output model")
        }
        let targets = try orderedTargets(y)
        let logs = computeGradients(x: x, targets: targets)
        optimizer.step(trainableParameters)
        return logs
    }

    /// Zeroes all gradients, then forward, weighted losses and backward
    /// through every head and the trunk.
    func computeGradients(x: Tensor, targets: [Tensor]) -> [String: Float] {
        zeroGradients(parameters)
        let h = trunk.forward(x, training: true)
        let trunkGrad = Tensor(shape: h.shape)
        var logs: [String: Float] = [:]
        var total: Float = 0
        for (head, target) in zip(heads, targets) {
            let prediction = head.model.forward(h, training: true)
            let (value, grad) = head.loss.compute(prediction: prediction, target: target)
            total += head.weight * value
            logs[head.name + "_loss"] = value
            if let accuracy = head.loss.accuracy(prediction: prediction, target: target) {
                logs[head.name + "_accuracy"] = accuracy
            }
            grad.data.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] *= head.weight }
            }
            let last = head.model.layers.last as? ActivatedLayer
            last?.fusedSoftmaxGradient = head.loss.gradientIsForLogits
            let headInputGrad = head.model.backward(grad)
            last?.fusedSoftmaxGradient = false
            headInputGrad.data.withUnsafeBufferPointer { src in
                trunkGrad.data.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<dst.count { dst[i] += src[i] }
                }
            }
        }
        trunk.backwardForTraining(trunkGrad)
        logs["loss"] = total
        return logs
    }

    private func orderedTargets(_ y: [String: Tensor]) throws -> [Tensor] {
        try heads.map { head in
            guard let t = y[head.name] else {
                throw EngineError.invalidArgument("no targets for head '\(head.name)'; targets given for \(y.keys.sorted())")
            }
            return t
        }
    }

    private func checkData(x: Tensor, y: [String: Tensor], role: String) throws -> [Tensor] {
        try trunk.validate(input: x)
        let targets = try orderedTargets(y)
        for (head, t) in zip(heads, targets) {
            guard t.batchCount == x.batchCount else {
                throw EngineError.shapeMismatch("\(role): \(x.batchCount) samples but \(t.batchCount) targets for '\(head.name)'")
            }
            do {
                try head.loss.validate(target: t, predictionShape: [x.batchCount] + head.model.outputShape)
            } catch {
                throw EngineError.shapeMismatch("\(role) targets for '\(head.name)': \(error)")
            }
        }
        return targets
    }

    /// Trains all heads jointly; see `Sequential.fit`.
    @discardableResult
    public func fit(x: Tensor, y: [String: Tensor], epochs: Int = 1, batchSize: Int = 32,
                    validation: (Tensor, [String: Tensor])? = nil, shuffle: Bool = true, seed: UInt64 = 0,
                    augment: ((inout Tensor) -> Void)? = nil,
                    callbacks: TrainingCallbacks = TrainingCallbacks()) throws -> History {
        guard optimizer != nil else {
            throw EngineError.invalidArgument("call compile(optimizer:) before training a multi-output model")
        }
        let targets = try checkData(x: x, y: y, role: "training data")
        let validationTargets = try validation.map { (vx, vy) in (vx, try checkData(x: vx, y: vy, role: "validation data")) }
        return try trainingLoop(self, x: x, targets: targets, epochs: epochs, batchSize: batchSize,
                                validation: validationTargets, shuffle: shuffle, seed: seed,
                                augment: augment, callbacks: callbacks)
    }

    /// Mean total and per-head losses (and accuracies) over a data set.
    public func evaluate(x: Tensor, y: [String: Tensor], batchSize: Int = 32) throws -> [String: Float] {
        let targets = try checkData(x: x, y: y, role: "evaluation data")
        return try evaluateLoop(self, x: x, targets: targets, batchSize: batchSize)
    }
}

extension MultiOutputModel: BatchTrainable {
    func trainOnBatch(_ x: Tensor, _ targets: [Tensor]) throws -> [String: Float] {
        guard let optimizer else {
            throw EngineError.invalidArgument("call compile(optimizer:) before training a multi-output model")
        }
        let logs = computeGradients(x: x, targets: targets)
        optimizer.step(trainableParameters)
        return logs
    }

    func testOnBatch(_ x: Tensor, _ targets: [Tensor]) throws -> [String: Float] {
        let features = trunk.infer(x)
        var logs: [String: Float] = [:]
        var total: Float = 0
        for (head, target) in zip(heads, targets) {
            let prediction = head.model.infer(features)
            let value = head.loss.compute(prediction: prediction, target: target).loss
            total += head.weight * value
            logs[head.name + "_loss"] = value
            if let accuracy = head.loss.accuracy(prediction: prediction, target: target) {
                logs[head.name + "_accuracy"] = accuracy
            }
        }
        logs["loss"] = total
        return logs
    }
}
