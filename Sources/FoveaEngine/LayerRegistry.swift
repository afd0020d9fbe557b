// LayerRegistry: Keras class names ↔ Fovea layer constructors, so weight
// loaders and summaries can rebuild a model from a Keras layer config and
// describe a layer with Keras's config keys. SpatialSoftArgmax, which Keras
// lacks, is described the same way with its own keys (x0, dx, y0, dy).

public enum LayerRegistry {
    /// Keras class names the engine can build.
    public static let typeNames = [
        "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Dense", "Flatten",
        "Reshape", "Dropout", "BatchNormalization", "Activation", "SpatialSoftArgmax",
    ]

    /// Keras's default-name rule (`to_snake_case`): "Conv2D" → "conv2d",
    /// "MaxPooling2D" → "max_pooling2d", "BatchNormalization" → "batch_normalization".
    public static func snakeCase(_ typeName: String) -> String {
        let chars = Array(typeName)
        var out = ""
        for (i, ch) in chars.enumerated() {
            if i > 0 && ch.isUppercase {
                let prev = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                // Keras: "(.)([A-Z][a-z]+)" → "\1_\2", then "([a-z])([A-Z])" → "\1_\2".
                if nextIsLower || prev.isLowercase { out.append("_") }
            }
            out.append(ch)
        }
        return out.lowercased()
    }

    /// Builds a layer from a Keras class name and its config dictionary (as
    /// decoded by JSONSerialization from a Keras model config).
    public static func make(typeName: String, config: [String: Any]) throws -> Layer {
        let name = config["name"] as? String
        func int(_ key: String, _ fallback: Int? = nil) throws -> Int {
            if let v = config[key] as? Int { return v }
            if let v = config[key] as? [Int], let first = v.first { return first }
            if let fallback { return fallback }
            throw EngineError.invalidArgument("\(typeName) config needs an integer '\(key)'")
        }
        func pair(_ key: String, _ fallback: Int? = nil) throws -> (Int, Int) {
            if let v = config[key] as? [Int], v.count == 2 { return (v[0], v[1]) }
            let v = try int(key, fallback)
            return (v, v)
        }
        func float(_ key: String, _ fallback: Float) -> Float {
            (config[key] as? Double).map(Float.init) ?? (config[key] as? Float) ?? fallback
        }
        func padding() throws -> Padding {
            let raw = (config["padding"] as? String) ?? "valid"
            guard let p = Padding(rawValue: raw) else {
                throw EngineError.invalidArgument("\(typeName): padding '\(raw)', expected 'valid' or 'same'")
            }
            return p
        }
        func activation() throws -> Activation {
            try Activation(kerasName: (config["activation"] as? String) ?? "linear")
        }
        let useBias = (config["use_bias"] as? Bool) ?? true
        switch typeName {
        case "Conv2D":
            let strides = try pair("strides", 1)
            guard strides.0 == strides.1 else {
                throw EngineError.invalidArgument("Conv2D: unequal strides \(strides) are not supported")
            }
            return Conv2D(filters: try int("filters"), kernelSize: try pair("kernel_size"), strides: strides.0,
                          padding: try padding(), activation: try activation(), useBias: useBias, name: name)
        case "MaxPooling2D", "AveragePooling2D":
            let pool = try int("pool_size", 2)
            // Keras writes strides: null for "same as pool_size".
            let strides = (try? int("strides")) ?? pool
            return typeName == "MaxPooling2D"
                ? MaxPooling2D(poolSize: pool, strides: strides, padding: try padding(), name: name)
                : AveragePooling2D(poolSize: pool, strides: strides, padding: try padding(), name: name)
        case "GlobalAveragePooling2D":
            return GlobalAveragePooling2D(name: name)
        case "Dense":
            return Dense(units: try int("units"), activation: try activation(), useBias: useBias, name: name)
        case "Flatten":
            return Flatten(name: name)
        case "Reshape":
            guard let target = config["target_shape"] as? [Int] else {
                throw EngineError.invalidArgument("Reshape config needs 'target_shape'")
            }
            return Reshape(target, name: name)
        case "Dropout":
            return Dropout(rate: float("rate", 0.5), name: name)
        case "BatchNormalization":
            return BatchNormalization(momentum: float("momentum", 0.99), epsilon: float("epsilon", 0.001), name: name)
        case "Activation":
            return ActivationLayer(try activation(), name: name)
        case "SpatialSoftArgmax":
            let grid = try ["x0", "dx", "y0", "dy"].map { key -> Float in
                // A whole number may come back from JSON as an Int.
                guard let v = (config[key] as? Double) ?? (config[key] as? Int).map(Double.init) else {
                    throw EngineError.invalidArgument("SpatialSoftArgmax config needs a number '\(key)' (its coordinate grid: x0, dx, y0, dy)")
                }
                return Float(v)
            }
            return SpatialSoftArgmax(x0: grid[0], dx: grid[1], y0: grid[2], dy: grid[3], name: name)
        default:
            throw EngineError.invalidArgument("unsupported layer type '\(typeName)', supported: \(typeNames.joined(separator: ", "))")
        }
    }

    /// A layer's Keras config (the keys `make` reads back).
    public static func config(of layer: Layer) -> [String: Any] {
        var c: [String: Any] = ["name": layer.name, "trainable": layer.trainable]
        switch layer {
        case let l as Conv2D:
            c["filters"] = l.filters
            c["kernel_size"] = [l.kernelSize.height, l.kernelSize.width]
            c["strides"] = [l.strides.height, l.strides.width]
            c["padding"] = l.padding.rawValue
            c["activation"] = l.activation.rawValue
            c["use_bias"] = l.useBias
        case let l as MaxPooling2D:
            c["pool_size"] = [l.poolSize, l.poolSize]
            c["strides"] = [l.strides, l.strides]
            c["padding"] = l.padding.rawValue
        case let l as AveragePooling2D:
            c["pool_size"] = [l.poolSize, l.poolSize]
            c["strides"] = [l.strides, l.strides]
            c["padding"] = l.padding.rawValue
        case let l as Dense:
            c["units"] = l.units
            c["activation"] = l.activation.rawValue
            c["use_bias"] = l.useBias
        case let l as Reshape:
            c["target_shape"] = l.targetShape
        case let l as Dropout:
            c["rate"] = Double(l.rate)
        case let l as BatchNormalization:
            c["momentum"] = Double(l.momentum)
            c["epsilon"] = Double(l.epsilon)
        case let l as ActivationLayer:
            c["activation"] = l.activation.rawValue
        case let l as SpatialSoftArgmax:
            c["x0"] = Double(l.x0)
            c["dx"] = Double(l.dx)
            c["y0"] = Double(l.y0)
            c["dy"] = Double(l.dy)
        default:
            break
        }
        return c
    }
}
