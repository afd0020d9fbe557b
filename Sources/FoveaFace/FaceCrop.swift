// FaceCrop: a square region of an image resampled to the 64x64 grey crop the
// face models take (area averaging, so a large face loses no detail to
// aliasing), and the map from crop pixels back to image pixels.
import FoveaDetection
import FoveaImage
import Foundation

public struct FaceCrop: Sendable {
    /// The square region in image pixels (edges, COCO-style: x, y, side).
    public var x: Double
    public var y: Double
    public var side: Double

    public init(x: Double, y: Double, side: Double) {
        self.x = x
        self.y = y
        self.side = side
    }

    /// The largest centred square of an image (the whole image when square).
    public static func centred(width: Int, height: Int) -> FaceCrop {
        let s = Double(min(width, height))
        return FaceCrop(x: (Double(width) - s) / 2, y: (Double(height) - s) / 2, side: s)
    }

    /// A crop point (pixel centres at 0...63) in image pixels (pixel centres at integers).
    public func toImage(_ px: Float, _ py: Float) -> (Double, Double) {
        let scale = side / Double(FaceCropSet.side)
        return (x + (Double(px) + 0.5) * scale - 0.5, y + (Double(py) + 0.5) * scale - 0.5)
    }

    /// 64x64 grey values of this region of `image` (outside the image: edge pixels repeated).
    public func pixels(of image: Image) -> [UInt8] {
        pixels(ofGray: FaceCrop.luma(image), width: image.width, height: image.height)
    }

    /// The same from grey values already computed, so several faces of one
    /// photo share one luma pass.
    public func pixels(ofGray grey: [UInt8], width: Int, height: Int) -> [UInt8] {
        let n = FaceCropSet.side
        let step = side / Double(n)
        var out = [UInt8](repeating: 0, count: n * n)
        // Sample a few points per output pixel (more when shrinking a lot): area averaging.
        let taps = max(1, min(8, Int(step.rounded(.up))))
        for oy in 0..<n {
            for ox in 0..<n {
                var sum = 0.0
                for ty in 0..<taps {
                    let sy = y + (Double(oy) + (Double(ty) + 0.5) / Double(taps)) * step
                    let iy = min(max(Int(sy.rounded(.down)), 0), height - 1)
                    for tx in 0..<taps {
                        let sx = x + (Double(ox) + (Double(tx) + 0.5) / Double(taps)) * step
                        let ix = min(max(Int(sx.rounded(.down)), 0), width - 1)
                        sum += Double(grey[iy * width + ix])
                    }
                }
                out[oy * n + ox] = UInt8(min(255, max(0, (sum / Double(taps * taps)).rounded())))
            }
        }
        return out
    }

    /// The whole image as a face crop (its centred square).
    public static func gray64(_ image: Image) -> [UInt8] {
        centred(width: image.width, height: image.height).pixels(of: image)
    }

    /// BT.601 luma; alpha composited over white paper.
    static func luma(_ image: Image) -> [UInt8] {
        let c = image.channels
        guard c > 1 else { return image.pixels }
        var out = [UInt8](repeating: 0, count: image.width * image.height)
        for i in 0..<out.count {
            let p = i * c
            var v: Double = c >= 3
                ? 0.299 * Double(image.pixels[p]) + 0.587 * Double(image.pixels[p + 1]) + 0.114 * Double(image.pixels[p + 2])
                : Double(image.pixels[p])
            if c == 2 || c == 4 {
                let a = Double(image.pixels[p + c - 1]) / 255
                v = v * a + 255 * (1 - a)
            }
            out[i] = UInt8(min(255, max(0, v.rounded())))
        }
        return out
    }
}
