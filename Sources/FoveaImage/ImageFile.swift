// Reading and writing image files: the format comes from the file's magic
// bytes when reading and from the extension when writing.
import Foundation

extension Image {
    /// Decodes PNG or JPEG bytes; `name` is used in error messages.
    public init(decoding bytes: [UInt8], name: String, options: DecodeOptions = DecodeOptions()) throws {
        guard !bytes.isEmpty else { throw ImageError.emptyFile(file: name) }
        guard let format = ImageFormat(sniffing: bytes) else {
            throw ImageError.unknownFormat(file: name, leadingBytes: leadingBytes(bytes))
        }
        self = try bytes.withUnsafeBufferPointer { buffer in
            switch format {
            case .png: return try PNGCodec.decode(buffer, file: name, options: options)
            case .jpeg: return try JPEGCodec.decode(buffer, file: name, options: options)
            }
        }
    }

    /// Reads and decodes the PNG or JPEG file at `path`.
    public init(contentsOf path: String, options: DecodeOptions = DecodeOptions()) throws {
        try self.init(decoding: readFile(path), name: path, options: options)
    }

    /// The bytes of the file at `path`, with the errors `init(contentsOf:)`
    /// gives for a missing, unreadable or directory path; decode them with
    /// `init(decoding:name:options:)` (the batch runner reads on one thread
    /// and decodes on its workers).
    public static func fileBytes(_ path: String) throws -> [UInt8] { try readFile(path) }

    /// The image encoded as `format`. JPEG takes gray or RGB only and uses `quality` (1...100).
    public func encoded(as format: ImageFormat, quality: Int = 90, name: String = "image") throws -> [UInt8] {
        switch format {
        case .png: return try PNGCodec.encode(self, file: name)
        case .jpeg: return try JPEGCodec.encode(self, quality: quality, file: name)
        }
    }

    /// Writes the image to `path` in the format its extension names (.png, .jpg, .jpeg).
    public func write(to path: String, quality: Int = 90) throws {
        guard let format = ImageFormat(pathExtension: path) else { throw ImageError.unknownExtension(file: path) }
        let bytes = try encoded(as: format, quality: quality, name: path)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ImageError.unwritable(file: path, reason: (error as NSError).localizedDescription)
        }
    }
}

extension ImageInfo {
    /// Reads only the header of the PNG or JPEG file at `path`.
    public init(contentsOf path: String) throws {
        try self.init(decoding: readFile(path), name: path)
    }

    public init(decoding bytes: [UInt8], name: String) throws {
        guard !bytes.isEmpty else { throw ImageError.emptyFile(file: name) }
        guard let format = ImageFormat(sniffing: bytes) else {
            throw ImageError.unknownFormat(file: name, leadingBytes: leadingBytes(bytes))
        }
        self = try bytes.withUnsafeBufferPointer { buffer in
            switch format {
            case .png: return try PNGCodec.info(buffer, file: name)
            case .jpeg: return try JPEGCodec.info(buffer, file: name)
            }
        }
    }
}

/// The whole file, read with open/fstat/read into the array that is returned
/// (no intermediate Data copy: the batch runner's reader thread spends its time here).
private func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        switch errno {
        case ENOENT, ENOTDIR, ELOOP: throw ImageError.unreadable(file: path, reason: "no such file")
        case EACCES, EPERM: throw ImageError.unreadable(file: path, reason: "permission denied")
        default: throw ImageError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
    }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw ImageError.unreadable(file: path, reason: String(cString: strerror(errno))) }
    guard (status.st_mode & S_IFMT) != S_IFDIR else { throw ImageError.unreadable(file: path, reason: "it is a directory") }
    var bytes = [UInt8](repeating: 0, count: max(0, Int(status.st_size)))
    var count = 0
    while true {
        let n: Int
        if count < bytes.count {
            n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
        } else {
            // At the size fstat gave: a file that grew (or a pipe, size 0) reads on.
            var probe = [UInt8](repeating: 0, count: 4096)
            n = probe.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n > 0 { bytes.append(contentsOf: probe[..<n]) }
        }
        if n < 0 {
            if errno == EINTR { continue }
            throw ImageError.unreadable(file: path, reason: "I/O error: \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        count += n
    }
    bytes.removeSubrange(count...)
    return bytes
}

private func leadingBytes(_ bytes: [UInt8]) -> String {
    bytes.prefix(4).map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: " ")
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
