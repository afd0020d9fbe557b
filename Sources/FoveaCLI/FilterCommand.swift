// `fovea filter`: grayscale an image, convolve it with a named kernel
// (`same` mode, zero fill, scipy.signal.convolve2d semantics), map |value|
// clipped to 0...255 and write an 8-bit gray PNG.
import ArgumentParser
import Foundation
import FoveaImage

struct FilterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Convolve an image's grayscale with a named kernel and write the result as an 8-bit PNG.",
        discussion: """
            Output pixels are |response| rounded and clipped to 255. sobel-x / sobel-y respond \
            positively where brightness grows rightward / downward; the -flipped forms are the \
            negated kernels (the other sign convention found in textbooks). Their absolute values, \
            and so the written PNGs, are identical.
            Example: fovea filter --kernel sobel-magnitude Datasets/photos/astronaut.png out/astronaut-sobel.png
            """
    )

    enum KernelName: String, ExpressibleByArgument, CaseIterable {
        case sobelX = "sobel-x", sobelXFlipped = "sobel-x-flipped", sobelY = "sobel-y"
        case sobelYFlipped = "sobel-y-flipped", sobelMagnitude = "sobel-magnitude"
        case box, gaussian, sharpen, laplacian
    }

    @Option(help: "The filter to apply.")
    var kernel: KernelName

    @Option(help: "Side of the box kernel, 1...255.")
    var size = 3

    @Option(help: "Standard deviation of the gaussian kernel in pixels, (0, 50]; the kernel radius is ceil(3 sigma).")
    var sigma = 1.0

    @Option(help: "Refuse input images with more pixels than this (guards against decompression bombs).")
    var maxPixels = DecodeOptions().maxPixels

    @Flag(help: "Print a JSON object describing the written file instead of a sentence.")
    var json = false

    @Argument(help: "The PNG or JPEG image to filter.")
    var input: String

    @Argument(help: "The PNG file to write (folders are created as needed).")
    var output: String

    func validate() throws {
        guard Filter(name: kernel.rawValue, size: size, sigma: sigma) != nil else {
            throw ValidationError("--size must be 1...255 and --sigma in (0, 50]; got size \(size), sigma \(sigma)")
        }
        guard ImageFormat(pathExtension: output) == .png else {
            throw ValidationError("filter writes PNG: give the output a .png extension, not '\(output)'")
        }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
    }

    func run() throws {
        guard let filter = Filter(name: kernel.rawValue, size: size, sigma: sigma) else {
            throw ValidationError("unknown filter \(kernel.rawValue)")
        }
        let image = try Image(contentsOf: input, options: DecodeOptions(maxPixels: maxPixels))
        let result = filter.apply(to: FloatPlane(gray: image)).absoluteClippedImage()
        try ImageCommandOutput.createParentFolder(of: output)
        try result.write(to: output)
        if json {
            let summary: [String: Any] = ["file": output, "kernel": filter.name, "width": result.width,
                                          "height": result.height, "channels": 1]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("wrote \(output): \(result.width)x\(result.height) gray PNG, kernel \(filter.name)")
        }
    }
}
