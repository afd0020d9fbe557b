// ImageFormat, ImageInfo and DecodeOptions: what a file is, what its header
// says, and the limits applied while decoding it.

public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png
    case jpeg

    public var name: String { self == .png ? "PNG" : "JPEG" }

    /// The format named by a path's extension (.png, .jpg, .jpeg; any case), or nil.
    public init?(pathExtension path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }

    /// The format given by the first bytes of a file, or nil.
    public init?(sniffing bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(8))
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else if head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF {
            self = .jpeg
        } else {
            return nil
        }
    }
}

/// What an image file's header says, read without decoding the pixels.
public struct ImageInfo: Sendable, Equatable, Codable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Samples per pixel as stored (a PNG palette counts as 3, or 4 with transparency).
    public var channels: Int
    /// Bits per sample as stored (1, 2, 4, 8 or 16 for PNG; 8 or 12 for JPEG).
    public var bitDepth: Int
    /// Channels the decoder delivers: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA, always 8-bit.
    public var decodedChannels: Int
    /// PNG Adam7 interlacing or JPEG progressive coding.
    public var interlaced: Bool
    /// EXIF orientation tag of a JPEG (1...8; 1 = as stored, also when absent).
    public var orientation: Int
}

public struct DecodeOptions: Sendable {
    /// Files whose header declares more pixels than this are refused before any pixel memory is allocated.
    public var maxPixels: Int
    /// Rotate/flip JPEGs as their EXIF orientation tag says (like Pillow's ImageOps.exif_transpose).
    /// PNG eXIf chunks are rare and ignored: PNGs are decoded as stored.
    public var applyOrientation: Bool

    public init(maxPixels: Int = 100_000_000, applyOrientation: Bool = true) {
        self.maxPixels = maxPixels
        self.applyOrientation = applyOrientation
    }
}
