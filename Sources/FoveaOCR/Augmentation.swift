// Augmentation: random small affine warps (shift, rotation, scale) and
// optional elastic distortion (Simard et al. 2003) of NHWC image batches, for
// training the character classifier. One bilinear resampling per image,
// parallel over the batch, reproducible from a seed whatever the thread count.
import FoveaEngine
import Foundation

/// One image's warp: the output pixel at p shows the input at
/// centre + R(-rotation) * (p - centre - shift) / scale.
public struct AffineWarp: Sendable, Equatable {
    public var shiftX: Float
    public var shiftY: Float
    /// Radians, counter-clockwise as displayed (y down).
    public var rotation: Float
    public var scale: Float

    public init(shiftX: Float = 0, shiftY: Float = 0, rotation: Float = 0, scale: Float = 1) {
        self.shiftX = shiftX
        self.shiftY = shiftY
        self.rotation = rotation
        self.scale = scale
    }

    public static let identity = AffineWarp()
}

public struct AugmentationOptions: Sendable {
    /// Largest shift in pixels, each axis, uniform in ±maxShift.
    public var maxShift: Float
    /// Largest rotation in degrees, uniform in ±maxRotation.
    public var maxRotation: Float
    public var scaleRange: ClosedRange<Float>
    /// Elastic distortion strength (0 disables it) and the smoothness
    /// (Gaussian sigma, pixels) of its random displacement field; Simard et
    /// al. used alpha 34, sigma 4 on 28x28 digits (about 1.4 px displacements).
    public var elasticAlpha: Float
    public var elasticSigma: Float

    public init(maxShift: Float = 2, maxRotation: Float = 10, scaleRange: ClosedRange<Float> = 0.9...1.1,
                elasticAlpha: Float = 0, elasticSigma: Float = 4) {
        self.maxShift = maxShift
        self.maxRotation = maxRotation
        self.scaleRange = scaleRange
        self.elasticAlpha = elasticAlpha
        self.elasticSigma = elasticSigma
    }
}

/// Applies random warps to successive training batches. A class because it
/// counts the batches it has seen, so every batch gets fresh yet reproducible
/// randomness from the one seed.
public final class Augmenter {
    public let options: AugmentationOptions
    public let seed: UInt64
    private var batches: UInt64 = 0

    public init(options: AugmentationOptions = AugmentationOptions(), seed: UInt64) {
        self.options = options
        self.seed = seed
    }

    /// Warps every image of an NHWC batch in place.
    public func augment(_ batch: inout Tensor) {
        // Each batch, and each image in it, draws from its own stream, so the
        // result does not depend on how the batch is split across threads.
        var seeds = SplitMix64(seed: seed ^ (batches &* 0xA24B_AED4_963E_E407))
        let batchSeed = seeds.next()
        batches += 1
        let shape = batch.shape
        precondition(shape.count == 4, "augmentation expects an NHWC batch, got shape \(shape)")
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let plane = h * w * c
        let options = self.options
        let input = batch.data
        batch.data.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { source in
                nonisolated(unsafe) let out = out, source = source
                // On the engine's workers, which the training step around it
                // keeps spinning (a second pool would compete with them).
                Engine.parallel(n, costPerItem: plane * 16) { range in
                    for i in range {
                        var rng = SplitMix64(seed: batchSeed &+ UInt64(i) &* 0xD1B5_4A32_D192_ED03)
                        let warp = AffineWarp(
                            shiftX: rng.uniform(-options.maxShift, options.maxShift),
                            shiftY: rng.uniform(-options.maxShift, options.maxShift),
                            rotation: rng.uniform(-options.maxRotation, options.maxRotation) * .pi / 180,
                            scale: rng.uniform(options.scaleRange.lowerBound, options.scaleRange.upperBound))
                        let field = options.elasticAlpha > 0
                            ? Self.elasticField(height: h, width: w, alpha: options.elasticAlpha,
                                                sigma: options.elasticSigma, rng: &rng)
                            : nil
                        let src = UnsafeBufferPointer(rebasing: source[(i * plane)..<((i + 1) * plane)])
                        let dst = UnsafeMutableBufferPointer(rebasing: out[(i * plane)..<((i + 1) * plane)])
                        Self.warp(src, into: dst, height: h, width: w, channels: c, warp: warp, displacement: field)
                    }
                }
            }
        }
    }

    /// Resamples one HWC image bilinearly; outside the source is 0 (background).
    /// `displacement` (2·h·w: dx then dy per pixel) is added to the sample points.
    public static func warp(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableBufferPointer<Float>,
                            height h: Int, width w: Int, channels c: Int,
                            warp: AffineWarp, displacement: [Float]? = nil) {
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        let cosA = cos(warp.rotation) / warp.scale, sinA = sin(warp.rotation) / warp.scale
        for y in 0..<h {
            for x in 0..<w {
                let px = Float(x) - cx - warp.shiftX, py = Float(y) - cy - warp.shiftY
                var sx = cosA * px - sinA * py + cx
                var sy = sinA * px + cosA * py + cy
                if let d = displacement {
                    sx += d[y * w + x]
                    sy += d[h * w + y * w + x]
                }
                let x0f = sx.rounded(.down), y0f = sy.rounded(.down)
                let fx = sx - x0f, fy = sy - y0f
                let x0 = Int(x0f), y0 = Int(y0f)
                let w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy
                for ch in 0..<c {
                    var v: Float = 0
                    if y0 >= 0 && y0 < h {
                        if x0 >= 0 && x0 < w { v += w00 * src[(y0 * w + x0) * c + ch] }
                        if x0 + 1 >= 0 && x0 + 1 < w { v += w01 * src[(y0 * w + x0 + 1) * c + ch] }
                    }
                    if y0 + 1 >= 0 && y0 + 1 < h {
                        if x0 >= 0 && x0 < w { v += w10 * src[((y0 + 1) * w + x0) * c + ch] }
                        if x0 + 1 >= 0 && x0 + 1 < w { v += w11 * src[((y0 + 1) * w + x0 + 1) * c + ch] }
                    }
                    dst[(y * w + x) * c + ch] = v
                }
            }
        }
    }

    /// Simard's elastic field: uniform noise in ±1 per pixel and axis,
    /// Gaussian-smoothed, scaled by alpha.
    static func elasticField(height h: Int, width w: Int, alpha: Float, sigma: Float,
                             rng: inout SplitMix64) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        for i in kernel.indices { kernel[i] /= total }
        var field = [Float](repeating: 0, count: 2 * h * w)
        var tmp = [Float](repeating: 0, count: h * w)
        for axis in 0..<2 {
            let noise = (0..<(h * w)).map { _ in rng.uniform(-1, 1) }
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    for k in -radius...radius where x + k >= 0 && x + k < w { s += kernel[k + radius] * noise[y * w + x + k] }
                    tmp[y * w + x] = s
                }
            }
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    for k in -radius...radius where y + k >= 0 && y + k < h { s += kernel[k + radius] * tmp[(y + k) * w + x] }
                    field[axis * h * w + y * w + x] = alpha * s
                }
            }
        }
        return field
    }
}
