// Colour conversions between gray, gray+alpha, RGB and RGBA.
// Grayscale uses ITU-R 601-2 luma with Pillow's exact fixed-point rounding
// (mode "L"): L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16.

extension Image {
    /// One channel of luma; alpha is dropped (as Pillow's convert("L")).
    public func grayscale() -> Image {
        switch channels {
        case 1: return self
        case 2: return channel(0)
        default:
            var result = Image(width: width, height: height, channels: 1)
            let c = channels, count = width * height
            pixels.withUnsafeBufferPointer { from in
                result.pixels.withUnsafeMutableBufferPointer { to in
                    let source = from.baseAddress!, target = to.baseAddress!
                    for i in 0..<count {
                        let p = source + i * c
                        let luma = UInt32(p[0]) &* 19595 &+ UInt32(p[1]) &* 38470 &+ UInt32(p[2]) &* 7471 &+ 0x8000
                        target[i] = UInt8(truncatingIfNeeded: luma >> 16)
                    }
                }
            }
            return result
        }
    }

    /// Three channels: gray is replicated, alpha is dropped.
    public func rgb() -> Image {
        switch channels {
        case 3: return self
        case 4: return selectingChannels([0, 1, 2])
        default: return selectingChannels([0, 0, 0])
        }
    }

    /// The same colours without the alpha channel (gray+alpha → gray, RGBA → RGB).
    public func removingAlpha() -> Image {
        switch channels {
        case 2: return channel(0)
        case 4: return selectingChannels([0, 1, 2])
        default: return self
        }
    }

    /// One channel as a gray image.
    public func channel(_ index: Int) -> Image {
        precondition((0..<channels).contains(index), "channel \(index) of a \(channels)-channel image")
        return selectingChannels([index])
    }

    private func selectingChannels(_ picks: [Int]) -> Image {
        var result = Image(width: width, height: height, channels: picks.count)
        let c = channels, n = picks.count, count = width * height
        pixels.withUnsafeBufferPointer { from in
            result.pixels.withUnsafeMutableBufferPointer { to in
                for i in 0..<count {
                    for (k, pick) in picks.enumerated() { to[i * n + k] = from[i * c + pick] }
                }
            }
        }
        return result
    }
}
