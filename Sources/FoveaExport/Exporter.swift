// Exporter: a model file to an ONNX or TFLite file in one call, the output
// written to a temporary file beside its destination and renamed into place
// only when complete, so a failed export never leaves a partial file.
import Foundation

public enum ExportFormat: String, CaseIterable, Sendable {
    case onnx, tflite

    /// The format an output path's extension names, nil when it names none.
    public init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "onnx": self = .onnx
        case "tflite": self = .tflite
        default: return nil
        }
    }
}

public struct ExportSummary: Sendable {
    public var graph: ExportGraph
    public var bytes: Int
}

public enum Exporter {
    /// The exported bytes of `graph`.
    public static func encode(_ graph: ExportGraph, format: ExportFormat, opset: Int = 17) throws -> Data {
        switch format {
        case .onnx: return try ONNXWriter.serialized(graph, opset: opset)
        case .tflite: return Data(try TFLiteWriter.serialized(graph))
        }
    }

    public static func export(model path: String, format: ExportFormat, to output: String, opset: Int = 17,
                              batch: BatchSize = .dynamic) throws -> ExportSummary {
        let graph = try ModelContract.graph(contentsOf: path, batch: batch)
        let data = try encode(graph, format: format, opset: opset)
        try writeAtomically(data, to: output)
        return ExportSummary(graph: graph, bytes: data.count)
    }

    /// Writes to `.NAME.partial-PID` in the destination's folder, then renames.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ExportError.cannotWrite(path: path, reason: "the folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ExportError.cannotWrite(path: path, reason: "\(error.localizedDescription)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ExportError.cannotWrite(path: path, reason: reason)
        }
    }
}
