// FaceBackgrounds: the face-free scenery the face detector's synthetic
// photos are painted on. Real photos (a folder of PNG/JPEG files, e.g.
// Datasets/face-backgrounds/train) are cut at a random scale, place and
// flip; procedural textures (gradients, blobs, stripes, noise, boxes) add
// variety the few real photos lack, and scene clutter (value noise, lines,
// two-region mosaics, uneven light) more of it. Everything is grey, 0...255.
import FoveaEngine
import FoveaImage
import Foundation

public enum FaceBackgroundsError: Error, CustomStringConvertible {
    case emptyFolder(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyFolder(let f):
            return "\(f): no PNG or JPEG background photos found (make them with Tools/make_face_backgrounds.sh)"
        case .unreadable(let p, let r): return "\(p): cannot read the background (\(r))"
        }
    }
}

public struct FaceBackgrounds: Sendable {
    /// Grey photos.
    public var photos: [Image]
    /// Share of backgrounds drawn procedurally rather than cut from a photo.
    public var proceduralShare: Float = 0.3
    /// Scene clutter: two-region mosaics and uneven light on photos, value
    /// noise and straight lines in textures (off: the plainer first recipe).
    public var clutter = true

    public init(photos: [Image]) { self.photos = photos }

    /// Every PNG and JPEG of `folder`, as grey images, in name order.
    public static func load(folder: String) throws -> FaceBackgrounds {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted() } catch {
            throw FaceBackgroundsError.emptyFolder(folder)
        }
        var photos = [Image]()
        for name in names where ["png", "jpg", "jpeg"].contains(URL(fileURLWithPath: name).pathExtension.lowercased()) {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            do {
                let image = try Image(contentsOf: path)
                photos.append(Image(width: image.width, height: image.height, channels: 1, pixels: FaceCrop.luma(image)))
            } catch {
                throw FaceBackgroundsError.unreadable(path: path, reason: "\(error)")
            }
        }
        guard !photos.isEmpty else { throw FaceBackgroundsError.emptyFolder(folder) }
        return FaceBackgrounds(photos: photos)
    }

    /// A `width`x`height` grey background: a texture, a window of one
    /// photo, or (a quarter of the time) two windows side by side, as a scene
    /// holds regions of different stuff; often under uneven light.
    public func draw(width: Int, height: Int, rng: inout SplitMix64) -> [Float] {
        if photos.isEmpty || rng.nextUnitFloat() < proceduralShare {
            return Self.texture(width: width, height: height, clutter: clutter, rng: &rng)
        }
        var out = window(width: width, height: height, rng: &rng)
        guard clutter else { return out }
        if rng.nextUnitFloat() < 0.25 {
            let other = rng.nextUnitFloat() < 0.5 ? window(width: width, height: height, rng: &rng)
                : Self.texture(width: width, height: height, clutter: true, rng: &rng)
            let vertical = rng.nextUnitFloat() < 0.5
            let cut = rng.uniform(0.2, 0.8), slope = rng.uniform(-0.5, 0.5)
            for y in 0..<height {
                for x in 0..<width {
                    let (a, b) = vertical ? (Float(x) / Float(width), Float(y) / Float(height))
                        : (Float(y) / Float(height), Float(x) / Float(width))
                    if a > cut + slope * (b - 0.5) { out[y * width + x] = other[y * width + x] }
                }
            }
        }
        if rng.nextUnitFloat() < 0.4 {
            let light = Self.valueNoise(width: width, height: height, cell: Float(max(width, height)) / 2, octaves: 2, rng: &rng)
            let depth = rng.uniform(0.2, 0.7)
            for i in out.indices { out[i] *= 1 - depth + depth * 2 * light[i] }
        }
        return out
    }

    /// A window of a random photo at a random scale and place, maybe mirrored, bilinear.
    private func window(width: Int, height: Int, rng: inout SplitMix64) -> [Float] {
        let photo = photos[Int(rng.next() % UInt64(photos.count))]
        // A window of the photo at a random scale (0.4x to 2.5x the output), bilinear.
        let scale = exp(rng.uniform(log(0.4), log(2.5)))
        let ww = min(Float(photo.width), Float(width) / scale), wh = min(Float(photo.height), Float(height) / scale)
        let x0 = rng.uniform(0, max(0, Float(photo.width) - ww)), y0 = rng.uniform(0, max(0, Float(photo.height) - wh))
        let flip = rng.nextUnitFloat() < 0.5
        var out = [Float](repeating: 0, count: width * height)
        let sx = ww / Float(width), sy = wh / Float(height)
        for y in 0..<height {
            let fy = min(max(y0 + (Float(y) + 0.5) * sy - 0.5, 0), Float(photo.height - 1))
            let iy = Int(fy), ty = fy - Float(iy), iy1 = min(iy + 1, photo.height - 1)
            for x in 0..<width {
                let xx = flip ? width - 1 - x : x
                let fx = min(max(x0 + (Float(xx) + 0.5) * sx - 0.5, 0), Float(photo.width - 1))
                let ix = Int(fx), tx = fx - Float(ix), ix1 = min(ix + 1, photo.width - 1)
                let p = photo.pixels, w = photo.width
                let top = Float(p[iy * w + ix]) * (1 - tx) + Float(p[iy * w + ix1]) * tx
                let bottom = Float(p[iy1 * w + ix]) * (1 - tx) + Float(p[iy1 * w + ix1]) * tx
                out[y * width + x] = top * (1 - ty) + bottom * ty
            }
        }
        return out
    }

    /// A procedural texture: a gradient with blobs, stripes, boxes and noise.
    public static func texture(width: Int, height: Int, clutter: Bool = true, rng: inout SplitMix64) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        let base = rng.uniform(20, 235), gx = rng.uniform(-1, 1), gy = rng.uniform(-1, 1)
        let span = rng.uniform(0, 120)
        for y in 0..<height {
            for x in 0..<width {
                out[y * width + x] = base + span * (gx * Float(x) / Float(width) + gy * Float(y) / Float(height) - 0.5 * (gx + gy))
            }
        }
        if clutter && rng.nextUnitFloat() < 0.5 {
            // Clutter at several scales (value noise), like foliage, cloth or stone.
            let cell = exp(rng.uniform(log(3), log(Float(max(width, height)) / 2)))
            let noise = valueNoise(width: width, height: height, cell: cell, octaves: 1 + Int(rng.next() % 4), rng: &rng)
            let amount = rng.uniform(40, 220)
            for i in out.indices { out[i] += amount * (noise[i] - 0.5) }
        }
        let lines = clutter && rng.nextUnitFloat() < 0.4 ? Int(rng.next() % 8) : 0
        for _ in 0..<lines {
            // Straight thick lines: edges of furniture, poles, frames.
            let x0 = rng.uniform(0, Float(width)), y0 = rng.uniform(0, Float(height)), angle = rng.uniform(0, .pi)
            let half = rng.uniform(0.5, 6), value = rng.uniform(0, 255)
            let (nx, ny) = (-sin(angle), cos(angle))
            for y in 0..<height {
                for x in 0..<width where abs((Float(x) - x0) * nx + (Float(y) - y0) * ny) <= half {
                    out[y * width + x] = value
                }
            }
        }
        let shapes = Int(rng.next() % 12)
        for _ in 0..<shapes {
            let kind = rng.next() % 3
            let cx = rng.uniform(0, Float(width)), cy = rng.uniform(0, Float(height))
            let rx = rng.uniform(3, Float(width) / 2), ry = rng.uniform(3, Float(height) / 2)
            let value = rng.uniform(0, 255), alpha = rng.uniform(0.3, 1)
            let period = rng.uniform(3, 24), angle = rng.uniform(0, .pi)
            let (ca, sa) = (cos(angle), sin(angle))
            for y in max(0, Int(cy - ry))..<min(height, Int(cy + ry) + 1) {
                for x in max(0, Int(cx - rx))..<min(width, Int(cx + rx) + 1) {
                    let dx = (Float(x) - cx) / rx, dy = (Float(y) - cy) / ry
                    var inside: Bool
                    var v = value
                    switch kind {
                    case 0: inside = dx * dx + dy * dy <= 1                       // blob
                    case 1: inside = true                                          // box
                    default:                                                      // stripes
                        inside = dx * dx + dy * dy <= 1
                        let t = (Float(x) * ca + Float(y) * sa) / period
                        v = value * (0.5 + 0.5 * sin(2 * .pi * t))
                    }
                    if inside { out[y * width + x] = out[y * width + x] * (1 - alpha) + v * alpha }
                }
            }
        }
        let noise = rng.uniform(0, 20)
        for i in out.indices { out[i] = min(255, max(0, out[i] + noise * (rng.nextUnitFloat() - 0.5))) }
        return out
    }

    /// Smooth random values in 0...1: a grid of random values `cell` pixels
    /// apart, bilinearly interpolated, summed over octaves of halving cells.
    static func valueNoise(width: Int, height: Int, cell: Float, octaves: Int, rng: inout SplitMix64) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        var c = max(cell, 2), amplitude: Float = 1, total: Float = 0
        for _ in 0..<max(1, octaves) {
            let gw = Int(Float(width) / c) + 2, gh = Int(Float(height) / c) + 2
            let grid = (0..<(gw * gh)).map { _ in rng.nextUnitFloat() }
            for y in 0..<height {
                let fy = Float(y) / c, iy = Int(fy), ty = fy - Float(iy)
                for x in 0..<width {
                    let fx = Float(x) / c, ix = Int(fx), tx = fx - Float(ix)
                    let top = grid[iy * gw + ix] * (1 - tx) + grid[iy * gw + ix + 1] * tx
                    let bottom = grid[(iy + 1) * gw + ix] * (1 - tx) + grid[(iy + 1) * gw + ix + 1] * tx
                    out[y * width + x] += amplitude * (top * (1 - ty) + bottom * ty)
                }
            }
            total += amplitude
            amplitude *= 0.5
            c = max(2, c / 2)
        }
        return out.map { $0 / total }
    }
}
