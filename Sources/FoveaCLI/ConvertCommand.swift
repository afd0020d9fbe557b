// `fovea convert`: decode a PNG/JPEG and re-encode it in the format named by
// the output's extension, optionally as grayscale.
import ArgumentParser
import Foundation
import FoveaImage

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Re-encode an image as PNG or JPEG, chosen by the output file's extension.",
        discussion: """
            JPEG cannot hold alpha: converting an image with transparency to JPEG drops the alpha \
            channel. JPEG EXIF orientation is applied when reading, so the output is upright.
            """
    )

    @Argument(help: "The PNG or JPEG image to read.")
    var input: String

    @Argument(help: "The file to write; its extension (.png, .jpg or .jpeg) picks the format.")
    var output: String

    @Flag(help: "Convert to 8-bit gray with ITU-R 601-2 luma (the same values as Pillow's mode \"L\").")
    var grayscale = false

    @Option(help: "JPEG quality from 1 (smallest file) to 100 (best); ignored for PNG.")
    var quality = 90

    @Option(help: "Refuse input images with more pixels than this (guards against decompression bombs).")
    var maxPixels = DecodeOptions().maxPixels

    @Flag(help: "Print a JSON object describing the written file instead of a sentence.")
    var json = false

    func validate() throws {
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100, got \(quality)") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
        guard ImageFormat(pathExtension: output) != nil else {
            throw ValidationError("cannot tell the output format of '\(output)': use a .png, .jpg or .jpeg extension")
        }
    }

    func run() throws {
        guard let format = ImageFormat(pathExtension: output) else { throw ImageError.unknownExtension(file: output) }
        var image = try Image(contentsOf: input, options: DecodeOptions(maxPixels: maxPixels))
        if grayscale { image = image.grayscale() }
        if format == .jpeg { image = image.removingAlpha() }
        try ImageCommandOutput.createParentFolder(of: output)
        try image.write(to: output, quality: quality)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        if json {
            let summary: [String: Any] = ["file": output, "format": format.rawValue, "width": image.width,
                                          "height": image.height, "channels": image.channels, "bytes": size]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("wrote \(output): \(image.width)x\(image.height), \(image.channels) channel\(image.channels == 1 ? "" : "s"), \(format.name), \(size) bytes")
        }
    }
}
