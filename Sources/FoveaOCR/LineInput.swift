// LineInput: a text-line image made ready for detection. Ink becomes high
// and paper 0 whatever the polarity, the paper's uneven light is taken out
// band by band, the rows holding ink are found (Otsu), and that band is
// resampled to the detector's fixed height; boxes map back with `toImage`.
import FoveaDetection
import FoveaImage
import Foundation

public enum LineInputError: Error, CustomStringConvertible {
    case tooWide(width: Int, height: Int, limit: Int)

    public var description: String {
        switch self {
        case .tooWide(let w, let h, let limit):
            return "a \(w)x\(h) line is too long for its height: it would be \(limit)+ pixels wide at the detector's scale; split it into shorter lines"
        }
    }
}

public struct LineInput {
    /// Ink-high, paper-0 plane of the whole image at its own resolution.
    var plane: Plane
    /// The detector's input: `height x width` values, ink high.
    public let detectorInput: [Float]
    public let width: Int
    public let height: Int
    /// Image pixels per detector pixel, and the image row of detector row 0.
    public let scale: Double
    public let top: Double
    /// False when no row holds ink: nothing to read.
    public let hasInk: Bool

    public static let maximumWidth = 131_072

    public init(image: Image, height targetHeight: Int, widthMultiple: Int) throws {
        var plane = Plane(grayscaleOf: image)
        plane.makeInkHighAndBackgroundZero()
        plane.flattenBackground()
        plane.stretchContrast()
        self.plane = plane
        height = targetHeight
        guard let (r0, r1) = plane.inkRows() else {
            hasInk = false
            scale = 1
            top = 0
            width = widthMultiple
            detectorInput = [Float](repeating: 0, count: targetHeight * widthMultiple)
            return
        }
        let span = Double(r1 - r0 + 1)
        let pad = span * 0.25
        let top = Double(r0) - pad
        let scale = (span + 2 * pad) / Double(targetHeight)
        let natural = Int((Double(plane.width) / scale).rounded(.up))
        guard natural <= Self.maximumWidth else {
            throw LineInputError.tooWide(width: plane.width, height: plane.height, limit: Self.maximumWidth)
        }
        let width = max(widthMultiple, (natural + widthMultiple - 1) / widthMultiple * widthMultiple)
        hasInk = true
        self.top = top
        self.scale = scale
        self.width = width
        detectorInput = plane.resample(originX: 0, originY: Float(top), stepX: Float(scale), stepY: Float(scale),
                                       width: width, height: targetHeight)
    }

    /// A box in detector pixels, in the image's pixels.
    public func toImage(_ box: Box) -> Box {
        Box(x1: box.x1 * scale, y1: box.y1 * scale + top, x2: box.x2 * scale, y2: box.y2 * scale + top)
    }

    /// A box in the image's pixels, in detector pixels.
    public func toDetector(_ box: Box) -> Box {
        Box(x1: box.x1 / scale, y1: (box.y1 - top) / scale, x2: box.x2 / scale, y2: (box.y2 - top) / scale)
    }

    /// `size x size` EMNIST-framed pixels of the character in `box` (image
    /// pixels): the ink inside the box, its local paper level removed, its
    /// bounding box centred in a square with a 2-pixel border (for size 28).
    func characterPixels(in box: Box, normalizer: CharacterNormalizer) -> [UInt8] {
        let x0 = max(0, Int(box.x1.rounded(.down))), y0 = max(0, Int(box.y1.rounded(.down)))
        let x1 = min(plane.width, Int(box.x2.rounded(.up))), y1 = min(plane.height, Int(box.y2.rounded(.up)))
        let size = normalizer.size
        guard x1 > x0, y1 > y0 else { return [UInt8](repeating: 0, count: size * size) }
        let w = x1 - x0, h = y1 - y0
        var values = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w { values[y * w + x] = plane.values[(y0 + y) * plane.width + x0 + x] }
        }
        // Paper left inside the box (faint light gradients, neighbours' halo).
        let floor = values.kthSmallest(values.count / 5)
        for i in values.indices { values[i] = max(0, values[i] - floor) }
        let crop = Plane(width: w, height: h, values: values)
        guard let ink = crop.inkBoundingBox(threshold: normalizer.inkThreshold) else {
            return [UInt8](repeating: 0, count: size * size)
        }
        let side = Float(max(ink.width, ink.height))
        let inner = Float(size - 2 * normalizer.border)
        let step = side / inner
        let originX = Float(ink.x) + Float(ink.width) / 2 - side / 2 - Float(normalizer.border) * step
        let originY = Float(ink.y) + Float(ink.height) / 2 - side / 2 - Float(normalizer.border) * step
        var out = crop.resample(originX: originX, originY: originY, step: step, size: size)
        let peak = out.max() ?? 0
        guard peak > 0 else { return [UInt8](repeating: 0, count: size * size) }
        for i in out.indices { out[i] /= peak }
        return out.map { UInt8(($0 * 255).rounded()) }
    }
}

extension Plane {
    /// Subtracts the paper level estimated in vertical bands as wide as the
    /// image is tall (the median of each band, interpolated between band
    /// centres), so light falling unevenly along a line leaves paper at 0.
    mutating func flattenBackground() {
        guard width > 0, height > 0 else { return }
        let band = max(8, height)
        let bands = max(1, (width + band - 1) / band)
        var levels = [Float]()
        for b in 0..<bands {
            var v = [Float]()
            for y in 0..<height {
                for x in (b * band)..<min(width, (b + 1) * band) { v.append(values[y * width + x]) }
            }
            levels.append(v.selectKthSmallest(v.count / 2))
        }
        for x in 0..<width {
            let pos = (Float(x) + 0.5) / Float(band) - 0.5
            let i = max(0, min(bands - 1, Int(pos.rounded(.down))))
            let j = min(bands - 1, i + 1)
            let f = max(0, min(1, pos - Float(i)))
            let level = levels[i] * (1 - f) + levels[j] * f
            for y in 0..<height { values[y * width + x] = max(0, values[y * width + x] - level) }
        }
    }

    /// Scales so the ink's typical strength (the 99th percentile) is 1.
    mutating func stretchContrast() {
        guard !values.isEmpty else { return }
        let high = values.kthSmallest(min(values.count - 1, Int(Double(values.count) * 0.99)))
        guard high > 0.02 else { return }
        for i in values.indices { values[i] = min(1, values[i] / high) }
    }

    /// Otsu's threshold of the values (256 bins over 0...1).
    func otsuThreshold() -> Float {
        var histogram = [Double](repeating: 0, count: 256)
        for v in values { histogram[min(255, max(0, Int(v * 255)))] += 1 }
        let total = Double(values.count)
        let sumAll = histogram.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
        var sumBack = 0.0, weightBack = 0.0, best = 0.0, threshold = 0
        for t in 0..<256 {
            weightBack += histogram[t]
            guard weightBack > 0 else { continue }
            let weightFore = total - weightBack
            guard weightFore > 0 else { break }
            sumBack += Double(t) * histogram[t]
            let meanBack = sumBack / weightBack, meanFore = (sumAll - sumBack) / weightFore
            let between = weightBack * weightFore * (meanBack - meanFore) * (meanBack - meanFore)
            if between > best { best = between; threshold = t }
        }
        return (Float(threshold) + 0.5) / 255
    }

    /// First and last row with ink above Otsu's threshold in at least 0.5%
    /// of the columns (and 2 pixels); nil when no row has.
    func inkRows() -> (Int, Int)? {
        let t = max(otsuThreshold(), 0.25)
        let needed = max(2, width / 200)
        var first: Int?, last: Int?
        for y in 0..<height {
            var count = 0
            for x in 0..<width where values[y * width + x] > t { count += 1 }
            if count >= needed {
                if first == nil { first = y }
                last = y
            }
        }
        guard let first, let last else { return nil }
        return (first, last)
    }
}
