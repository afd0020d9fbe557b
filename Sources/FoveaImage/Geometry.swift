// Geometry: crop, pad, flips, quarter turns and transposes of an Image.
// Crop copies whole row spans; the others remap pixel indices on raw buffers.

extension Image {
    /// The `width`x`height` region whose top-left corner is (`x`, `y`). Parts of the region outside
    /// the image are filled with `fill` in every channel (Pillow's `crop` fills with 0 the same way).
    public func cropped(x: Int, y: Int, width: Int, height: Int, fill: UInt8 = 0) -> Image {
        precondition(width >= 0 && height >= 0, "crop size \(width)x\(height) is negative")
        var result = Image(width: width, height: height, channels: channels, fill: fill)
        let c = channels
        let columnStart = max(x, 0), columnEnd = min(x + width, self.width)
        guard columnStart < columnEnd else { return result }
        let span = (columnEnd - columnStart) * c
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { target in
                for row in max(y, 0)..<max(max(y, 0), min(y + height, self.height)) {
                    let from = source.baseAddress! + (row * self.width + columnStart) * c
                    let to = target.baseAddress! + ((row - y) * width + (columnStart - x)) * c
                    to.update(from: from, count: span)
                }
            }
        }
        return result
    }

    /// The image with borders of `value` added on each side.
    public func padded(top: Int, left: Int, bottom: Int, right: Int, value: UInt8 = 0) -> Image {
        precondition(top >= 0 && left >= 0 && bottom >= 0 && right >= 0, "padding must not be negative")
        return cropped(x: -left, y: -top, width: width + left + right, height: height + top + bottom, fill: value)
    }

    /// Mirror image, left and right swapped.
    public func flippedHorizontally() -> Image {
        remapped(width: width, height: height) { x, y in (width - 1 - x, y) }
    }

    /// Upside down, top and bottom rows swapped.
    public func flippedVertically() -> Image {
        remapped(width: width, height: height) { x, y in (x, height - 1 - y) }
    }

    public func rotated180() -> Image {
        remapped(width: width, height: height) { x, y in (width - 1 - x, height - 1 - y) }
    }

    /// Turned a quarter clockwise (Pillow's `Transpose.ROTATE_270`).
    public func rotatedClockwise() -> Image {
        remapped(width: height, height: width) { x, y in (y, height - 1 - x) }
    }

    /// Turned a quarter counter-clockwise (Pillow's `Transpose.ROTATE_90`).
    public func rotatedCounterClockwise() -> Image {
        remapped(width: height, height: width) { x, y in (width - 1 - y, x) }
    }

    /// Mirrored across the main diagonal: rows become columns.
    public func transposed() -> Image {
        remapped(width: height, height: width) { x, y in (y, x) }
    }

    /// Mirrored across the anti-diagonal.
    public func transversed() -> Image {
        remapped(width: height, height: width) { x, y in (width - 1 - y, height - 1 - x) }
    }

    /// A new image of the given size whose pixel (x, y) is this image's pixel `source(x, y)`.
    private func remapped(width newWidth: Int, height newHeight: Int,
                          _ source: (Int, Int) -> (Int, Int)) -> Image {
        var result = Image(width: newWidth, height: newHeight, channels: channels)
        let c = channels, oldWidth = width
        pixels.withUnsafeBufferPointer { from in
            result.pixels.withUnsafeMutableBufferPointer { to in
                var target = 0
                for y in 0..<newHeight {
                    for x in 0..<newWidth {
                        let (sx, sy) = source(x, y)
                        let start = (sy * oldWidth + sx) * c
                        for k in 0..<c { to[target + k] = from[start + k] }
                        target += c
                    }
                }
            }
        }
        return result
    }
}
