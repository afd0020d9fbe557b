// Safetensors: reading and writing the weight format PyTorch, numpy and the
// Hugging Face tools share. Layout: an 8-byte little-endian header length N,
// N bytes of JSON ({name: {dtype, shape, data_offsets}} plus an optional
// "__metadata__" string map), then the raw little-endian tensor bytes.
// Fovea stores Float32 only; everything read is validated before use, so a
// damaged file is reported, never trusted.
import Foundation

public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case truncated(file: String, size: Int)
    case headerBeyondFile(file: String, headerLength: UInt64, fileSize: Int)
    case badHeader(file: String, reason: String)
    case unsupportedDtype(file: String, tensor: String, dtype: String)
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    case overlapping(file: String, first: String, second: String)
    case sizeMismatch(file: String, tensor: String, shape: [Int], bytes: Int)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case unexpectedTensor(file: String, tensor: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r):
            return "\(f): cannot read safetensors file (\(r))"
        case .truncated(let f, let size):
            return "\(f): truncated safetensors file: \(size) bytes, expected at least the 8-byte header length"
        case .headerBeyondFile(let f, let n, let size):
            return "\(f): safetensors header claims \(n) bytes of JSON but the file has only \(size - 8) bytes after the length field"
        case .badHeader(let f, let r):
            return "\(f): safetensors header is not valid: \(r); expected a JSON object {name: {\"dtype\", \"shape\", \"data_offsets\"}}"
        case .unsupportedDtype(let f, let t, let d):
            return "\(f): tensor '\(t)' has dtype \(d); Fovea reads F32 only (convert the file to float32)"
        case .offsetsOutOfRange(let f, let t, let b, let e, let size):
            return "\(f): tensor '\(t)' has data_offsets [\(b), \(e)] outside the \(size)-byte data section"
        case .overlapping(let f, let a, let b):
            return "\(f): tensors '\(a)' and '\(b)' have overlapping data_offsets"
        case .sizeMismatch(let f, let t, let shape, let bytes):
            return "\(f): tensor '\(t)' has shape \(shape) (\(shape.reduce(1, *) * 4) bytes as F32) but data_offsets span \(bytes) bytes"
        case .missingTensor(let f, let t):
            return "\(f): tensor '\(t)' is missing; the model needs it"
        case .shapeMismatch(let f, let t, let expected, let found):
            return "\(f): tensor '\(t)' has shape \(found), the model expects \(expected)"
        case .unexpectedTensor(let f, let t):
            return "\(f): tensor '\(t)' does not belong to any layer of the model"
        }
    }
}

/// The contents of a safetensors file: named Float32 tensors in file order and
/// the free-form string metadata.
public struct SafetensorsFile {
    public var names: [String]
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(names: [String] = [], tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.names = names
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Appends a tensor; a repeated name replaces the earlier tensor.
    public mutating func append(_ name: String, _ tensor: Tensor) {
        if tensors[name] == nil { names.append(name) }
        tensors[name] = tensor
    }

    // MARK: Writing

    /// The tensors in `names` order, then any added to `tensors` directly
    /// (sorted by name); names without a tensor are skipped.
    var orderedTensors: [(String, Tensor)] {
        let listed = Set(names)
        return names.compactMap { name in tensors[name].map { (name, $0) } }
            + tensors.keys.filter { !listed.contains($0) }.sorted().map { ($0, tensors[$0]!) }
    }

    /// The file's bytes. Tensors are laid out contiguously in `names` order and
    /// the header is padded with spaces to a multiple of 8 bytes, as the
    /// reference implementation does, so the data section stays aligned.
    public func encoded() -> Data {
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        let entries = orderedTensors
        var offset = 0
        for (name, t) in entries {
            let bytes = t.count * MemoryLayout<Float>.size
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for (_, t) in entries {
            t.data.withUnsafeBufferPointer { p in
                #if _endian(little)
                out.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!)
                    .assumingMemoryBound(to: UInt8.self), count: p.count * 4))
                #else
                for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                #endif
            }
        }
        return out
    }

    public func write(to url: URL) throws {
        do {
            try encoded().write(to: url, options: .atomic)
        } catch {
            throw SafetensorsError.unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    // MARK: Reading

    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafetensorsError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(decoding: data, source: url.path)
    }

    /// Parses and validates `data`; `source` names the file in error messages.
    public init(decoding data: Data, source: String) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw SafetensorsError.truncated(file: source, size: bytes.count) }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(bytes[i]) }
        guard n <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.headerBeyondFile(file: source, headerLength: n, fileSize: bytes.count)
        }
        let headerEnd = 8 + Int(n)
        let entries = try Self.parseHeader(Data(bytes[8..<headerEnd]), source: source)
        let dataSize = bytes.count - headerEnd

        for e in entries.tensors {
            guard e.dtype == "F32" else {
                throw SafetensorsError.unsupportedDtype(file: source, tensor: e.name, dtype: e.dtype)
            }
            guard e.begin >= 0, e.begin <= e.end, e.end <= dataSize else {
                throw SafetensorsError.offsetsOutOfRange(file: source, tensor: e.name, begin: e.begin,
                                                         end: e.end, dataSize: dataSize)
            }
            guard e.shape.allSatisfy({ $0 >= 0 }), e.shape.reduce(1, *) * 4 == e.end - e.begin else {
                throw SafetensorsError.sizeMismatch(file: source, tensor: e.name, shape: e.shape,
                                                    bytes: e.end - e.begin)
            }
        }
        let ordered = entries.tensors.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.begin < a.end {
            throw SafetensorsError.overlapping(file: source, first: a.name, second: b.name)
        }

        names = ordered.map(\.name)
        tensors = [:]
        metadata = entries.metadata
        for e in ordered {
            var values = [Float](repeating: 0, count: (e.end - e.begin) / 4)
            bytes.withUnsafeBytes { raw in
                let start = headerEnd + e.begin
                values.withUnsafeMutableBytes { dst in
                    #if _endian(little)
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + dst.count)]))
                    #else
                    for i in 0..<(dst.count / 4) {
                        let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))
                        dst.storeBytes(of: Float(bitPattern: bits), toByteOffset: 4 * i, as: Float.self)
                    }
                    #endif
                }
            }
            tensors[e.name] = Tensor(shape: e.shape, data: values)
        }
    }

    private struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    private static func parseHeader(_ header: Data, source: String)
        throws -> (tensors: [Entry], metadata: [String: String]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw SafetensorsError.badHeader(file: source, reason: "the JSON does not parse")
        }
        guard let fields = object as? [String: Any] else {
            throw SafetensorsError.badHeader(file: source, reason: "the JSON is not an object")
        }
        var tensors: [Entry] = []
        var metadata: [String: String] = [:]
        for (key, value) in fields {
            if key == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafetensorsError.badHeader(file: source, reason: "__metadata__ is not an object")
                }
                for (k, v) in map {
                    guard let s = v as? String else {
                        throw SafetensorsError.badHeader(file: source, reason: "__metadata__ value '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shape = integers(entry["shape"]),
                  let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
                throw SafetensorsError.badHeader(
                    file: source, reason: "entry '\(key)' needs a string dtype, an integer shape and two integer data_offsets")
            }
            tensors.append(Entry(name: key, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        return (tensors, metadata)
    }

    /// An array of JSON integers, or nil (JSONSerialization yields NSNumber,
    /// which would silently truncate 1.5 to 1).
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in array {
            guard let number = item as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d == d.rounded(), abs(d) < 1e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }
}

/// A JSON string literal for `s`, escaped per RFC 8259 (also used by the
/// command line's hand-written JSON output).
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
