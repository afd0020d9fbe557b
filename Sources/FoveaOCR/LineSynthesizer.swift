// LineSynthesizer: handwritten text-line images composed from EMNIST
// characters the way people photograph handwriting (either polarity, uneven
// light, noise, blur, JPEG artefacts, grey or colour), with each character's
// tight ink box and label. Deterministic: line k of a seed is always the same.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public struct LineSynthesisOptions: Sendable {
    /// Ink height of a character in pixels (EMNIST's 20-pixel ink box, scaled).
    public var characterHeight: ClosedRange<Float> = 16...64
    public var charactersPerLine: ClosedRange<Int> = 3...14
    /// Draw classes uniformly over the mapping (true) or follow the source's counts.
    public var uniformClasses = true
    public var seed: UInt64 = 1

    public init() {}
}

public struct SynthesizedCharacter: Sendable {
    /// Tight ink box in the line image's pixels (COCO: top-left corner, size).
    public var box: Box
    public var classIndex: Int
    public var label: String
}

public struct SynthesizedLine: Sendable {
    public var image: Image
    /// Labels in reading order, a space at each word gap.
    public var text: String
    public var characters: [SynthesizedCharacter]
}

public enum LineSynthesisError: Error, CustomStringConvertible {
    case noCharacters(String)

    public var description: String {
        switch self {
        case .noCharacters(let why): return "cannot synthesise text lines: \(why)"
        }
    }
}

public struct LineSynthesizer: Sendable {
    public let data: EMNISTDataset
    public let mapping: LabelMapping
    public let options: LineSynthesisOptions
    private let byClass: [[Int]]
    /// Each source image's ink box (x0, y0, x1, y1 exclusive), upright pixels.
    private let inkBoxes: [(Int, Int, Int, Int)?]

    public init(data: EMNISTDataset, mapping: LabelMapping, options: LineSynthesisOptions = LineSynthesisOptions()) throws {
        guard data.count > 0, data.images.width == 28, data.images.height == 28 else {
            throw LineSynthesisError.noCharacters("expected 28x28 EMNIST images, got \(data.count) of \(data.images.width)x\(data.images.height)")
        }
        var classes = [[Int]](repeating: [], count: mapping.count)
        var boxes = [(Int, Int, Int, Int)?]()
        boxes.reserveCapacity(data.count)
        for i in 0..<data.count {
            let box = Self.inkBox(data.images.image(i))
            boxes.append(box)
            if box != nil, data.labels[i] < mapping.count { classes[data.labels[i]].append(i) }
        }
        guard classes.contains(where: { !$0.isEmpty }) else {
            throw LineSynthesisError.noCharacters("no image has ink")
        }
        self.data = data
        self.mapping = mapping
        self.options = options
        self.byClass = classes
        self.inkBoxes = boxes
    }

    private static func inkBox(_ pixels: ArraySlice<UInt8>) -> (Int, Int, Int, Int)? {
        var x0 = 28, y0 = 28, x1 = -1, y1 = -1
        let base = pixels.startIndex
        for y in 0..<28 {
            for x in 0..<28 where pixels[base + y * 28 + x] > 64 {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        return x1 < 0 ? nil : (x0, y0, x1 + 1, y1 + 1)
    }

    /// A 2-D affine map p' = A p + t.
    private struct Affine {
        var a, b, c, d, tx, ty: Float
        func apply(_ x: Float, _ y: Float) -> (Float, Float) { (a * x + b * y + tx, c * x + d * y + ty) }
        var inverse: Affine {
            let det = a * d - b * c
            let ia = d / det, ib = -b / det, ic = -c / det, id = a / det
            return Affine(a: ia, b: ib, c: ic, d: id, tx: -(ia * tx + ib * ty), ty: -(ic * tx + id * ty))
        }
    }

    private func pickSource(_ rng: inout SplitMix64) -> Int {
        if options.uniformClasses {
            while true {
                let cls = byClass[Int(rng.next() % UInt64(byClass.count))]
                if !cls.isEmpty { return cls[Int(rng.next() % UInt64(cls.count))] }
            }
        }
        while true {
            let i = Int(rng.next() % UInt64(data.count))
            if inkBoxes[i] != nil && data.labels[i] < mapping.count { return i }
        }
    }

    /// Line number `index` of this synthesiser's seed.
    public func line(_ index: Int) -> SynthesizedLine {
        var rng = SplitMix64(seed: options.seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        let h = rng.uniform(options.characterHeight.lowerBound, options.characterHeight.upperBound + 0.001)
        let n = options.charactersPerLine.lowerBound
            + Int(rng.next() % UInt64(options.charactersPerLine.count))
        let slant = rng.uniform(-0.25, 0.25)
        let rotation = rng.uniform(-3, 3) * Float.pi / 180
        let (cr, sr) = (cos(rotation), sin(rotation))

        // Lay out the characters along a straight baseline, then rotate the line.
        struct Placed { var source: Int; var map: Affine; var wordStart: Bool }
        var placed = [Placed]()
        var cursor: Float = 0
        var wordLeft = 1 + Int(rng.next() % 6)
        for k in 0..<n {
            let source = pickSource(&rng)
            let (x0, y0, x1, y1) = inkBoxes[source]!
            let scale = h / 20 * rng.uniform(0.88, 1.12)
            let shear = slant + rng.uniform(-0.06, 0.06)
            var wordStart = false
            if k > 0 {
                if wordLeft == 0 {
                    cursor += h * rng.uniform(0.6, 1.2)
                    wordLeft = 1 + Int(rng.next() % 6)
                    wordStart = true
                } else {
                    cursor += h * rng.uniform(-0.1, 0.3)
                }
            }
            wordLeft -= 1
            let inkW = Float(x1 - x0) * scale, inkH = Float(y1 - y0) * scale
            let cx = cursor + inkW / 2
            let cy = h * rng.uniform(-0.07, 0.07) + (inkH - h) * 0.1
            // Source ink centre → line point (cx, cy), scaled and sheared.
            let scx = Float(x0 + x1) / 2, scy = Float(y0 + y1) / 2
            let a = scale, b = -shear * scale, d = scale
            placed.append(Placed(source: source, map: Affine(a: a, b: b, c: 0, d: d, tx: cx - a * scx - b * scy, ty: cy - d * scy),
                                 wordStart: wordStart))
            cursor += inkW
        }
        for i in placed.indices {
            let m = placed[i].map
            placed[i].map = Affine(a: cr * m.a - sr * m.c, b: cr * m.b - sr * m.d, c: sr * m.a + cr * m.c,
                                   d: sr * m.b + cr * m.d, tx: cr * m.tx - sr * m.ty, ty: sr * m.tx + cr * m.ty)
        }
        // Bounds of every character's cell, then margins.
        var minX = Float.infinity, minY = Float.infinity, maxX = -Float.infinity, maxY = -Float.infinity
        for p in placed {
            for (u, v) in [(0, 0), (28, 0), (0, 28), (28, 28)] as [(Float, Float)] {
                let (x, y) = p.map.apply(u, v)
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        let cellPad = (maxY - minY - h) / 2
        let left = h * rng.uniform(0.15, 0.9), right = h * rng.uniform(0.15, 0.9)
        let vertical = max(0, h * rng.uniform(1.3, 1.9) - h) / 2
        let top = vertical - cellPad + h * rng.uniform(-0.1, 0.1), bottom = vertical - cellPad
        let width = max(8, Int((maxX - minX + left + right).rounded(.up)))
        let height = max(8, Int((maxY - minY + top + bottom).rounded(.up)))
        let shiftX = left - minX, shiftY = top - minY

        var coverage = [Float](repeating: 0, count: width * height)
        var characters = [SynthesizedCharacter]()
        var text = ""
        for p in placed {
            var m = p.map
            m.tx += shiftX; m.ty += shiftY
            let inv = m.inverse
            let pixels = data.images.image(p.source)
            let base = pixels.startIndex
            var bx0 = width, by0 = height, bx1 = -1, by1 = -1
            var lo = (Float.infinity, Float.infinity), hi = (-Float.infinity, -Float.infinity)
            for (u, v) in [(0, 0), (28, 0), (0, 28), (28, 28)] as [(Float, Float)] {
                let (x, y) = m.apply(u, v)
                lo = (min(lo.0, x), min(lo.1, y)); hi = (max(hi.0, x), max(hi.1, y))
            }
            let xs = max(0, Int(lo.0.rounded(.down)))...min(width - 1, Int(hi.0.rounded(.up)))
            let ys = max(0, Int(lo.1.rounded(.down)))...min(height - 1, Int(hi.1.rounded(.up)))
            guard !xs.isEmpty, !ys.isEmpty else { continue }
            for y in ys {
                for x in xs {
                    let (u, v) = inv.apply(Float(x) + 0.5, Float(y) + 0.5)
                    let value = Self.bilinear(pixels, base: base, u - 0.5, v - 0.5)
                    guard value > 0 else { continue }
                    let i = y * width + x
                    coverage[i] = max(coverage[i], value)
                    if value > 0.3 { bx0 = min(bx0, x); bx1 = max(bx1, x); by0 = min(by0, y); by1 = max(by1, y) }
                }
            }
            guard bx1 >= 0 else { continue }
            let label = mapping.label(data.labels[p.source])
            if p.wordStart && !text.isEmpty { text += " " }
            text += label
            characters.append(SynthesizedCharacter(
                box: Box(x: Double(bx0), y: Double(by0), width: Double(bx1 - bx0 + 1), height: Double(by1 - by0 + 1)),
                classIndex: data.labels[p.source], label: label))
        }
        let image = render(coverage: coverage, width: width, height: height, rng: &rng)
        return SynthesizedLine(image: image, text: text, characters: characters)
    }

    private static func bilinear(_ p: ArraySlice<UInt8>, base: Int, _ u: Float, _ v: Float) -> Float {
        let x0 = Int(u.rounded(.down)), y0 = Int(v.rounded(.down))
        guard x0 >= -1, y0 >= -1, x0 < 28, y0 < 28 else { return 0 }
        let fx = u - Float(x0), fy = v - Float(y0)
        func at(_ x: Int, _ y: Int) -> Float {
            (x >= 0 && y >= 0 && x < 28 && y < 28) ? Float(p[base + y * 28 + x]) / 255 : 0
        }
        let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
        let bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }

    /// Paper and ink colours, light falling unevenly, blur, noise, JPEG.
    private func render(coverage: [Float], width: Int, height: Int, rng: inout SplitMix64) -> Image {
        let inverted = rng.nextUnitFloat() < 0.25
        var paper = rng.uniform(0.62, 1.0), ink = rng.uniform(0.0, 0.42)
        if inverted { (paper, ink) = (1 - paper, 1 - ink) }
        let colour = rng.nextUnitFloat() < 0.5
        let channels = colour ? 3 : 1
        let paperTint = (0..<3).map { _ in colour ? rng.uniform(-0.08, 0.08) : 0 }
        let inkTint = (0..<3).map { _ in colour ? rng.uniform(-0.15, 0.15) : 0 }
        let gx = rng.uniform(-0.45, 0.45), gy = rng.uniform(-0.25, 0.25)
        let noise = rng.uniform(0, 0.05)
        var cov = coverage
        if rng.nextUnitFloat() < 0.4 { cov = Self.boxBlur(cov, width: width, height: height) }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            let light = 1 + gy * (Float(y) / Float(height) - 0.5)
            for x in 0..<width {
                let l = light + gx * (Float(x) / Float(width) - 0.5)
                let c = cov[y * width + x]
                for ch in 0..<channels {
                    let base = (paper + paperTint[ch]) + ((ink + inkTint[ch]) - (paper + paperTint[ch])) * c
                    let noisy = base * l + noise * (rng.nextUnitFloat() + rng.nextUnitFloat() - 1) * 1.7
                    pixels[(y * width + x) * channels + ch] = UInt8(max(0, min(255, (noisy * 255).rounded())))
                }
            }
        }
        var image = Image(width: width, height: height, channels: channels, pixels: pixels)
        if rng.nextUnitFloat() < 0.5 {
            let quality = 30 + Int(rng.next() % 61)
            if let bytes = try? image.encoded(as: .jpeg, quality: quality), let decoded = try? Image(decoding: bytes, name: "jpeg") {
                image = decoded
            }
        }
        return image
    }

    private static func boxBlur(_ v: [Float], width: Int, height: Int) -> [Float] {
        var out = v
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0, n: Float = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        let xx = x + dx, yy = y + dy
                        if xx >= 0 && yy >= 0 && xx < width && yy < height { sum += v[yy * width + xx]; n += 1 }
                    }
                }
                out[y * width + x] = sum / n
            }
        }
        return out
    }
}
