// FloatPlane: a single-channel image of Float samples, row-major, for
// filtering and other arithmetic that must not clip at 0...255.

public struct FloatPlane: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// width * height samples, row-major, top row first.
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(width >= 0 && height >= 0 && values.count == width * height,
                     "\(width)x\(height) plane needs \(width * height) values, got \(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    public init(width: Int, height: Int, repeating value: Float = 0) {
        self.init(width: width, height: height, values: [Float](repeating: value, count: width * height))
    }

    /// A plane from rows of values (all rows the same length), handy for kernels.
    public init(rows: [[Float]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "kernel rows differ in length")
        self.init(width: width, height: rows.count, values: rows.flatMap { $0 })
    }

    /// The gray levels 0...255 of an image (converted to grayscale first if it has colour).
    public init(gray image: Image) {
        let gray = image.grayscale()
        self.init(width: gray.width, height: gray.height, values: gray.pixels.map(Float.init))
    }

    public subscript(x: Int, y: Int) -> Float {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// An 8-bit gray image of |value|, clipped to 255 and rounded to nearest.
    public func absoluteClippedImage() -> Image {
        var image = Image(width: width, height: height, channels: 1)
        values.withUnsafeBufferPointer { from in
            image.pixels.withUnsafeMutableBufferPointer { to in
                for i in 0..<from.count {
                    let magnitude = abs(from[i])
                    // NaN compares false everywhere and lands on 0.
                    to[i] = magnitude >= 255 ? 255 : magnitude > 0 ? UInt8(magnitude + 0.5) : 0
                }
            }
        }
        return image
    }
}
