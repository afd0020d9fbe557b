// FaceComposer: synthetic photos for the face detector. 64x64 face crops are
// pasted into a background at many scales and places (0-4 a picture, some
// crossing its edges), each with its own brightness and contrast and a
// feathered oval edge so no square seam gives it away; the whole picture
// then gets contrast, gamma, blur, noise and JPEG. The truth box of a face
// is the square its crop covered, the framing SmilePipeline crops again.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public struct ComposedPhoto: Sendable {
    public var width: Int
    public var height: Int
    /// Grey values, 0...255.
    public var pixels: [UInt8]
    /// The faces' squares in pixels (may cross the edges; centres are inside).
    public var faces: [Box]
}

public struct FaceComposer: Sendable {
    public var faces: FaceCropSet
    public var backgrounds: FaceBackgrounds
    /// Face square sides, pixels (drawn log-uniform).
    public var minFace: Double = 12
    public var maxFace: Double = 100
    /// Probabilities of 0, 1, 2, 3 and 4 faces.
    public var faceCounts: [Float] = [0.2, 0.35, 0.25, 0.12, 0.08]
    /// Share of pictures with a scrambled face (tiles shuffled): texture without a face.
    public var distractorShare: Float = 0.15

    public init(faces: FaceCropSet, backgrounds: FaceBackgrounds) {
        self.faces = faces
        self.backgrounds = backgrounds
    }

    public func compose(width: Int, height: Int, rng: inout SplitMix64) -> ComposedPhoto {
        var canvas = backgrounds.draw(width: width, height: height, rng: &rng)
        var count = 0
        var u = rng.nextUnitFloat()
        for (k, p) in faceCounts.enumerated() {
            if u < p { count = k; break }
            u -= p
            count = k
        }
        if faces.count == 0 { count = 0 }
        var boxes = [Box]()
        let largest = min(maxFace, Double(min(width, height)) * 1.1)
        for _ in 0..<count {
            for _ in 0..<12 {
                let side = exp(Double(rng.uniform(Float(log(minFace)), Float(log(max(minFace, largest))))))
                // Centres inside the picture; up to 30% of a face may cross an edge.
                let margin = side * 0.2
                let cx = Double(rng.uniform(Float(margin), Float(max(margin + 1, Double(width) - margin))))
                let cy = Double(rng.uniform(Float(margin), Float(max(margin + 1, Double(height) - margin))))
                let box = Box(centerX: cx, centerY: cy, width: side, height: side)
                if boxes.contains(where: { $0.iou(box) > 0.15 || overlapOfSmaller($0, box) > 0.35 }) { continue }
                let index = Int(rng.next() % UInt64(faces.count))
                paste(face: index, into: &canvas, width: width, height: height, box: box, scramble: false, rng: &rng)
                boxes.append(box)
                break
            }
        }
        if faces.count > 0 && rng.nextUnitFloat() < distractorShare {
            let side = exp(Double(rng.uniform(Float(log(minFace)), Float(log(max(minFace, largest))))))
            let box = Box(centerX: Double(rng.uniform(0, Float(width))), centerY: Double(rng.uniform(0, Float(height))),
                          width: side, height: side)
            if !boxes.contains(where: { overlapOfSmaller($0, box) > 0.1 }) {
                paste(face: Int(rng.next() % UInt64(faces.count)), into: &canvas, width: width, height: height, box: box,
                      scramble: true, rng: &rng)
            }
        }
        let pixels = Self.finish(canvas, width: width, height: height, rng: &rng)
        return ComposedPhoto(width: width, height: height, pixels: pixels, faces: boxes)
    }

    private func overlapOfSmaller(_ a: Box, _ b: Box) -> Double {
        let iw = min(a.x2, b.x2) - max(a.x1, b.x1), ih = min(a.y2, b.y2) - max(a.y1, b.y1)
        guard iw > 0, ih > 0 else { return 0 }
        return iw * ih / min(a.area, b.area)
    }

    /// Draws crop `face` over the square `box`: bilinear from the 64x64 crop
    /// (pre-averaged when shrunk a lot), mirrored at random, its own
    /// brightness and contrast, blended through a feathered oval.
    private func paste(face: Int, into canvas: inout [Float], width: Int, height: Int, box: Box, scramble: Bool,
                       rng: inout SplitMix64) {
        let n = FaceCropSet.side
        var crop = faces.pixels[(face * n * n)..<((face + 1) * n * n)].map(Float.init)
        if scramble { crop = Self.scrambled(crop, rng: &rng) }
        // Shrinking below half size: average 2x2 blocks first, as often as needed.
        var cn = n
        while Double(cn) > 2 * box.width && cn >= 16 {
            let h = cn / 2
            var half = [Float](repeating: 0, count: h * h)
            for y in 0..<h {
                for x in 0..<h {
                    half[y * h + x] = (crop[2 * y * cn + 2 * x] + crop[2 * y * cn + 2 * x + 1]
                                       + crop[(2 * y + 1) * cn + 2 * x] + crop[(2 * y + 1) * cn + 2 * x + 1]) / 4
                }
            }
            crop = half
            cn = h
        }
        let mirror = rng.nextUnitFloat() < 0.5
        let contrast = rng.uniform(0.6, 1.4), brightness = rng.uniform(-50, 50)
        let mean = crop.reduce(0, +) / Float(crop.count)
        // Oval: full inside radius `inner`, gone at `outer` (radii in half-sides; corners at 1.41).
        let inner = rng.uniform(0.7, 0.95), outer = inner + rng.uniform(0.1, 0.35)
        let squareness = rng.uniform(2, 4)
        let scale = Double(cn) / box.width
        for y in max(0, Int(box.y1.rounded(.down)))..<min(height, Int(box.y2.rounded(.up))) {
            let v = (Double(y) + 0.5 - box.y1) * scale - 0.5
            let dy = Float((Double(y) + 0.5 - box.centerY) / (box.height / 2))
            for x in max(0, Int(box.x1.rounded(.down)))..<min(width, Int(box.x2.rounded(.up))) {
                let dx = Float((Double(x) + 0.5 - box.centerX) / (box.width / 2))
                let r = pow(pow(abs(dx), squareness) + pow(abs(dy), squareness), 1 / squareness)
                guard r < outer else { continue }
                let t = min(1, max(0, (outer - r) / (outer - inner)))
                let alpha = t * t * (3 - 2 * t)
                var u = (Double(x) + 0.5 - box.x1) * scale - 0.5
                if mirror { u = Double(cn - 1) - u }
                let fu = Float(min(max(u, 0), Double(cn - 1))), fv = Float(min(max(v, 0), Double(cn - 1)))
                let iu = Int(fu), iv = Int(fv), tu = fu - Float(iu), tv = fv - Float(iv)
                let iu1 = min(iu + 1, cn - 1), iv1 = min(iv + 1, cn - 1)
                let s = (crop[iv * cn + iu] * (1 - tu) + crop[iv * cn + iu1] * tu) * (1 - tv)
                    + (crop[iv1 * cn + iu] * (1 - tu) + crop[iv1 * cn + iu1] * tu) * tv
                let value = min(255, max(0, (s - mean) * contrast + mean + brightness))
                canvas[y * width + x] = canvas[y * width + x] * (1 - alpha) + value * alpha
            }
        }
    }

    /// The crop cut in 4x4 tiles, shuffled: a face's texture with no face.
    static func scrambled(_ crop: [Float], rng: inout SplitMix64) -> [Float] {
        let n = FaceCropSet.side, t = n / 4
        let order = rng.permutation(16)
        var out = crop
        for (to, from) in order.enumerated() {
            let (ty, tx) = (to / 4, to % 4), (fy, fx) = (from / 4, from % 4)
            for y in 0..<t {
                for x in 0..<t { out[(ty * t + y) * n + tx * t + x] = crop[(fy * t + y) * n + fx * t + x] }
            }
        }
        return out
    }

    /// Whole-picture jitter: contrast, brightness, gamma, blur, noise, JPEG.
    static func finish(_ canvas: [Float], width: Int, height: Int, rng: inout SplitMix64) -> [UInt8] {
        var v = canvas
        if rng.nextUnitFloat() < 0.35 { v = boxBlur(v, width: width, height: height) }
        if rng.nextUnitFloat() < 0.15 { v = boxBlur(v, width: width, height: height) }
        let contrast = rng.uniform(0.6, 1.3), brightness = rng.uniform(-30, 30)
        let gamma = exp(rng.uniform(log(0.7), log(1.4)))
        let noise = rng.nextUnitFloat() < 0.5 ? rng.uniform(0, 18) : 0
        var out = [UInt8](repeating: 0, count: width * height)
        for i in v.indices {
            var x = min(1, max(0, v[i] / 255))
            x = pow(x, gamma)
            x = (x - 0.5) * contrast + 0.5 + brightness / 255
            let value = x * 255 + noise * (rng.nextUnitFloat() + rng.nextUnitFloat() - 1)
            out[i] = UInt8(min(255, max(0, value.rounded())))
        }
        if rng.nextUnitFloat() < 0.5 {
            let quality = 25 + Int(rng.next() % 66)
            let image = Image(width: width, height: height, channels: 1, pixels: out)
            if let bytes = try? image.encoded(as: .jpeg, quality: quality),
               let back = try? Image(decoding: bytes, name: "jitter.jpg"), back.width == width, back.height == height {
                out = back.pixels
            }
        }
        return out
    }

    /// 3x3 box blur, edges repeated.
    static func boxBlur(_ v: [Float], width: Int, height: Int) -> [Float] {
        var out = v
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                for dy in -1...1 {
                    let yy = min(max(y + dy, 0), height - 1)
                    for dx in -1...1 { s += v[yy * width + min(max(x + dx, 0), width - 1)] }
                }
                out[y * width + x] = s / 9
            }
        }
        return out
    }
}
