// Int8 convolution (CFoveaKernels' int8_conv.c): zero points, bias,
// per-channel multipliers, rounding half away from zero, clamping, and
// padding at the input zero point, against values worked out by hand; the
// fast path byte for byte against the reference loop on random shapes and
// extreme values, in every instruction set this CPU runs, and its fallback to
// the reference for zero points outside int8; int8 max pooling.
import FoveaEngine
import XCTest

final class Int8ConvolutionTests: XCTestCase {
    func testPointwiseAppliesZeroPointsBiasMultiplierRoundingAndClamp() {
        // (x − 1) · 2 + 3 = 3, 5, 7, 9; × 0.5 = 1.5 … 4.5 → 2, 3, 4, 5 (half away from zero); − 1.
        let shape = Int8ConvolutionShape(height: 2, width: 2, channels: 1, kernelHeight: 1, kernelWidth: 1, stride: 1,
                                         padTop: 0, padLeft: 0, outHeight: 2, outWidth: 2, filters: 2)
        for run in [Int8Convolution.run(_:batch:shape:inputZeroPoint:weights:bias:multipliers:outputZeroPoint:range:),
                    Int8Convolution.reference(_:batch:shape:inputZeroPoint:weights:bias:multipliers:outputZeroPoint:range:)] {
            let y = run([1, 2, 3, 4], 1, shape, 1, [2, -100], [3, 0], [0.5, 1], -1, -128...127)
            // Filter 1: (x − 1) · −100 = 0, −100, −200, −300 → −1, −101, −128 (clamped), −128.
            XCTAssertEqual(y, [1, -1, 2, -101, 3, -128, 4, -128])
        }
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

    /// A small LCG, so a failing case can be replayed from its seed.
    private struct Random {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        mutating func int8(extreme: Bool) -> Int8 {
            extreme && next(3) == 0 ? (next(2) == 0 ? -128 : 127) : Int8(next(256) - 128)
        }
    }

    func testFastPathGivesTheReferenceBytesOnRandomShapesInEveryInstructionSet() {
        let isas = Int8KernelISA.allCases.filter { $0.rawValue <= Int8KernelISA.best.rawValue }
        var random = Random(state: 2026)
        var cases = 0
        for trial in 0..<400 {
            let batch = trial % 4 == 0 ? 1 + random.next(5) : 1 + random.next(2)
            let h = 1 + random.next(9), w = 1 + random.next(9)
            let channels = [1, 2, 3, 4, 5, 7, 16, 31, 32, 33, 64, 65][random.next(12)]
            let kh = [1, 3, 5][random.next(3)], kw = random.next(4) == 0 ? [1, 3, 5][random.next(3)] : kh
            let stride = 1 + random.next(2), same = random.next(2) == 0
            let filters = [1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 64, 70][random.next(12)]
            var (oh, ow, padTop, padLeft) = (0, 0, 0, 0)
            if same {
                (oh, ow) = ((h + stride - 1) / stride, (w + stride - 1) / stride)
                padTop = max((oh - 1) * stride + kh - h, 0) / 2
                padLeft = max((ow - 1) * stride + kw - w, 0) / 2
            } else {
                guard h >= kh, w >= kw else { continue }
                (oh, ow) = ((h - kh) / stride + 1, (w - kw) / stride + 1)
            }
            let shape = Int8ConvolutionShape(height: h, width: w, channels: channels, kernelHeight: kh, kernelWidth: kw,
                                             stride: stride, padTop: padTop, padLeft: padLeft, outHeight: oh,
                                             outWidth: ow, filters: filters)
            // Zero points and values at the ends of int8 a good part of the time.
            let ends = random.next(3) == 0
            let zpIn = [-128, 127, random.next(256) - 128][random.next(3)]
            let zpOut = [-128, 127, random.next(256) - 128][random.next(3)]
            let x = (0..<(batch * h * w * channels)).map { _ in random.int8(extreme: true) }
                .map { ends ? ($0 < 0 ? -128 : 127) : $0 }
            let weights = (0..<(filters * kh * kw * channels)).map { _ in random.int8(extreme: true) }
            let bias = (0..<filters).map { _ in Int32(random.next(200_001) - 100_000) }
            // Multipliers that land on halves (k / 128) as well as arbitrary ones.
            let multipliers = (0..<filters).map { _ in
                random.next(4) == 0 ? Double(random.next(64)) / 128 : Double(random.next(1 << 30)) / Double(1 << 30) / Double(1 + random.next(300))
            }
            let range = random.next(2) == 0 ? -128...127 : max(-128, zpOut)...127
            let expected = Int8Convolution.reference(x, batch: batch, shape: shape, inputZeroPoint: zpIn, weights: weights,
                                                     bias: bias, multipliers: multipliers, outputZeroPoint: zpOut, range: range)
            for isa in isas {
                let packed = Int8ConvolutionFilters(weights: weights, filters: filters, kernelHeight: kh, kernelWidth: kw,
                                                    channels: channels, isa: isa)
                let y = Int8Convolution.run(x, batch: batch, shape: shape, inputZeroPoint: zpIn, filters: packed, bias: bias,
                                            multipliers: multipliers, outputZeroPoint: zpOut, range: range)
                cases += 1
                XCTAssertEqual(y, expected, "\(isa.name), trial \(trial): \(shape), batch \(batch), zero points \(zpIn) / \(zpOut)")
            }
        }
        XCTAssertGreaterThan(cases, 300 * isas.count)
    }

    func testFastPathMatchesTheReferenceOnALargeDenseLayerSplitAcrossThreads() {
        // The EMNIST classifier's first Dense: 3136 inputs, 256 units, a batch of 13 (tiles of 12 and 1).
        var random = Random(state: 7)
        let shape = Int8ConvolutionShape(height: 1, width: 1, channels: 3136, kernelHeight: 1, kernelWidth: 1, stride: 1,
                                         padTop: 0, padLeft: 0, outHeight: 1, outWidth: 1, filters: 256)
        let x = (0..<(13 * 3136)).map { _ in random.int8(extreme: true) }
        let weights = (0..<(256 * 3136)).map { _ in random.int8(extreme: true) }
        let bias = (0..<256).map { _ in Int32(random.next(2_000_001) - 1_000_000) }
        let multipliers = (0..<256).map { _ in Double(1 + random.next(1000)) / 1e7 }
        let threads = Engine.threads
        defer { Engine.setThreads(threads) }
        Engine.setThreads(2)
        let expected = Int8Convolution.reference(x, batch: 13, shape: shape, inputZeroPoint: -3, weights: weights, bias: bias,
                                                 multipliers: multipliers, outputZeroPoint: 5, range: -128...127)
        XCTAssertEqual(Int8Convolution.run(x, batch: 13, shape: shape, inputZeroPoint: -3, weights: weights, bias: bias,
                                           multipliers: multipliers, outputZeroPoint: 5, range: -128...127), expected)
        XCTAssertGreaterThan(Set(expected).count, 100, "outputs spread over the int8 range, not all clamped")
    }

    func testZeroPointsOutsideInt8FallBackToTheReference() {
        // The VNNI layout keeps zp + 128 in a byte: 200 does not fit, so the reference runs.
        let shape = Int8ConvolutionShape(height: 3, width: 3, channels: 2, kernelHeight: 3, kernelWidth: 3, stride: 1,
                                         padTop: 1, padLeft: 1, outHeight: 3, outWidth: 3, filters: 3)
        var random = Random(state: 11)
        let x = (0..<18).map { _ in random.int8(extreme: false) }, weights = (0..<54).map { _ in random.int8(extreme: false) }
        for (zpIn, zpOut) in [(200, 0), (-300, 3), (0, 70_000)] {
            let expected = Int8Convolution.reference(x, batch: 1, shape: shape, inputZeroPoint: zpIn, weights: weights,
                                                     bias: [1, -2, 3], multipliers: [0.01, 0.002, 0.0003],
                                                     outputZeroPoint: zpOut, range: -128...127)
            XCTAssertEqual(Int8Convolution.run(x, batch: 1, shape: shape, inputZeroPoint: zpIn, weights: weights,
                                               bias: [1, -2, 3], multipliers: [0.01, 0.002, 0.0003],
                                               outputZeroPoint: zpOut, range: -128...127), expected, "\(zpIn), \(zpOut)")
        }
    }

    func testMaxPoolTakesTheLargestInBoundsValueOfEachWindow() {
        // 3x3 map, one channel, 2x2 windows stride 2, 'same' (padding right and bottom).
        let x: [Int8] = [1, -5, 3,
                         -128, 2, 9,
                         7, -1, -128]
        let y = Int8Convolution.maxPool(x, batch: 1, height: 3, width: 3, channels: 1, size: 2, stride: 2, padTop: 0,
                                        padLeft: 0, outHeight: 2, outWidth: 2)
        XCTAssertEqual(y, [2, 9, 7, -128])
        var random = Random(state: 3)
        let wide = (0..<(2 * 6 * 6 * 35)).map { _ in random.int8(extreme: true) }
        let pooled = Int8Convolution.maxPool(wide, batch: 2, height: 6, width: 6, channels: 35, size: 3, stride: 2,
                                             padTop: 1, padLeft: 1, outHeight: 3, outWidth: 3)
        for img in 0..<2 { for oy in 0..<3 { for ox in 0..<3 { for ch in 0..<35 {
            var best: Int8 = -128
            for iy in (oy * 2 - 1)...(oy * 2 + 1) where iy >= 0 && iy < 6 {
                for ix in (ox * 2 - 1)...(ox * 2 + 1) where ix >= 0 && ix < 6 {
                    best = max(best, wide[((img * 6 + iy) * 6 + ix) * 35 + ch])
                }
            }
            XCTAssertEqual(pooled[((img * 3 + oy) * 3 + ox) * 35 + ch], best)
        } } } }
    }
}
