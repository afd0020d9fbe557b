// Int8Convolution: the engine's entry to CFoveaKernels' int8 convolution
// and max pooling (int8_conv.c), for quantized inference of models quantized
// by FoveaExport. The float engine does not use it.
import CFoveaKernels
import Foundation

public struct Int8ConvolutionShape: Sendable, Equatable {
    public var height: Int, width: Int, channels: Int
    public var kernelHeight: Int, kernelWidth: Int, stride: Int
    public var padTop: Int, padLeft: Int
    public var outHeight: Int, outWidth: Int, filters: Int

    public init(height: Int, width: Int, channels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int,
                padTop: Int, padLeft: Int, outHeight: Int, outWidth: Int, filters: Int) {
        (self.height, self.width, self.channels) = (height, width, channels)
        (self.kernelHeight, self.kernelWidth, self.stride) = (kernelHeight, kernelWidth, stride)
        (self.padTop, self.padLeft) = (padTop, padLeft)
        (self.outHeight, self.outWidth, self.filters) = (outHeight, outWidth, filters)
    }

    var geometry: fovea_q8_geometry {
        fovea_q8_geometry(h: height, w: width, c: channels, kh: kernelHeight, kw: kernelWidth, stride: stride,
                          pad_top: padTop, pad_left: padLeft, out_h: outHeight, out_w: outWidth)
    }
}

/// The instruction set of the fast int8 kernel.
public enum Int8KernelISA: Int32, Sendable, CaseIterable {
    case generic = 0, avx2 = 1, avx512VNNI = 2

    /// The best this CPU runs.
    public static var best: Int8KernelISA { Int8KernelISA(rawValue: fovea_q8_best_isa()) ?? .generic }
    /// "avx512-vnni", "avx2" or "generic".
    public var name: String { String(cString: fovea_q8_isa_name(rawValue)) }
}

/// A convolution's (or dense layer's) int8 weights [filters][kh][kw][channels]
/// packed once for the fast kernel; immutable, so calls on any thread share it.
public final class Int8ConvolutionFilters: @unchecked Sendable {
    let packed: OpaquePointer
    /// As given, for the reference fallback.
    let weights: [Int8]
    public let filters: Int, kernelHeight: Int, kernelWidth: Int, channels: Int
    public let isa: Int8KernelISA

    /// `isa` nil: the best this CPU runs; an instruction set the CPU lacks is a precondition failure.
    public init(weights: [Int8], filters: Int, kernelHeight: Int, kernelWidth: Int, channels: Int,
                isa: Int8KernelISA? = nil) {
        precondition(weights.count == filters * kernelHeight * kernelWidth * channels, "Int8ConvolutionFilters: weights size")
        let chosen = isa ?? .best
        precondition(chosen.rawValue <= Int8KernelISA.best.rawValue, "Int8ConvolutionFilters: this CPU has no \(chosen.name)")
        guard let p = weights.withUnsafeBufferPointer({
            fovea_q8_filters_pack($0.baseAddress!, filters, kernelHeight, kernelWidth, channels, chosen.rawValue)
        }) else { fatalError("Int8ConvolutionFilters: out of memory packing \(weights.count) weights") }
        packed = p
        self.weights = weights
        (self.filters, self.kernelHeight, self.kernelWidth, self.channels) = (filters, kernelHeight, kernelWidth, channels)
        self.isa = chosen
    }

    deinit { fovea_q8_filters_free(packed) }
}

public enum Int8Convolution {
    /// y = clamp(round(multiplier[f] · (Σ (x − inputZeroPoint) · w + bias[f])) + outputZeroPoint, range)
    /// for `batch` NHWC images; weights [filters][kh][kw][channels]. Packs
    /// the weights for this call: code that runs a layer repeatedly keeps an
    /// Int8ConvolutionFilters and calls the other `run`.
    public static func run(_ x: [Int8], batch: Int, shape s: Int8ConvolutionShape, inputZeroPoint: Int,
                           weights: [Int8], bias: [Int32], multipliers: [Double], outputZeroPoint: Int,
                           range: ClosedRange<Int>) -> [Int8] {
        let filters = Int8ConvolutionFilters(weights: weights, filters: s.filters, kernelHeight: s.kernelHeight,
                                             kernelWidth: s.kernelWidth, channels: s.channels)
        return run(x, batch: batch, shape: s, inputZeroPoint: inputZeroPoint, filters: filters, bias: bias,
                   multipliers: multipliers, outputZeroPoint: outputZeroPoint, range: range)
    }

    /// The same with packed filters: register tiles of output pixels ×
    /// filters (AVX-512 VNNI, AVX2 or plain C), the output pixels of the
    /// batch split across the engine's threads. The same bytes as `reference`;
    /// parameters the fast layouts cannot hold (zero points or a clamp
    /// outside int8) go to the reference.
    public static func run(_ x: [Int8], batch: Int, shape s: Int8ConvolutionShape, inputZeroPoint: Int,
                           filters: Int8ConvolutionFilters, bias: [Int32], multipliers: [Double], outputZeroPoint: Int,
                           range: ClosedRange<Int>) -> [Int8] {
        precondition(x.count == batch * s.height * s.width * s.channels, "Int8Convolution: input size")
        precondition(filters.filters == s.filters && filters.kernelHeight == s.kernelHeight
                     && filters.kernelWidth == s.kernelWidth && filters.channels == s.channels,
                     "Int8Convolution: filters packed for another shape")
        precondition(bias.count == s.filters && multipliers.count == s.filters, "Int8Convolution: bias or multipliers size")
        let (zpIn, zpOut) = (Int32(clamping: inputZeroPoint), Int32(clamping: outputZeroPoint))
        let (qmin, qmax) = (Int32(clamping: range.lowerBound), Int32(clamping: range.upperBound))
        return withUnsafePointer(to: s.geometry) { g in
            guard zpIn == inputZeroPoint, zpOut == outputZeroPoint, qmin == range.lowerBound, qmax == range.upperBound,
                  fovea_q8_accepts(filters.packed, g, zpIn, zpOut, qmin, qmax) != 0 else {
                return reference(x, batch: batch, shape: s, inputZeroPoint: inputZeroPoint, weights: filters.weights,
                                 bias: bias, multipliers: multipliers, outputZeroPoint: outputZeroPoint, range: range)
            }
            let pixels = batch * s.outHeight * s.outWidth
            var y = [Int8](repeating: 0, count: pixels * s.filters)
            guard pixels > 0 else { return y }
            let padded = UnsafeMutableRawPointer.allocate(byteCount: max(fovea_q8_input_bytes(filters.packed, g, batch), 1),
                                                          alignment: 64)
            defer { padded.deallocate() }
            x.withUnsafeBufferPointer { xb in
                parallelFor(batch, costPerItem: s.height * s.width * s.channels) { images in
                    fovea_q8_prepare_input(filters.packed, g, xb.baseAddress!, zpIn, images.lowerBound, images.upperBound, padded)
                }
            }
            bias.withUnsafeBufferPointer { bb in
                multipliers.withUnsafeBufferPointer { mb in
                    y.withUnsafeMutableBufferPointer { yb in
                        // Pixel ranges write disjoint outputs; one image's pixels split too.
                        parallelFor(pixels, costPerItem: s.filters * s.kernelHeight * s.kernelWidth * s.channels) { range in
                            guard !range.isEmpty else { return }
                            let status = fovea_q8_conv_packed(filters.packed, g, padded, zpIn, bb.baseAddress!, mb.baseAddress!,
                                                              zpOut, qmin, qmax, range.lowerBound, range.upperBound,
                                                              yb.baseAddress!)
                            precondition(status == 0, "Int8Convolution: out of memory")
                        }
                    }
                }
            }
            return y
        }
    }

    /// The plain reference loop (one pixel's patch, then one dot product per
    /// filter), the oracle the fast path is tested against. Images are split
    /// across the engine's threads.
    public static func reference(_ x: [Int8], batch: Int, shape s: Int8ConvolutionShape, inputZeroPoint: Int,
                                 weights: [Int8], bias: [Int32], multipliers: [Double], outputZeroPoint: Int,
                                 range: ClosedRange<Int>) -> [Int8] {
        precondition(x.count == batch * s.height * s.width * s.channels, "Int8Convolution: input size")
        precondition(weights.count == s.filters * s.kernelHeight * s.kernelWidth * s.channels, "Int8Convolution: weights size")
        let inPer = s.height * s.width * s.channels, outPer = s.outHeight * s.outWidth * s.filters
        var y = [Int8](repeating: 0, count: batch * outPer)
        x.withUnsafeBufferPointer { xb in
            weights.withUnsafeBufferPointer { wb in
                bias.withUnsafeBufferPointer { bb in
                    multipliers.withUnsafeBufferPointer { mb in
                        y.withUnsafeMutableBufferPointer { yb in
                            // Images are independent: each range writes its own outputs.
                            parallelFor(batch, costPerItem: outPer * s.kernelHeight * s.kernelWidth * s.channels) { images in
                                guard !images.isEmpty else { return }
                                fovea_q8_conv_reference(xb.baseAddress! + images.lowerBound * inPer, images.count, s.height,
                                                        s.width, s.channels, Int32(inputZeroPoint), wb.baseAddress!,
                                                        bb.baseAddress!, s.kernelHeight, s.kernelWidth, s.stride, s.padTop,
                                                        s.padLeft, s.outHeight, s.outWidth, s.filters, mb.baseAddress!,
                                                        Int32(outputZeroPoint), Int32(range.lowerBound),
                                                        Int32(range.upperBound), yb.baseAddress! + images.lowerBound * outPer)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Int8 max pooling of `batch` NHWC images (window size × size, the
    /// largest in-bounds value of each, -128 where none is): quantization
    /// parameters pass through unchanged. Images are split across the threads.
    public static func maxPool(_ x: [Int8], batch: Int, height: Int, width: Int, channels: Int, size: Int, stride: Int,
                               padTop: Int, padLeft: Int, outHeight: Int, outWidth: Int) -> [Int8] {
        precondition(x.count == batch * height * width * channels, "Int8Convolution.maxPool: input size")
        let inPer = height * width * channels, outPer = outHeight * outWidth * channels
        var y = [Int8](repeating: -128, count: batch * outPer)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                parallelFor(batch, costPerItem: outPer * size * size) { images in
                    guard !images.isEmpty else { return }
                    fovea_q8_maxpool(xb.baseAddress! + images.lowerBound * inPer, images.count, height, width, channels,
                                     size, stride, padTop, padLeft, outHeight, outWidth,
                                     yb.baseAddress! + images.lowerBound * outPer)
                }
            }
        }
        return y
    }
}
