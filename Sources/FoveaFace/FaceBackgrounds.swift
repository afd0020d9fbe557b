// FaceBackgrounds: the face-free scenery the face detector's synthetic
// photos are painted on. Real photos (a folder of PNG/JPEG files, e.g.
// Datasets/face-backgrounds/train) are cut at a random scale, place and
// flip; procedural textures (gradients, blobs, stripes, noise, boxes) add
// variety the few real photos lack. Everything is grey, 0...255.
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

    /// A `width`x`height` grey background.
    public func draw(width: Int, height: Int, rng: inout SplitMix64) -> [Float] {
        if photos.isEmpty || rng.nextUnitFloat() < proceduralShare {
            return Self.texture(width: width, height: height, rng: &rng)
        }
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
    public static func texture(width: Int, height: Int, rng: inout SplitMix64) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        let base = rng.uniform(20, 235), gx = rng.uniform(-1, 1), gy = rng.uniform(-1, 1)
        let span = rng.uniform(0, 120)
        for y in 0..<height {
            for x in 0..<width {
                out[y * width + x] = base + span * (gx * Float(x) / Float(width) + gy * Float(y) / Float(height) - 0.5 * (gx + gy))
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
}
