// IDX: the MNIST/EMNIST file format (big-endian header, then raw bytes),
// gzip-compressed or raw, and the errors a damaged or mismatched file raises.
import CZlib
import Foundation

public enum IDXError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badGzip(path: String, reason: String)
    case wrongMagic(path: String, found: UInt32, expected: UInt32)
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    case trailingBytes(path: String, expectedBytes: Int, foundBytes: Int)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case labelOutOfRange(path: String, index: Int, label: Int, classCount: Int)
    case emptyImages(path: String, count: Int, rows: Int, columns: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read the file (\(reason))"
        case .badGzip(let path, let reason):
            return "\(path): damaged gzip data (\(reason)); expected a gzip-compressed or raw IDX file"
        case .wrongMagic(let path, let found, let expected):
            let kind = expected == IDX.imageMagic ? "images (idx3-ubyte)" : "labels (idx1-ubyte)"
            return "\(path): magic number 0x\(String(found, radix: 16, uppercase: true)) is not "
                + "0x\(String(expected, radix: 16, uppercase: true)); expected an IDX \(kind) file"
        case .truncated(let path, let expected, let found):
            return "\(path): truncated IDX file, the header announces \(expected) bytes but only \(found) are present"
        case .trailingBytes(let path, let expected, let found):
            return "\(path): IDX file has \(found) bytes but the header announces \(expected); wrong header or concatenated files"
        case .countMismatch(let images, let n, let labels, let m):
            return "\(images) holds \(n) images but \(labels) holds \(m) labels; expected the same count (matching files)"
        case .labelOutOfRange(let path, let index, let label, let classCount):
            return "\(path): label \(label) of item \(index) is outside 0..<\(classCount) of the label mapping"
        case .emptyImages(let path, let count, let rows, let columns):
            return "\(path): the header declares \(count) images of \(rows)x\(columns) pixels; rows and columns must be at least 1"
        }
    }
}

/// Reading of IDX files: `0x00000803, n, rows, cols` + n·rows·cols bytes for
/// images, `0x00000801, n` + n bytes for labels.
public enum IDX {
    public static let imageMagic: UInt32 = 0x0000_0803
    public static let labelMagic: UInt32 = 0x0000_0801

    /// The bytes of a file, gunzipped when it starts with the gzip signature.
    public static func readBytes(path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"
            throw IDXError.unreadable(path: path, reason: reason)
        }
        let bytes = [UInt8](data)
        if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
            return try gunzip(bytes, path: path)
        }
        return bytes
    }

    /// Images of an idx3-ubyte file. With `transposed` (EMNIST's storage, as
    /// NIST ships it) rows and columns are swapped so images are upright in
    /// memory; MNIST files are stored upright and need `transposed: false`.
    public static func readImages(path: String, transposed: Bool = true) throws -> CharacterImages {
        let bytes = try readBytes(path: path)
        let header = try readHeader(bytes, path: path, magic: imageMagic, dimensions: 3)
        let (n, rows, cols) = (header[0], header[1], header[2])
        // Found by Tools/fuzz.sh: 0-pixel images let a 16-byte file announce billions
        // of them (a loop of billions of empty images); 32-bit rows x cols can overflow Int.
        if n > 0 && (rows == 0 || cols == 0) { throw IDXError.emptyImages(path: path, count: n, rows: rows, columns: cols) }
        let (plane, planeOverflows) = rows.multipliedReportingOverflow(by: cols)
        if planeOverflows { throw IDXError.truncated(path: path, expectedBytes: Int.max, foundBytes: bytes.count) }
        let body = try checkedBody(bytes, path: path, headerBytes: 16, items: n, itemBytes: plane)
        guard transposed else {
            return CharacterImages(count: n, height: rows, width: cols, pixels: Array(bytes[body]))
        }
        // Stored pixel (r, c) is displayed at (c, r): the upright image is cols x rows.
        var pixels = [UInt8](repeating: 0, count: n * rows * cols)
        bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                let plane = rows * cols
                for i in 0..<n {
                    let s = body.lowerBound + i * plane, d = i * plane
                    for r in 0..<rows {
                        for c in 0..<cols { dst[d + c * rows + r] = src[s + r * cols + c] }
                    }
                }
            }
        }
        return CharacterImages(count: n, height: cols, width: rows, pixels: pixels)
    }

    /// Labels of an idx1-ubyte file.
    public static func readLabels(path: String) throws -> [Int] {
        let bytes = try readBytes(path: path)
        let header = try readHeader(bytes, path: path, magic: labelMagic, dimensions: 1)
        let body = try checkedBody(bytes, path: path, headerBytes: 8, items: header[0], itemBytes: 1)
        return bytes[body].map { Int($0) }
    }

    /// Serialises images (stored transposed when `transposed`) as a raw IDX file,
    /// the inverse of `readImages`; used to write subsets and test files.
    public static func encodeImages(_ images: CharacterImages, transposed: Bool = true) -> [UInt8] {
        let (rows, cols) = transposed ? (images.width, images.height) : (images.height, images.width)
        var out = bigEndian(imageMagic) + bigEndian(UInt32(images.count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(cols))
        out.reserveCapacity(out.count + images.pixels.count)
        let plane = rows * cols
        for i in 0..<images.count {
            for r in 0..<rows {
                for c in 0..<cols {
                    let index = transposed ? c * rows + r : r * cols + c
                    out.append(images.pixels[i * plane + index])
                }
            }
        }
        return out
    }

    public static func encodeLabels(_ labels: [Int]) -> [UInt8] {
        bigEndian(labelMagic) + bigEndian(UInt32(labels.count)) + labels.map { UInt8(truncatingIfNeeded: $0) }
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private static func readUInt32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    /// Magic check and the dimension sizes that follow it.
    private static func readHeader(_ bytes: [UInt8], path: String, magic: UInt32, dimensions: Int) throws -> [Int] {
        let headerBytes = 4 + 4 * dimensions
        guard bytes.count >= 4 else {
            throw IDXError.truncated(path: path, expectedBytes: headerBytes, foundBytes: bytes.count)
        }
        let found = readUInt32(bytes, 0)
        guard found == magic else { throw IDXError.wrongMagic(path: path, found: found, expected: magic) }
        guard bytes.count >= headerBytes else {
            throw IDXError.truncated(path: path, expectedBytes: headerBytes, foundBytes: bytes.count)
        }
        return (0..<dimensions).map { Int(readUInt32(bytes, 4 + 4 * $0)) }
    }

    private static func checkedBody(_ bytes: [UInt8], path: String, headerBytes: Int,
                                    items: Int, itemBytes: Int) throws -> Range<Int> {
        let (size, overflow) = items.multipliedReportingOverflow(by: itemBytes)
        let (total, totalOverflows) = size.addingReportingOverflow(headerBytes)
        let expected = overflow || totalOverflows ? Int.max : total
        if bytes.count < expected {
            throw IDXError.truncated(path: path, expectedBytes: expected, foundBytes: bytes.count)
        }
        if bytes.count > expected {
            throw IDXError.trailingBytes(path: path, expectedBytes: expected, foundBytes: bytes.count)
        }
        return headerBytes..<expected
    }

    /// Inflates a whole gzip stream (windowBits 15+32: gzip or zlib header auto-detected).
    private static func gunzip(_ input: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw IDXError.badGzip(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        // The gzip trailer's ISIZE (little-endian size mod 2^32) is a good first guess of
        // the output size; deflate cannot expand more than ~1032:1, which bounds a damaged one.
        let n = input.count
        let hint = n >= 18 ? Int(UInt32(input[n - 1]) << 24 | UInt32(input[n - 2]) << 16
                                | UInt32(input[n - 3]) << 8 | UInt32(input[n - 4])) : 0
        var output = [UInt8](repeating: 0, count: max(1 << 16, min(hint, n * 1032) + 1))
        var produced = 0
        var status: Int32 = Z_OK
        var input = input
        input.withUnsafeMutableBufferPointer { src in
            stream.next_in = src.baseAddress
            stream.avail_in = uInt(src.count)
            while status == Z_OK {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                output.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress! + produced
                    stream.avail_out = uInt(dst.count - produced)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced = dst.count - Int(stream.avail_out)
                }
                // Z_BUF_ERROR with input left means "no progress possible": the stream is cut short.
                if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
                if status == Z_BUF_ERROR { status = Z_OK }
            }
        }
        switch status {
        case Z_STREAM_END:
            output.removeSubrange(produced...)
            return output
        case Z_BUF_ERROR:
            throw IDXError.badGzip(path: path, reason: "the compressed stream ends early, the file is truncated")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw IDXError.badGzip(path: path, reason: message)
        }
    }
}
