// Image: Fovea's pixel container, 8-bit interleaved channels (1 gray,
// 2 gray+alpha, 3 RGB, 4 RGBA), row-major, top row first.

public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// width * height * channels bytes, interleaved.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels))
        precondition(pixels.count == width * height * channels,
                     "\(width)x\(height)x\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: width * height * channels))
    }

    /// `image[x, y, channel]`: one sample (bounds-checked; hot loops use the buffer directly).
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels,
                         "pixel (\(x), \(y)) channel \(channel) is outside a \(width)x\(height)x\(channels) image")
            return pixels[(y * width + x) * channels + channel]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels,
                         "pixel (\(x), \(y)) channel \(channel) is outside a \(width)x\(height)x\(channels) image")
            pixels[(y * width + x) * channels + channel] = newValue
        }
    }
}
