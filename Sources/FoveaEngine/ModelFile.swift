// ModelFile: a whole model in one safetensors file. Tensors are keyed
// "layer/parameter" as Keras names them ("conv2d/kernel", "batch_normalization/
// moving_mean"); the metadata carries the architecture as Keras-like JSON
// (class_name + config per layer) so the model can be rebuilt from the file
// alone, plus class labels and free-form training information.
import Foundation

public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    case noArchitecture(file: String)
    case badArchitecture(file: String, reason: String)
    case unknownLayer(file: String, layer: String, className: String)
    case badMetadata(file: String, key: String, expected: String)

    public var description: String {
        switch self {
        case .noArchitecture(let f):
            return "\(f): no 'architecture' in the safetensors metadata; this is a bare weight file, not a Fovea model (load its weights into a built model instead)"
        case .badArchitecture(let f, let r):
            return "\(f): the architecture in the metadata is not valid: \(r)"
        case .unknownLayer(let f, let l, let c):
            return "\(f): layer '\(l)' has class '\(c)', which Fovea does not know; expected one of \(LayerRegistry.typeNames.joined(separator: ", "))"
        case .badMetadata(let f, let key, let expected):
            return "\(f): metadata '\(key)' must be \(expected)"
        }
    }
}

/// A built model with the class labels and training notes saved beside it.
public struct ModelFile {
    public var model: Sequential
    public var labels: [String]
    public var training: [String: String]

    public init(model: Sequential, labels: [String] = [], training: [String: String] = [:]) {
        self.model = model
        self.labels = labels
        self.training = training
    }

    /// The safetensors key of a layer's parameter.
    public static func key(layer: Layer, parameter: Parameter) -> String {
        "\(layer.name)/\(parameter.name)"
    }

    public func safetensors() throws -> SafetensorsFile {
        try modelSafetensors(layers: model.layers, architecture: architectureJSON(), labels: labels, training: training)
    }

    public func write(to url: URL) throws {
        try safetensors().write(to: url)
    }

    public init(contentsOf url: URL) throws {
        try self.init(file: SafetensorsFile(contentsOf: url), source: url.path)
    }

    /// Rebuilds the architecture from the metadata, then loads the weights.
    public init(file: SafetensorsFile, source: String) throws {
        guard let text = file.metadata["architecture"] else { throw ModelFileError.noArchitecture(file: source) }
        model = try Self.buildModel(architecture: text, source: source)
        labels = try decodeMetadata(file, "labels", "a JSON array of strings", source: source) ?? []
        training = try decodeMetadata(file, "training", "a JSON object of strings", source: source) ?? [:]
        try Self.loadWeights(file, into: model.layers, source: source)
    }

    /// Copies every parameter of `layers` from `file`, which must hold each
    /// one with the right shape and nothing else.
    public static func loadWeights(_ file: SafetensorsFile, into layers: [Layer], source: String) throws {
        var expected = Set<String>()
        for layer in layers {
            for p in layer.parameters {
                let key = key(layer: layer, parameter: p)
                expected.insert(key)
                guard let t = file.tensors[key] else { throw SafetensorsError.missingTensor(file: source, tensor: key) }
                guard t.shape == p.value.shape else {
                    throw SafetensorsError.shapeMismatch(file: source, tensor: key, expected: p.value.shape, found: t.shape)
                }
            }
        }
        if let extra = file.names.first(where: { !expected.contains($0) }) {
            throw SafetensorsError.unexpectedTensor(file: source, tensor: extra)
        }
        for layer in layers {
            for p in layer.parameters { p.value.data = file.tensors[key(layer: layer, parameter: p)]!.data }
        }
    }

    static let architectureFormat = "fovea.sequential/1"

    /// The architecture as Keras' model.to_json() lays it out:
    /// {"class_name": "Sequential", "config": {"name", "layers": [InputLayer, …]}}.
    /// The "module" keys let keras.models.model_from_json rebuild it as is.
    func architectureJSON() throws -> String {
        var object = Self.sequentialObject(model)
        object["format"] = Self.architectureFormat
        return try jsonText(object)
    }

    static func sequentialObject(_ model: Sequential) -> [String: Any] {
        let input: [String: Any] = ["class_name": "InputLayer", "module": "keras.layers",
                                    "config": ["batch_shape": [NSNull()] + model.inputShape.map { $0 as Any }]]
        let layers = model.layers.map { layer -> [String: Any] in
            ["class_name": layer.typeName, "module": "keras.layers", "config": LayerRegistry.config(of: layer)]
        }
        return ["class_name": "Sequential", "module": "keras", "config": ["name": model.name, "layers": [input] + layers]]
    }

    /// The "class_name" of the file's architecture ("Sequential",
    /// "FoveaMultiOutput"), or nil when there is none to read.
    public static func architectureClass(of file: SafetensorsFile) -> String? {
        guard let text = file.metadata["architecture"],
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return object["class_name"] as? String
    }

    static func buildModel(architecture text: String, source: String) throws -> Sequential {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ModelFileError.badArchitecture(file: source, reason: "it is not a JSON object")
        }
        if object["class_name"] as? String == MultiOutputModelFile.className {
            throw ModelFileError.badArchitecture(
                file: source, reason: "it describes a multi-output model; load it with MultiOutputModelFile")
        }
        return try buildSequential(object, source: source)
    }

    static func buildSequential(_ object: [String: Any], source: String) throws -> Sequential {
        func bad(_ reason: String) -> ModelFileError { .badArchitecture(file: source, reason: reason) }
        guard object["class_name"] as? String == "Sequential",
              let config = object["config"] as? [String: Any],
              let entries = config["layers"] as? [[String: Any]] else {
            throw bad("expected {\"class_name\": \"Sequential\", \"config\": {\"layers\": [...]}}")
        }
        guard let first = entries.first, first["class_name"] as? String == "InputLayer",
              let batchShape = (first["config"] as? [String: Any])?["batch_shape"] as? [Any],
              case let inputShape = batchShape.dropFirst().compactMap({ $0 as? Int }),
              batchShape.count >= 2, inputShape.count == batchShape.count - 1 else {
            throw bad("the first layer must be an InputLayer with a batch_shape such as [null, 28, 28, 1]")
        }
        var layers: [Layer] = []
        for (i, entry) in entries.dropFirst().enumerated() {
            guard let className = entry["class_name"] as? String, let layerConfig = entry["config"] as? [String: Any] else {
                throw bad("layer \(i + 1) needs a class_name and a config")
            }
            let name = layerConfig["name"] as? String ?? "#\(i + 1)"
            guard LayerRegistry.typeNames.contains(className) else {
                throw ModelFileError.unknownLayer(file: source, layer: name, className: className)
            }
            do {
                let layer = try LayerRegistry.make(typeName: className, config: layerConfig)
                layer.trainable = layerConfig["trainable"] as? Bool ?? true
                layers.append(layer)
            } catch {
                throw bad("layer '\(name)': \(error)")
            }
        }
        do {
            return try Sequential(inputShape: inputShape, layers: layers,
                                  name: config["name"] as? String ?? "sequential")
        } catch {
            throw bad("\(error)")
        }
    }
}

/// A multi-output model (shared trunk, named heads with their losses and loss
/// weights) in one safetensors file. Tensors are keyed "layer/parameter" as for
/// ModelFile, so layer names must be unique across the trunk and the heads;
/// the architecture metadata nests one Sequential description per part.
public struct MultiOutputModelFile {
    static let className = "FoveaMultiOutput"
    static let architectureFormat = "fovea.multi-output/1"

    public var model: MultiOutputModel
    public var labels: [String]
    public var training: [String: String]

    public init(model: MultiOutputModel, labels: [String] = [], training: [String: String] = [:]) {
        self.model = model
        self.labels = labels
        self.training = training
    }

    private static func allLayers(_ model: MultiOutputModel) -> [Layer] {
        model.trunk.layers + model.heads.flatMap(\.model.layers)
    }

    public func safetensors() throws -> SafetensorsFile {
        let layers = Self.allLayers(model)
        var seen = Set<String>()
        for layer in layers where !seen.insert(layer.name).inserted {
            throw EngineError.invalidArgument(
                "cannot save: two layers are named '\(layer.name)'; give the head layers their own names (Dense(..., name: \"box\"))")
        }
        let heads = try model.heads.map { head -> [String: Any] in
            ["name": head.name, "weight": Double(head.weight), "loss": try Self.lossObject(head.loss),
             "model": ModelFile.sequentialObject(head.model)]
        }
        let object: [String: Any] = ["class_name": Self.className, "format": Self.architectureFormat,
                                     "config": ["trunk": ModelFile.sequentialObject(model.trunk), "heads": heads]]
        return try modelSafetensors(layers: layers, architecture: jsonText(object), labels: labels, training: training)
    }

    public func write(to url: URL) throws {
        try safetensors().write(to: url)
    }

    public init(contentsOf url: URL) throws {
        try self.init(file: SafetensorsFile(contentsOf: url), source: url.path)
    }

    public init(file: SafetensorsFile, source: String) throws {
        func bad(_ reason: String) -> ModelFileError { .badArchitecture(file: source, reason: reason) }
        guard let text = file.metadata["architecture"] else { throw ModelFileError.noArchitecture(file: source) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw bad("it is not a JSON object")
        }
        guard object["class_name"] as? String == Self.className,
              let config = object["config"] as? [String: Any],
              let trunkObject = config["trunk"] as? [String: Any],
              let headObjects = config["heads"] as? [[String: Any]] else {
            throw bad("expected {\"class_name\": \"\(Self.className)\", \"config\": {\"trunk\": …, \"heads\": […]}}")
        }
        let trunk = try ModelFile.buildSequential(trunkObject, source: source)
        let heads = try headObjects.map { h -> MultiOutputModel.Head in
            guard let name = h["name"] as? String, let weight = h["weight"] as? Double,
                  let lossObject = h["loss"] as? [String: Any], let modelObject = h["model"] as? [String: Any] else {
                throw bad("each head needs a name, a weight, a loss and a model")
            }
            return .init(name: name, model: try ModelFile.buildSequential(modelObject, source: source),
                         loss: try Self.makeLoss(lossObject, source: source), weight: Float(weight))
        }
        do {
            model = try MultiOutputModel(trunk: trunk, heads: heads)
        } catch {
            throw bad("\(error)")
        }
        labels = try decodeMetadata(file, "labels", "a JSON array of strings", source: source) ?? []
        training = try decodeMetadata(file, "training", "a JSON object of strings", source: source) ?? [:]
        try ModelFile.loadWeights(file, into: Self.allLayers(model), source: source)
    }

    static func lossObject(_ loss: Loss) throws -> [String: Any] {
        switch loss {
        case let l as SoftmaxCrossEntropy:
            return ["class_name": "SoftmaxCrossEntropy", "config": ["sparse": l.sparse, "from_logits": l.fromLogits]]
        case is MeanSquaredError:
            return ["class_name": "MeanSquaredError", "config": [String: Any]()]
        case let l as SmoothL1:
            return ["class_name": "SmoothL1", "config": ["beta": Double(l.beta)]]
        case let l as WingLoss:
            return ["class_name": "WingLoss", "config": ["width": Double(l.width), "curvature": Double(l.curvature)]]
        default:
            throw EngineError.invalidArgument("cannot save a head loss of type \(type(of: loss))")
        }
    }

    static func makeLoss(_ object: [String: Any], source: String) throws -> Loss {
        let config = object["config"] as? [String: Any] ?? [:]
        switch object["class_name"] as? String {
        case "SoftmaxCrossEntropy":
            return SoftmaxCrossEntropy(sparse: config["sparse"] as? Bool ?? false,
                                       fromLogits: config["from_logits"] as? Bool ?? false)
        case "MeanSquaredError":
            return MeanSquaredError()
        case "SmoothL1":
            return SmoothL1(beta: Float(config["beta"] as? Double ?? 1))
        case "WingLoss":
            return WingLoss(width: Float(config["width"] as? Double ?? 10), curvature: Float(config["curvature"] as? Double ?? 2))
        default:
            throw ModelFileError.badArchitecture(
                file: source, reason: "unknown head loss \(object["class_name"] ?? "nil"); expected SoftmaxCrossEntropy, MeanSquaredError, SmoothL1 or WingLoss")
        }
    }
}

/// The weights of `layers` keyed `layer/parameter`, with the metadata every Fovea
/// model file carries (architecture, labels, training notes, format tag).
func modelSafetensors(layers: [Layer], architecture: String, labels: [String],
                      training: [String: String]) throws -> SafetensorsFile {
    var file = SafetensorsFile()
    for layer in layers {
        for p in layer.parameters { file.append(ModelFile.key(layer: layer, parameter: p), p.value) }
    }
    file.metadata["architecture"] = architecture
    file.metadata["labels"] = try jsonText(labels)
    file.metadata["training"] = try jsonText(training)
    file.metadata["format"] = "fovea"
    return file
}

func jsonText(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// A metadata entry decoded from JSON, nil when absent.
func decodeMetadata<T: Decodable>(_ file: SafetensorsFile, _ key: String, _ expected: String, source: String) throws -> T? {
    guard let text = file.metadata[key] else { return nil }
    guard let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
        throw ModelFileError.badMetadata(file: source, key: key, expected: expected)
    }
    return value
}
