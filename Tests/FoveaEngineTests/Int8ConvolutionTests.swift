// Int8 convolution (CFoveaKernels' int8_conv.c): zero points, bias,
// per-channel multipliers, rounding half away from zero, clamping, and
// padding at the input zero point, against values worked out by hand.
import FoveaEngine
import XCTest

final class Int8ConvolutionTests: XCTestCase {
    func testPointwiseAppliesZeroPointsBiasMultiplierRoundingAndClamp() {
        // (x − 1) · 2 + 3 = 3, 5, 7, 9; × 0.5 = 1.5 … 4.5 → 2, 3, 4, 5 (half away from zero); − 1.
        let shape = Int8ConvolutionShape(height: 2, width: 2, channels: 1, kernelHeight: 1, kernelWidth: 1, stride: 1,
                                         padTop: 0, padLeft: 0, outHeight: 2, outWidth: 2, filters: 2)
        let y = Int8Convolution.run([1, 2, 3, 4], batch: 1, shape: shape, inputZeroPoint: 1, weights: [2, -100],
                                    bias: [3, 0], multipliers: [0.5, 1], outputZeroPoint: -1, range: -128...127)
        // Filter 1: (x − 1) · −100 = 0, −100, −200, −300 → −1, −101, −128 (clamped), −128.
        XCTAssertEqual(y, [1, -1, 2, -101, 3, -128, 4, -128])
    }

    func testSamePaddingReadsTheInputZeroPointAndReLUClampsAtTheOutputZeroPoint() {
        // 3x3 ones over a 2x2 map of (x − 5) = 1, 2, 3, 4: every window sees all four cells → 10.
        let shape = Int8ConvolutionShape(height: 2, width: 2, channels: 1, kernelHeight: 3, kernelWidth: 3, stride: 1,
                                         padTop: 1, padLeft: 1, outHeight: 2, outWidth: 2, filters: 1)
        let ones = [Int8](repeating: 1, count: 9)
        let y = Int8Convolution.run([6, 7, 8, 9], batch: 1, shape: shape, inputZeroPoint: 5, weights: ones,
                                    bias: [-10], multipliers: [1], outputZeroPoint: 0, range: 0...127)
        XCTAssertEqual(y, [0, 0, 0, 0], "10 − 10 = 0 everywhere")
        let two = Int8Convolution.run([6, 7, 8, 9, 5, 5, 5, 15], batch: 2, shape: shape, inputZeroPoint: 5, weights: ones,
                                      bias: [-12], multipliers: [1], outputZeroPoint: 0, range: 0...127)
        XCTAssertEqual(two, [0, 0, 0, 0, 0, 0, 0, 0], "ReLU range: 10 − 12 and 10 − 12 clamp to 0")
    }
}
