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
        let c = channels, rowLength = width * channels, outRowLength = newWidth * channels
        // Horizontal pass into two cached Float rows (the source rows an output row blends), then a
        // vertical blend; consecutive output rows mostly reuse the cached rows.
        var upper = [Float](repeating: 0, count: outRowLength), lower = upper
        var upperRow = -1, lowerRow = -1
        pixels.withUnsafeBufferPointer { from in
            result.pixels.withUnsafeMutableBufferPointer { to in
                xs.low.withUnsafeBufferPointer { lows in
                    xs.high.withUnsafeBufferPointer { highs in
                        xs.fraction.withUnsafeBufferPointer { fractions in
                            func horizontal(_ row: Int, into buffer: UnsafeMutablePointer<Float>) {
                                let line = from.baseAddress! + row * rowLength
                                var out = buffer
                                for x in 0..<newWidth {
                                    let left = line + lows[x] * c, right = line + highs[x] * c, f = fractions[x]
                                    for k in 0..<c {
                                        let a = Float(left[k])
                                        out[k] = a + (Float(right[k]) - a) * f
                                    }
                                    out += c
                                }
                            }
                            upper.withUnsafeMutableBufferPointer { top in
                                lower.withUnsafeMutableBufferPointer { bottom in
                                    let target = to.baseAddress!
                                    var topRow = top.baseAddress!, bottomRow = bottom.baseAddress!
                                    for y in 0..<newHeight {
                                        let low = ys.low[y], high = ys.high[y], fy = ys.fraction[y]
                                        if low != upperRow {
                                            if low == lowerRow {
                                                swap(&topRow, &bottomRow)
                                                swap(&upperRow, &lowerRow)
                                            } else {
                                                horizontal(low, into: topRow)
                                                upperRow = low
                                            }
                                        }
                                        if high != lowerRow {
                                            horizontal(high, into: bottomRow)
                                            lowerRow = high
                                        }
                                        let out = target + y * outRowLength
                                        for i in 0..<outRowLength {
                                            let value = topRow[i] + (bottomRow[i] - topRow[i]) * fy + 0.5
                                            out[i] = UInt8(min(max(value, 0), 255))
                                        }
                                    }
                                }
                            }
                        }
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
