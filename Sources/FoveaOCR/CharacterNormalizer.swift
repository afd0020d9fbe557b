// CharacterNormalizer: turns a character picture of any size and polarity
// into a 28x28 EMNIST-style sample, following the recipe EMNIST was made with
// (Cohen et al. 2017, section II-A): ink bounding box, centred in a square
// frame with the aspect ratio kept, a 2-pixel border, downsampled to 28x28,
// intensities stretched to the full range.
import FoveaImage

public enum NormalizationError: Error, CustomStringConvertible {
    case emptyImage(width: Int, height: Int)
    case noInk

    public var description: String {
        switch self {
        case .emptyImage(let w, let h):
            return "the image is \(w)x\(h); expected a character picture at least 1x1"
        case .noInk:
            return "the image is uniform (no ink found); expected a single dark-on-light or light-on-dark character"
        }
    }
}

public struct CharacterNormalizer: Sendable {
    /// Output side (EMNIST: 28).
    public var size: Int
    /// Blank border around the character in the output (EMNIST: 2).
    public var border: Int
    /// Pixels count as ink above this fraction of the strongest ink (after
    /// background removal); keeps faint scanner noise out of the bounding box.
    public var inkThreshold: Float

    public init(size: Int = 28, border: Int = 2, inkThreshold: Float = 0.2) {
        precondition(size > 2 * border, "a \(size)-pixel output cannot hold a \(border)-pixel border")
        self.size = size
        self.border = border
        self.inkThreshold = inkThreshold
    }

    /// `size * size` bytes, upright, ink = high values, background 0 — the
    /// layout of the (transposition-corrected) EMNIST training images.
    public func normalize(_ image: Image) throws -> [UInt8] {
        guard image.width > 0 && image.height > 0 else {
            throw NormalizationError.emptyImage(width: image.width, height: image.height)
        }
        var plane = Plane(grayscaleOf: image)
        plane.makeInkHighAndBackgroundZero()
        guard let box = plane.inkBoundingBox(threshold: inkThreshold) else { throw NormalizationError.noInk }

        // Square frame around the box, then an inner area of size - 2*border for the character.
        let side = Float(max(box.width, box.height))
        let inner = Float(size - 2 * border)
        let scale = side / inner
        let originX = Float(box.x) + Float(box.width) / 2 - side / 2 - Float(border) * scale
        let originY = Float(box.y) + Float(box.height) / 2 - side / 2 - Float(border) * scale
        var out = plane.resample(originX: originX, originY: originY, step: scale, size: size)

        let peak = out.max() ?? 0
        guard peak > 0 else { throw NormalizationError.noInk }
        for i in out.indices { out[i] /= peak }
        return out.map { UInt8(($0 * 255).rounded()) }
    }
}

/// A grey float plane in 0...1, the working form of the normaliser. It does
/// not use FoveaImage's grayscale() and resized(): the first drops alpha (a
/// transparent-background PNG would lose its paper), the second is bilinear
/// without antialiasing, which loses thin strokes when a photo of a character
/// shrinks tenfold; area averaging with a fractional origin keeps the ink and
/// centres the frame to sub-pixel accuracy.
struct Plane {
    var width: Int
    var height: Int
    var values: [Float]

    /// Luma (BT.601) of the colour channels; transparent pixels show the
    /// white paper they would be printed on.
    init(grayscaleOf image: Image) {
        width = image.width
        height = image.height
        values = [Float](repeating: 0, count: width * height)
        let c = image.channels
        for i in 0..<(width * height) {
            let p = i * c
            var grey: Float
            let hasAlpha = c == 2 || c == 4
            if c >= 3 {
                grey = (0.299 * Float(image.pixels[p]) + 0.587 * Float(image.pixels[p + 1])
                        + 0.114 * Float(image.pixels[p + 2])) / 255
            } else {
                grey = Float(image.pixels[p]) / 255
            }
            if hasAlpha {
                let alpha = Float(image.pixels[p + c - 1]) / 255
                grey = grey * alpha + (1 - alpha)
            }
            values[i] = grey
        }
    }

    init(width: Int, height: Int, values: [Float]) {
        self.width = width
        self.height = height
        self.values = values
    }

    /// The background is the median of the outermost pixels: a light one
    /// means dark ink, which is inverted; it is then subtracted so paper is 0.
    mutating func makeInkHighAndBackgroundZero() {
        var edge = [Float]()
        for x in 0..<width {
            edge.append(values[x])
            edge.append(values[(height - 1) * width + x])
        }
        for y in 0..<height {
            edge.append(values[y * width])
            edge.append(values[y * width + width - 1])
        }
        edge.sort()
        var background = edge[edge.count / 2]
        if background > 0.5 {
            for i in values.indices { values[i] = 1 - values[i] }
            background = 1 - background
        }
        for i in values.indices { values[i] = max(0, values[i] - background) }
    }

    /// Smallest rectangle holding every pixel above `threshold` times the peak.
    func inkBoundingBox(threshold: Float) -> (x: Int, y: Int, width: Int, height: Int)? {
        guard let peak = values.max(), peak > 0 else { return nil }
        let cut = peak * threshold
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width where values[y * width + x] > cut {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        return (minX, minY, maxX - minX + 1, maxY - minY + 1)
    }

    /// A `size x size` grid whose pixel (i, j) is the mean of the source
    /// square [origin + j*step, origin + (j+1)*step) in x (likewise y): area
    /// interpolation, exact for downsampling and edge-preserving for
    /// upsampling, so blank margins stay blank. Outside the plane is 0.
    func resample(originX: Float, originY: Float, step: Float, size: Int) -> [Float] {
        resample(originX: originX, originY: originY, stepX: step, stepY: step, width: size, height: size)
    }

    /// The rectangular form: `width x height` cells of `stepX x stepY` source pixels.
    func resample(originX: Float, originY: Float, stepX: Float, stepY: Float, width outW: Int, height outH: Int) -> [Float] {
        var out = [Float](repeating: 0, count: outW * outH)
        // Per output column/row, the source pixels it overlaps and by how much.
        let columns = (0..<outW).map { coverage(from: originX + Float($0) * stepX, length: stepX, limit: width) }
        let rows = (0..<outH).map { coverage(from: originY + Float($0) * stepY, length: stepY, limit: height) }
        let area = stepX * stepY
        for i in 0..<outH {
            for j in 0..<outW {
                var sum: Float = 0
                for (y, wy) in rows[i] {
                    for (x, wx) in columns[j] { sum += values[y * width + x] * wy * wx }
                }
                out[i * outW + j] = sum / area
            }
        }
        return out
    }

    private func coverage(from start: Float, length: Float, limit: Int) -> [(Int, Float)] {
        let end = start + length
        var cells = [(Int, Float)]()
        var index = Int(start.rounded(.down))
        while Float(index) < end {
            let overlap = min(end, Float(index + 1)) - max(start, Float(index))
            if index >= 0 && index < limit && overlap > 0 { cells.append((index, overlap)) }
            index += 1
        }
        return cells
    }
}
