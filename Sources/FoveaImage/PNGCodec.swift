// PNGCodec: Swift side of PNG decoding and encoding. libpng runs behind the
// setjmp-guarded wrappers in CFoveaCodec; this file maps their status codes
// to ImageError and owns the pixel buffers.
import CFoveaCodec

enum PNGCodec {
    /// Reads the header only (cheap: no pixel memory).
    static func info(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> ImageInfo {
        try withReader(bytes, file: file) { _, header in header }
    }

    /// Decodes to 8-bit samples: palettes expand to RGB (RGBA with tRNS), gray below 8 bits
    /// scales to 0...255, a tRNS colour key becomes an alpha channel, 16-bit samples keep
    /// their high byte (v >> 8).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, file: String, options: DecodeOptions) throws -> Image {
        try withReader(bytes, file: file) { reader, info in
            guard info.width * info.height <= options.maxPixels else {
                throw ImageError.tooLarge(file: file, width: info.width, height: info.height, limit: options.maxPixels)
            }
            let count = info.width * info.height * info.decodedChannels
            var status = FOVEA_OK
            let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                status = fovea_png_read_pixels(reader, buffer.baseAddress, count)
                // On failure libpng may have written some rows; zero the rest so the array is fully initialised.
                if status != FOVEA_OK { buffer.update(repeating: 0) }
                initialized = count
                if status != FOVEA_OK { throw error(status, reader: reader, file: file) }
            }
            return Image(width: info.width, height: info.height, channels: info.decodedChannels, pixels: pixels)
        }
    }

    private static func withReader<T>(_ bytes: UnsafeBufferPointer<UInt8>, file: String,
                                      _ body: (OpaquePointer, ImageInfo) throws -> T) throws -> T {
        guard let reader = fovea_png_reader_create(bytes.baseAddress, bytes.count) else {
            throw ImageError.outOfMemory(file: file)
        }
        defer { fovea_png_reader_destroy(reader) }
        var header = fovea_image_header()
        let status = fovea_png_read_header(reader, &header)
        guard status == FOVEA_OK else { throw error(status, reader: reader, file: file) }
        let info = ImageInfo(format: .png, width: Int(header.width), height: Int(header.height),
                             channels: Int(header.file_channels), bitDepth: Int(header.bit_depth),
                             decodedChannels: Int(header.out_channels), interlaced: header.interlaced != 0,
                             orientation: 1)
        return try body(reader, info)
    }

    private static func error(_ status: fovea_status, reader: OpaquePointer, file: String) -> ImageError {
        codecError(status, message: String(cString: fovea_png_reader_message(reader)), file: file, format: .png)
    }

    static func encode(_ image: Image, file: String) throws -> [UInt8] {
        guard image.width > 0 && image.height > 0 else {
            throw ImageError.cannotEncode(file: file, format: .png, detail: "the image is \(image.width)x\(image.height)")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            fovea_png_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                             &output, &size, &message, message.count)
        }
        guard status == FOVEA_OK, let output else {
            throw ImageError.cannotEncode(file: file, format: .png, detail: text(of: message))
        }
        defer { fovea_codec_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

/// Maps a CFoveaCodec status and its message to the matching ImageError.
func codecError(_ status: fovea_status, message: String, file: String, format: ImageFormat) -> ImageError {
    let detail = message.isEmpty ? "no detail from the decoder" : message
    switch status {
    case FOVEA_ERR_TRUNCATED: return .truncated(file: file, format: format, detail: detail)
    case FOVEA_ERR_ZERO_SIZE: return .zeroSize(file: file, format: format, detail: detail)
    case FOVEA_ERR_UNSUPPORTED: return .unsupported(file: file, format: format, detail: detail)
    case FOVEA_ERR_NO_MEMORY: return .outOfMemory(file: file)
    default: return .corrupt(file: file, format: format, detail: detail)
    }
}

/// The text in a NUL-terminated C message buffer.
func text(of buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
