// QuantizedModelFile: an int8 model in a safetensors file, readable by any
// safetensors reader: per weighted node `NAME/kernel` (I8, [out, kh, kw, in]
// or [out, in]), `NAME/kernel_scale` (F32, [out]) and `NAME/bias` (I32,
// [out]); the metadata holds the graph ("fovea.int8/1": nodes with their
// ops, shapes and output quantization), labels, kind and preprocessing.
import FoveaEngine
import Foundation

public enum QuantizedModelFile {
    public static let format = "fovea.int8/1"

    /// True when the file at `path` is an int8 model (its metadata's format).
    public static func isQuantized(_ path: String) -> Bool {
        guard let (header, _) = try? readHeader(path) else { return false }
        return (header["__metadata__"] as? [String: String])?["format"] == format
    }

    public static func write(_ g: QuantizedGraph, to path: String) throws {
        var entries: [(String, String, [Int], Data)] = []
        var nodes: [[String: Any]] = []
        for node in g.nodes {
            var o: [String: Any] = ["name": node.name, "shape": node.shape, "relu": node.relu,
                                    "scale": Double(node.output.scale), "zero_point": node.output.zeroPoint]
            switch node.op {
            case .conv(let kh, let kw, let stride, let same):
                o["op"] = "conv"; o["kernel"] = [kh, kw]; o["stride"] = stride; o["same"] = same
            case .dense: o["op"] = "dense"
            case .maxPool(let p): o["op"] = "max_pool"; o["size"] = p.size; o["stride"] = p.stride; o["same"] = p.same
            case .reshape(let t): o["op"] = "reshape"; o["target"] = t
            case .softmax: o["op"] = "softmax"
            }
            nodes.append(o)
            guard !node.weights.isEmpty else { continue }
            let out = node.weightScales.count
            let kernelShape: [Int]
            if case .conv(let kh, let kw, _, _) = node.op {
                kernelShape = [out, kh, kw, node.weights.count / (out * kh * kw)]
            } else {
                kernelShape = [out, node.weights.count / out]
            }
            entries.append(("\(node.name)/kernel", "I8", kernelShape, node.weights.withUnsafeBufferPointer { Data(buffer: $0) }))
            entries.append(("\(node.name)/kernel_scale", "F32", [out], node.weightScales.withUnsafeBufferPointer { Data(buffer: $0) }))
            entries.append(("\(node.name)/bias", "I32", [out], node.bias.withUnsafeBufferPointer { Data(buffer: $0) }))
        }
        let graph: [String: Any] = ["name": g.name, "input_shape": g.inputShape, "input_scale": Double(g.input.scale),
                                    "input_zero_point": g.input.zeroPoint, "nodes": nodes]
        var metadata: [String: String] = ["format": format,
                                          "graph": String(decoding: try JSONSerialization.data(withJSONObject: graph, options: [.sortedKeys]), as: UTF8.self)]
        for (k, v) in g.metadata { metadata[k] = v }
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for (name, dtype, shape, data) in entries {
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + data.count]]
            offset += data.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(littleEndian(UInt64(json.count)))
        out.append(json)
        for entry in entries { out.append(entry.3) }
        try Exporter.writeAtomically(out, to: path)
    }

    public static func read(_ path: String) throws -> QuantizedGraph {
        func bad(_ reason: String) -> ExportError { .unreadableModel(path: path, reason: reason) }
        let (header, body) = try readHeader(path)
        guard let metadata = header["__metadata__"] as? [String: String], metadata["format"] == format,
              let graphText = metadata["graph"],
              let graph = try? JSONSerialization.jsonObject(with: Data(graphText.utf8)) as? [String: Any],
              let inputShape = graph["input_shape"] as? [Int], let inScale = graph["input_scale"] as? Double,
              let inZero = graph["input_zero_point"] as? Int, let nodeObjects = graph["nodes"] as? [[String: Any]] else {
            throw bad("not a Fovea int8 model (metadata format '\(format)' with a graph expected)")
        }
        func tensor<T>(_ name: String, _ dtype: String, _ type: T.Type) throws -> [T] {
            guard let e = header[name] as? [String: Any], e["dtype"] as? String == dtype,
                  let offsets = e["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= body.count,
                  (offsets[1] - offsets[0]) % MemoryLayout<T>.size == 0 else {
                throw bad("tensor '\(name)' missing, not \(dtype) or outside the file")
            }
            return body[(body.startIndex + offsets[0])..<(body.startIndex + offsets[1])].withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
        }
        var nodes: [QuantizedNode] = []
        for o in nodeObjects {
            guard let name = o["name"] as? String, let shape = o["shape"] as? [Int], let op = o["op"] as? String,
                  let scale = o["scale"] as? Double, let zero = o["zero_point"] as? Int else {
                throw bad("a node needs name, shape, op, scale and zero_point")
            }
            let kind: QuantizedNode.Op
            switch op {
            case "conv":
                guard let k = o["kernel"] as? [Int], k.count == 2, let s = o["stride"] as? Int, let same = o["same"] as? Bool else {
                    throw bad("conv node '\(name)' needs kernel, stride and same")
                }
                kind = .conv(kernelHeight: k[0], kernelWidth: k[1], stride: s, same: same)
            case "dense": kind = .dense
            case "max_pool":
                guard let size = o["size"] as? Int, let s = o["stride"] as? Int, let same = o["same"] as? Bool else {
                    throw bad("max_pool node '\(name)' needs size, stride and same")
                }
                kind = .maxPool(PoolWindow(size: size, stride: s, same: same))
            case "reshape": kind = .reshape(o["target"] as? [Int] ?? shape)
            case "softmax": kind = .softmax
            default: throw bad("node '\(name)' has op '\(op)'; expected conv, dense, max_pool, reshape or softmax")
            }
            var node = QuantizedNode(name: name, op: kind, relu: o["relu"] as? Bool ?? false, shape: shape,
                                     output: QuantParams(scale: Float(scale), zeroPoint: zero))
            if op == "conv" || op == "dense" {
                node.weights = try tensor("\(name)/kernel", "I8", Int8.self)
                node.weightScales = try tensor("\(name)/kernel_scale", "F32", Float.self)
                node.bias = try tensor("\(name)/bias", "I32", Int32.self)
                guard node.weightScales.count == node.bias.count, node.bias.count == shape.last,
                      node.weights.count % node.bias.count == 0 else {
                    throw bad("node '\(name)': kernel, scales and bias disagree on the channel count")
                }
            }
            nodes.append(node)
        }
        let meta = ["kind", "labels", "preprocessing", "quantization"].compactMap { k in metadata[k].map { (key: k, value: $0) } }
        return QuantizedGraph(name: graph["name"] as? String ?? "model", inputShape: inputShape,
                              input: QuantParams(scale: Float(inScale), zeroPoint: inZero), nodes: nodes, metadata: meta)
    }

    private static func readHeader(_ path: String) throws -> ([String: Any], Data) {
        func bad(_ reason: String) -> ExportError { .unreadableModel(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw bad("no such file or not readable") }
        guard data.count >= 8 else { throw bad("shorter than a safetensors header") }
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard n > 0, 8 + n <= data.count,
              let header = try? JSONSerialization.jsonObject(with: data[(data.startIndex + 8)..<(data.startIndex + 8 + n)]) as? [String: Any] else {
            throw bad("the safetensors header is truncated or not JSON")
        }
        return (header, data.subdata(in: (data.startIndex + 8 + n)..<data.endIndex))
    }
}
