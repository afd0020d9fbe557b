// ImageError: everything that can go wrong reading, writing or transforming an
// image, each case naming the file and what was expected.

public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(file: String, reason: String)
    case emptyFile(file: String)
    case unknownFormat(file: String, leadingBytes: String)
    case truncated(file: String, format: ImageFormat, detail: String)
    case corrupt(file: String, format: ImageFormat, detail: String)
    case zeroSize(file: String, format: ImageFormat, detail: String)
    case unsupported(file: String, format: ImageFormat, detail: String)
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    case unknownExtension(file: String)
    case cannotEncode(file: String, format: ImageFormat, detail: String)
    case unwritable(file: String, reason: String)
    case outOfMemory(file: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the file (\(reason))"
        case let .emptyFile(file):
            return "\(file): the file is empty; expected a PNG or JPEG image"
        case let .unknownFormat(file, bytes):
            return "\(file): not a PNG or JPEG image (file starts with \(bytes); expected 89 50 4E 47 for PNG or FF D8 FF for JPEG)"
        case let .truncated(file, format, detail):
            return "\(file): truncated \(format.name) file, the data ends before the image does (\(detail))"
        case let .corrupt(file, format, detail):
            return "\(file): corrupt \(format.name) data (\(detail))"
        case let .zeroSize(file, format, detail):
            return "\(file): \(format.name) header declares an empty image (\(detail)); width and height must be at least 1"
        case let .unsupported(file, format, detail):
            return "\(file): unsupported \(format.name) variant: \(detail)"
        case let .tooLarge(file, width, height, limit):
            return "\(file): image is \(width)x\(height) = \(width * height) pixels, above the limit of \(limit) pixels (raise the limit if the file is trusted)"
        case let .unknownExtension(file):
            return "\(file): unknown output format; use a .png, .jpg or .jpeg extension"
        case let .cannotEncode(file, format, detail):
            return "\(file): cannot encode as \(format.name): \(detail)"
        case let .unwritable(file, reason):
            return "\(file): cannot write the file (\(reason))"
        case let .outOfMemory(file):
            return "\(file): out of memory while decoding"
        }
    }
}
