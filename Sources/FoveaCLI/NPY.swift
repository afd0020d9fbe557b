// NPY: float32 tensors as NumPy .npy files, the way tensors pass between
// fovea and the Python tools (`fovea export-reference` writes them,
// `fovea bench --inputs` reads them). Little-endian float32, C order only.
import FoveaEngine
import Foundation

enum NPYError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unsupported(path: String, reason: String)

    var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read the .npy file: \(r)"
        case .unsupported(let p, let r):
            return "\(p): \(r); expected a C-order float32 array as numpy.save(path, a.astype(numpy.float32)) writes it"
        }
    }
}

enum NPY {
    /// Format version 1.0: magic, header length, a Python dict padded with
    /// spaces to a 64-byte boundary, then the data.
    static func encode(_ t: Tensor) -> Data {
        let shape = t.shape.map(String.init).joined(separator: ", ") + (t.shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        t.data.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        return data
    }

    /// Reads versions 1.0 to 3.0 of the format, float32 arrays only.
    static func read(_ path: String) throws -> Tensor {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw NPYError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw NPYError.unreadable(path: path, reason: "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard (1...3).contains(major), bytes.count >= 8 + lengthBytes else {
            throw NPYError.unreadable(path: path, reason: "unknown format version \(major)")
        }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let start = 8 + lengthBytes + headerLength
        guard bytes.count >= start else { throw NPYError.unreadable(path: path, reason: "the header is cut short") }
        let header = String(decoding: bytes[(8 + lengthBytes)..<start], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else {
            throw NPYError.unsupported(path: path, reason: "dtype is not '<f4' (header \(header.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        guard header.contains("'fortran_order': False") else {
            throw NPYError.unsupported(path: path, reason: "the array is in Fortran order")
        }
        guard let open = header.range(of: "'shape': ("),
              let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NPYError.unreadable(path: path, reason: "no shape in the header")
        }
        let parts = header[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let shape = try parts.filter { !$0.isEmpty }.map { part -> Int in
            guard let n = Int(part), n >= 0 else { throw NPYError.unreadable(path: path, reason: "bad dimension '\(part)'") }
            return n
        }
        let count = shape.reduce(1, *)
        guard bytes.count - start == 4 * count else {
            throw NPYError.unreadable(path: path, reason: "shape \(shape) needs \(4 * count) data bytes, the file has \(bytes.count - start)")
        }
        var data = [Float](repeating: 0, count: count)
        data.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start...])) }
        }
        return Tensor(shape: shape, data: data.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) })
    }
}
