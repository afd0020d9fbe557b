// Small models with hand-set weights for the export tests, and the numbers
// a reader of the exported files must find in them.
import FoveaEngine
import FoveaExport
import Foundation

enum ExportFixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func committedModel(_ name: String) -> String {
        packageRoot.appendingPathComponent("Models/\(name).safetensors").path
    }

    static let gamma: [Float] = [2, 0.5], beta: [Float] = [0.1, -0.2]
    static let mean: [Float] = [0.3, 0.4], variance: [Float] = [0.25, 1.0]
    static let epsilon: Float = 0.001

    /// BatchNormalization's per-channel scale at inference, γ/√(σ²+ε).
    static func scale(_ c: Int) -> Float { gamma[c] / (variance[c] + epsilon).squareRoot() }

    /// [4, 4, 1] → conv 3x3 (2 filters, no bias, kernel value k = index/10) → BN → ReLU
    /// → max pool 2 → Flatten → Dense 3 (weights index/100, bias 0.5) softmax.
    static func tinyClassifier() throws -> ModelFile {
        let model = try Sequential(inputShape: [4, 4, 1], layers: [
            Conv2D(filters: 2, kernelSize: 3, padding: .same, useBias: false, name: "conv"),
            BatchNormalization(epsilon: epsilon, name: "bn"),
            ActivationLayer(.relu, name: "relu"),
            MaxPooling2D(poolSize: 2, name: "pool"),
            Flatten(name: "flatten"),
            Dense(units: 3, activation: .softmax, name: "dense"),
        ], name: "tiny")
        let conv = model.layers[0] as! Conv2D
        conv.kernel.value.data = (0..<18).map { Float($0) / 10 }
        let bn = model.layers[1] as! BatchNormalization
        bn.gamma.value.data = gamma
        bn.beta.value.data = beta
        bn.movingMean.value.data = mean
        bn.movingVariance.value.data = variance
        let dense = model.layers[5] as! Dense
        dense.kernel.value.data = (0..<24).map { Float($0) / 100 }
        dense.bias!.value.data = [0.5, 0.5, 0.5]
        return ModelFile(model: model, labels: ["a", "b", "c"])
    }

    /// Every other op: average pooling, a lone BatchNormalization, tanh,
    /// sigmoid, global average pooling, a Dense without BN.
    static func otherOps() throws -> ModelFile {
        let model = try Sequential(inputShape: [8, 8, 1], layers: [
            Conv2D(filters: 3, kernelSize: 3, padding: .valid, activation: .tanh, name: "conv"),
            AveragePooling2D(poolSize: 2, padding: .same, name: "avg"),
            BatchNormalization(name: "bn"),
            ActivationLayer(.sigmoid, name: "sig"),
            GlobalAveragePooling2D(name: "gap"),
            Dense(units: 2, name: "dense"),
        ], name: "other")
        return ModelFile(model: model)
    }


    /// A heatmap landmark model in the face-landmarks contract: [64, 64, 1]
    /// → 1x1 conv to 10 maps → max pool 4 (16x16) → SpatialSoftArgmax on
    /// the grid x = −0.953125 + 0.125 j, y = −0.953125 + 0.125 i → Dense 20
    /// (identity, bias 0) named landmarks.
    static func heatmapLandmarker() throws -> MultiOutputModelFile {
        let trunk = try Sequential(inputShape: [64, 64, 1], layers: [
            Conv2D(filters: 10, kernelSize: 1, name: "logits"),
            MaxPooling2D(poolSize: 4, name: "pool"),
            SpatialSoftArgmax(x0: -0.953125, dx: 0.125, y0: -0.953125, dy: 0.125, name: "soft_argmax"),
        ], name: "trunk")
        let dense = Dense(units: 20, name: "landmarks")
        let head = try Sequential(inputShape: [20], layers: [dense], name: "landmarks")
        dense.kernel.value.data = (0..<400).map { $0 / 20 == $0 % 20 ? Float(1) : 0 }
        dense.bias!.value.data = [Float](repeating: 0, count: 20)
        let model = try MultiOutputModel(trunk: trunk, heads: [.init(name: "landmarks", model: head, loss: MeanSquaredError())])
        return MultiOutputModelFile(model: model, training: ["kind": "face-landmarks", "architecture": "heatmap"])
    }
}

extension MultiOutputModelFile {
    func exportGraph(batch: BatchSize = .dynamic) throws -> ExportGraph {
        try ModelContract.graph(file: safetensors(), source: model.trunk.name, batch: batch)
    }
}

extension ModelFile {
    func exportGraph(batch: BatchSize = .dynamic) throws -> ExportGraph {
        try ModelContract.graph(file: safetensors(), source: model.name, batch: batch)
    }
}
