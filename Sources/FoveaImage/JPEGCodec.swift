// JPEGCodec: Swift side of JPEG decoding and encoding over libjpeg(-turbo)
// via CFoveaCodec. Decodes baseline, progressive and grayscale JPEGs to 8-bit
// gray or RGB; CMYK/YCCK files are refused (no colour management here).
import CFoveaCodec

enum JPEGCodec {
    static func info(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> ImageInfo {
        try withReader(bytes, file: file, allowUnsupported: true) { _, info in info }
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, file: String, options: DecodeOptions) throws -> Image {
        let image = try withReader(bytes, file: file, allowUnsupported: false) { reader, info in
            guard info.width * info.height <= options.maxPixels else {
                throw ImageError.tooLarge(file: file, width: info.width, height: info.height, limit: options.maxPixels)
            }
            let count = info.width * info.height * info.decodedChannels
            var status = FOVEA_OK
            let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                status = fovea_jpeg_read_pixels(reader, buffer.baseAddress, count)
                if status != FOVEA_OK { buffer.update(repeating: 0) }
                initialized = count
                if status != FOVEA_OK { throw error(status, reader: reader, file: file) }
            }
            let image = Image(width: info.width, height: info.height, channels: info.decodedChannels, pixels: pixels)
            return options.applyOrientation ? image.oriented(exif: info.orientation) : image
        }
        return image
    }

    /// Reads the header. An unsupported colour space still yields an ImageInfo when
    /// `allowUnsupported` is set, so `fovea info` can describe a file it cannot decode.
    private static func withReader<T>(_ bytes: UnsafeBufferPointer<UInt8>, file: String, allowUnsupported: Bool,
                                      _ body: (OpaquePointer, ImageInfo) throws -> T) throws -> T {
        guard let reader = fovea_jpeg_reader_create(bytes.baseAddress, bytes.count) else {
            throw ImageError.outOfMemory(file: file)
        }
        defer { fovea_jpeg_reader_destroy(reader) }
        var header = fovea_image_header()
        let status = fovea_jpeg_read_header(reader, &header)
        guard status == FOVEA_OK || (status == FOVEA_ERR_UNSUPPORTED && allowUnsupported && header.width > 0) else {
            throw error(status, reader: reader, file: file)
        }
        var exifSize = 0
        var orientation = 1
        if let exif = fovea_jpeg_reader_exif(reader, &exifSize) {
            orientation = ExifOrientation.parse(UnsafeBufferPointer(start: exif, count: exifSize))
        }
        let info = ImageInfo(format: .jpeg, width: Int(header.width), height: Int(header.height),
                             channels: Int(header.file_channels), bitDepth: Int(header.bit_depth),
                             decodedChannels: Int(header.out_channels), interlaced: header.interlaced != 0,
                             orientation: orientation)
        return try body(reader, info)
    }

    private static func error(_ status: fovea_status, reader: OpaquePointer, file: String) -> ImageError {
        codecError(status, message: String(cString: fovea_jpeg_reader_message(reader)), file: file, format: .jpeg)
    }

    /// Encodes gray or RGB at `quality` (1...100), 4:2:0 chroma subsampling as libjpeg's defaults.
    static func encode(_ image: Image, quality: Int, file: String) throws -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageError.cannotEncode(file: file, format: .jpeg,
                                          detail: "JPEG holds gray or RGB, not \(image.channels) channels; drop the alpha channel first")
        }
        guard (1...100).contains(quality) else {
            throw ImageError.cannotEncode(file: file, format: .jpeg, detail: "quality \(quality) is outside 1...100")
        }
        guard image.width > 0 && image.height > 0 && image.width <= 65500 && image.height <= 65500 else {
            throw ImageError.cannotEncode(file: file, format: .jpeg,
                                          detail: "JPEG sides must be 1...65500 pixels, the image is \(image.width)x\(image.height)")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            fovea_jpeg_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                              Int32(quality), &output, &size, &message, message.count)
        }
        guard status == FOVEA_OK, let output else {
            throw ImageError.cannotEncode(file: file, format: .jpeg, detail: text(of: message))
        }
        defer { fovea_codec_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}
