// ExportError: why a model could not be exported, naming the file, layer
// or option at fault and what is expected instead.

public enum ExportError: Error, CustomStringConvertible, Equatable {
    case unreadableModel(path: String, reason: String)
    case unknownFormat(String)
    case unsupported(layer: String, reason: String)
    case badOption(name: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableModel(let p, let r):
            return "\(p): cannot read the model: \(r)"
        case .unknownFormat(let f):
            return "unknown export format '\(f)'; expected onnx or tflite (--format, or an output file ending in .onnx or .tflite)"
        case .unsupported(let layer, let r):
            return "layer '\(layer)' cannot be exported: \(r)"
        case .badOption(let name, let r):
            return "\(name): \(r)"
        case .cannotWrite(let p, let r):
            return "\(p): cannot write the exported model: \(r)"
        }
    }
}
