// Bilinear resize with half-pixel centres and edge clamping, without
// antialiasing: the convention of OpenCV's INTER_LINEAR, TensorFlow's
// resize(bilinear, half_pixel_centers) and scipy.ndimage.zoom(order=1,
// grid_mode=True, mode="nearest"). Pillow's BILINEAR differs when shrinking
// (it widens the filter to antialias).

extension Image {
    /// The image resampled to `width`x`height`, each sample rounded to the nearest integer.
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "resize target \(newWidth)x\(newHeight) must be positive")
        precondition(width > 0 && height > 0, "cannot resize an empty image")
        let xs = BilinearTaps(source: width, target: newWidth)
        let ys = BilinearTaps(source: height, target: newHeight)
        var result = Image(width: newWidth, height: newHeight, channels: channels)
        let c = channels, rowLength = width * channels
        pixels.withUnsafeBufferPointer { from in
            result.pixels.withUnsafeMutableBufferPointer { to in
                let source = from.baseAddress!
                var target = to.baseAddress!
                for y in 0..<newHeight {
                    let top = source + ys.low[y] * rowLength, bottom = source + ys.high[y] * rowLength
                    let fy = ys.fraction[y]
                    for x in 0..<newWidth {
                        let left = xs.low[x] * c, right = xs.high[x] * c, fx = xs.fraction[x]
                        for k in 0..<c {
                            let upper = Float(top[left + k]) + (Float(top[right + k]) - Float(top[left + k])) * fx
                            let lower = Float(bottom[left + k]) + (Float(bottom[right + k]) - Float(bottom[left + k])) * fx
                            let value = upper + (lower - upper) * fy
                            target[k] = UInt8(min(max(value + 0.5, 0), 255))
                        }
                        target += c
                    }
                }
            }
        }
        return result
    }
}

/// For each target index: the two source indices to blend and the weight of the second.
struct BilinearTaps {
    var low: [Int]
    var high: [Int]
    var fraction: [Float]

    init(source: Int, target: Int) {
        let scale = Double(source) / Double(target)
        low = []; high = []; fraction = []
        low.reserveCapacity(target); high.reserveCapacity(target); fraction.reserveCapacity(target)
        for i in 0..<target {
            let position = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(source - 1))
            let base = Int(position)
            low.append(base)
            high.append(min(base + 1, source - 1))
            fraction.append(Float(position - Double(base)))
        }
    }
}
