// Int8Convolution: the engine's entry to CFoveaKernels' int8 convolution
// (int8_conv.c), for quantized inference of models quantized by FoveaExport.
// The float engine does not use it.
import CFoveaKernels
import Foundation

public struct Int8ConvolutionShape: Sendable {
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
}

public enum Int8Convolution {
    /// y = clamp(round(multiplier[f] · (Σ (x − inputZeroPoint) · w + bias[f])) + outputZeroPoint, range)
    /// for `batch` NHWC images; weights [filters][kh][kw][channels]. Images
    /// are split across the engine's threads.
    public static func run(_ x: [Int8], batch: Int, shape s: Int8ConvolutionShape, inputZeroPoint: Int,
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
                                fovea_q8_conv(xb.baseAddress! + images.lowerBound * inPer, images.count, s.height, s.width,
                                              s.channels, Int32(inputZeroPoint), wb.baseAddress!, bb.baseAddress!,
                                              s.kernelHeight, s.kernelWidth, s.stride, s.padTop, s.padLeft, s.outHeight,
                                              s.outWidth, s.filters, mb.baseAddress!, Int32(outputZeroPoint),
                                              Int32(range.lowerBound), Int32(range.upperBound),
                                              yb.baseAddress! + images.lowerBound * outPer)
                            }
                        }
                    }
                }
            }
        }
        return y
    }
}
