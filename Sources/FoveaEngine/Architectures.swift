// Built-in architectures: the classic textbook CNNs Fovea is compared against
// (layer for layer as their Keras originals, so parameter counts and output
// shapes match model.summary()) and Fovea's own EMNIST model.

public enum Architecture: String, CaseIterable, Sendable {
    case textbookCNN = "textbook-cnn"
    case cholletConvnet = "chollet-convnet"
    case cholletConvBase = "chollet-conv-base"
    case lenet5 = "lenet5"
    case geronDeep = "geron-deep"
    case foveaEMNIST = "fovea-emnist"

    /// One line for `fovea summary --help` and listings.
    public var about: String {
        switch self {
        case .textbookCNN: return "Conv 64, MaxPool, Dense 256/128 (EMNIST textbook)"
        case .cholletConvnet: return "Chollet: Conv 32/64/64, 2 MaxPools, Dense 64"
        case .cholletConvBase: return "chollet-convnet's conv base alone"
        case .lenet5: return "LeCun: tanh Conv 6/16, AvgPools, Dense 120/84"
        case .geronDeep: return "Géron: Conv 64/128x2/256x2, Dense 128/64, Dropout"
        case .foveaEMNIST: return "Fovea: 4x Conv+BN+ReLU, Dense 256+BN, Dropout"
        }
    }

    /// False for a convolutional base without a softmax classifier on top.
    public var isClassifier: Bool { self != .cholletConvBase }

    /// Classes of the final softmax when the caller does not say (the
    /// number the architecture's source uses).
    public var defaultClasses: Int {
        switch self {
        case .textbookCNN, .foveaEMNIST: return 47
        case .cholletConvnet, .cholletConvBase, .lenet5, .geronDeep: return 10
        }
    }

    /// Input shape without the batch dimension. textbook-cnn takes plain
    /// 28x28 images and reshapes them itself.
    public var defaultInputShape: [Int] {
        self == .textbookCNN ? [28, 28] : [28, 28, 1]
    }

    /// Builds the model with fresh (seeded-engine) weights. `inputShape`
    /// is HxWxC (textbook-cnn also accepts HxW).
    public func make(classes: Int? = nil, inputShape: [Int]? = nil) throws -> Sequential {
        let n = classes ?? defaultClasses
        let shape = inputShape ?? defaultInputShape
        guard n >= 1 else { throw EngineError.invalidArgument("\(rawValue): classes must be at least 1, got \(n)") }
        guard shape.count == 3 || (self == .textbookCNN && shape.count == 2), shape.allSatisfy({ $0 >= 1 }) else {
            throw EngineError.invalidArgument(
                "\(rawValue): input shape must be HxWxC\(self == .textbookCNN ? " or HxW" : ""), got \(shape)")
        }
        return try Sequential(inputShape: shape, layers: layers(classes: n, inputShape: shape), name: "sequential")
    }

    private func layers(classes n: Int, inputShape shape: [Int]) -> [Layer] {
        switch self {
        case .textbookCNN:
            return [
                Reshape(shape.count == 2 ? shape + [1] : shape),
                Conv2D(filters: 64, kernelSize: 3, activation: .relu),
                MaxPooling2D(poolSize: 2),
                Flatten(),
                Dense(units: 256, activation: .relu),
                Dense(units: 128, activation: .relu),
                Dense(units: n, activation: .softmax),
            ]
        case .cholletConvnet:
            return Self.cholletBase() + [
                Flatten(),
                Dense(units: 64, activation: .relu),
                Dense(units: n, activation: .softmax),
            ]
        case .cholletConvBase:
            return Self.cholletBase()
        case .lenet5:
            return [
                Conv2D(filters: 6, kernelSize: 5, padding: .same, activation: .tanh),
                AveragePooling2D(poolSize: 2),
                Conv2D(filters: 16, kernelSize: 5, activation: .tanh),
                AveragePooling2D(poolSize: 2),
                Flatten(),
                Dense(units: 120, activation: .tanh),
                Dense(units: 84, activation: .tanh),
                Dense(units: n, activation: .softmax),
            ]
        case .geronDeep:
            return [
                Conv2D(filters: 64, kernelSize: 7, padding: .same, activation: .relu),
                MaxPooling2D(poolSize: 2),
                Conv2D(filters: 128, kernelSize: 3, padding: .same, activation: .relu),
                Conv2D(filters: 128, kernelSize: 3, padding: .same, activation: .relu),
                MaxPooling2D(poolSize: 2),
                Conv2D(filters: 256, kernelSize: 3, padding: .same, activation: .relu),
                Conv2D(filters: 256, kernelSize: 3, padding: .same, activation: .relu),
                MaxPooling2D(poolSize: 2),
                Flatten(),
                Dense(units: 128, activation: .relu),
                Dropout(rate: 0.5),
                Dense(units: 64, activation: .relu),
                Dropout(rate: 0.5),
                Dense(units: n, activation: .softmax),
            ]
        case .foveaEMNIST:
            // Convolutions feeding BatchNormalization carry no bias: BN's beta
            // already shifts each channel, so a bias would be a dead weight.
            func convBNReLU(_ filters: Int) -> [Layer] {
                [Conv2D(filters: filters, kernelSize: 3, padding: .same, useBias: false),
                 BatchNormalization(), ActivationLayer(.relu)]
            }
            return convBNReLU(32) + convBNReLU(32) + [MaxPooling2D(poolSize: 2)]
                + convBNReLU(64) + convBNReLU(64) + [MaxPooling2D(poolSize: 2)]
                + [Flatten(),
                   Dense(units: 256, useBias: false), BatchNormalization(), ActivationLayer(.relu),
                   Dropout(rate: 0.4),
                   Dense(units: n, activation: .softmax)]
        }
    }

    private static func cholletBase() -> [Layer] {
        [
            Conv2D(filters: 32, kernelSize: 3, activation: .relu),
            MaxPooling2D(poolSize: 2),
            Conv2D(filters: 64, kernelSize: 3, activation: .relu),
            MaxPooling2D(poolSize: 2),
            Conv2D(filters: 64, kernelSize: 3, activation: .relu),
        ]
    }
}

/// Built-in models with a shared trunk and several named heads.
public enum MultiOutputArchitecture: String, CaseIterable, Sendable {
    /// The classification + localisation model of the TensorFlow "Advanced
    /// Techniques" course (an MNIST digit placed on a 75x75 canvas): a small
    /// convolutional trunk, a softmax class head and a linear 4-unit box head,
    /// with the loss weighted 0.8 / 0.2.
    case textbookClsLoc = "textbook-cls-loc"

    public var about: String {
        "Conv 16/32/64, Dense 128; class (0.8) + box (0.2) heads"
    }

    public var defaultClasses: Int { 10 }
    public var defaultInputShape: [Int] { [75, 75, 1] }

    public func make(classes: Int? = nil, inputShape: [Int]? = nil) throws -> MultiOutputModel {
        let n = classes ?? defaultClasses
        let shape = inputShape ?? defaultInputShape
        guard n >= 1 else { throw EngineError.invalidArgument("\(rawValue): classes must be at least 1, got \(n)") }
        guard shape.count == 3, shape.allSatisfy({ $0 >= 1 }) else {
            throw EngineError.invalidArgument("\(rawValue): input shape must be HxWxC, got \(shape)")
        }
        let trunk = try Sequential(inputShape: shape, layers: [
            Conv2D(filters: 16, kernelSize: 3, activation: .relu),
            AveragePooling2D(poolSize: 2),
            Conv2D(filters: 32, kernelSize: 3, activation: .relu),
            AveragePooling2D(poolSize: 2),
            Conv2D(filters: 64, kernelSize: 3, activation: .relu),
            AveragePooling2D(poolSize: 2),
            Flatten(),
            Dense(units: 128, activation: .relu),
        ], name: "trunk")
        // Head layers carry the head's name, as the course's Keras model names
        // its outputs, so that every layer name in the model stays unique.
        let features = trunk.outputShape
        let classification = try Sequential(
            inputShape: features, layers: [Dense(units: n, activation: .softmax, name: "classification")],
            name: "classification")
        let box = try Sequential(inputShape: features, layers: [Dense(units: 4, name: "bounding_box")],
                                 name: "bounding_box")
        return try MultiOutputModel(trunk: trunk, heads: [
            .init(name: "classification", model: classification, loss: SoftmaxCrossEntropy(sparse: true), weight: 0.8),
            .init(name: "bounding_box", model: box, loss: MeanSquaredError(), weight: 0.2),
        ])
    }
}
