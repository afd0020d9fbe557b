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
        var file = SafetensorsFile()
        for layer in model.layers {
            for p in layer.parameters { file.append(Self.key(layer: layer, parameter: p), p.value) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        file.metadata["architecture"] = try architectureJSON()
        file.metadata["labels"] = String(decoding: try encoder.encode(labels), as: UTF8.self)
        file.metadata["training"] = String(decoding: try encoder.encode(training), as: UTF8.self)
        file.metadata["format"] = "fovea"
        return file
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
        func decode<T: Decodable>(_ key: String, _ expected: String) throws -> T? {
            guard let text = file.metadata[key] else { return nil }
            guard let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw ModelFileError.badMetadata(file: source, key: key, expected: expected)
            }
            return value
        }
        labels = try decode("labels", "a JSON array of strings") ?? []
        training = try decode("training", "a JSON object of strings") ?? [:]
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
        let input: [String: Any] = ["class_name": "InputLayer", "module": "keras.layers",
                                    "config": ["batch_shape": [NSNull()] + model.inputShape.map { $0 as Any }]]
        let layers = model.layers.map { layer -> [String: Any] in
            ["class_name": layer.typeName, "module": "keras.layers", "config": LayerRegistry.config(of: layer)]
        }
        let object: [String: Any] = ["class_name": "Sequential", "module": "keras", "format": Self.architectureFormat,
                                     "config": ["name": model.name, "layers": [input] + layers]]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                      as: UTF8.self)
    }

    static func buildModel(architecture text: String, source: String) throws -> Sequential {
        func bad(_ reason: String) -> ModelFileError { .badArchitecture(file: source, reason: reason) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw bad("it is not a JSON object")
        }
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
