// Pooling layers: gradients against finite differences and 'same' padding
// semantics (average pooling divides by the count of real cells).

import CFoveaKernels
import XCTest
@testable import FoveaEngine

final class PoolingTests: XCTestCase {
    func testMaxPoolingGradients() throws {
        for (pool, stride, padding) in [(2, 2, Padding.valid), (3, 2, .valid), (2, 2, .same), (3, 2, .same), (2, 1, .same), (2, 3, .valid), (3, 3, .same)] {
            try checkLayerGradients(MaxPooling2D(poolSize: pool, strides: stride, padding: padding, name: "p"),
                                    inputShape: [2, 5, 7, 3], eps: 1e-3, seed: UInt64(pool * 3 + stride))
        }
    }

    func testMaxPoolingGradientsOnVectorChannels() throws {
        // 13 channels: 8- and 4-lane vector paths plus a scalar tail.
        for padding in [Padding.valid, .same] {
            try checkLayerGradients(MaxPooling2D(poolSize: 3, strides: 2, padding: padding, name: "p"),
                                    inputShape: [2, 5, 5, 13], eps: 1e-3, seed: 17)
            // Disjoint windows with uncovered cells (7 = 3·2 + 1 in 'valid').
            try checkLayerGradients(MaxPooling2D(poolSize: 2, padding: padding, name: "p"),
                                    inputShape: [2, 7, 7, 13], eps: 1e-3, seed: 18)
        }
    }

    func testAveragePoolingGradients() throws {
        for (pool, stride, padding) in [(2, 2, Padding.valid), (3, 2, .valid), (2, 2, .same), (3, 2, .same), (3, 1, .same)] {
            try checkLayerGradients(AveragePooling2D(poolSize: pool, strides: stride, padding: padding, name: "p"),
                                    inputShape: [2, 5, 7, 3], seed: UInt64(pool * 3 + stride))
        }
    }

    func testGlobalAveragePoolingGradient() throws {
        try checkLayerGradients(GlobalAveragePooling2D(name: "g"), inputShape: [3, 4, 5, 2])
    }

    /// 3x3 input, pool 2, stride 2, 'same': output 2x2, padding at the
    /// bottom/right only. Hand-computed: windows {1,2,4,5}, {3,6}, {7,8}, {9}.
    func testSamePaddingWindowsByHand() throws {
        let x = Tensor(shape: [1, 3, 3, 1], data: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let avg = AveragePooling2D(poolSize: 2, padding: .same, name: "a")
        XCTAssertEqual(try avg.build(inputShape: [3, 3, 1]), [2, 2, 1])
        XCTAssertEqual(avg.forward(x, training: false).data, [3, 4.5, 7.5, 9])
        let mx = MaxPooling2D(poolSize: 2, padding: .same, name: "m")
        _ = try mx.build(inputShape: [3, 3, 1])
        XCTAssertEqual(mx.forward(x, training: false).data, [5, 6, 8, 9])
    }

    /// The vectorised 2x2 / stride-2 kernels against a naive window loop:
    /// 37 channels (two 16-lane vectors and a tail), odd sizes leaving an
    /// uncovered row and column, and values from a small set so that ties
    /// are common (the first cell in row-major order takes the gradient).
    func testPlain2x2MatchesNaiveWindowsWithTies() throws {
        let (n, h, w, c) = (3, 7, 9, 37)
        let mx = MaxPooling2D(name: "m")
        XCTAssertEqual(try mx.build(inputShape: [h, w, c]), [3, 4, c])
        var rng = SplitMix64(seed: 12)
        let x = Tensor(shape: [n, h, w, c], data: (0..<(n * h * w * c)).map { _ in Float(Int(rng.next() % 4)) })
        let y = mx.forward(x, training: true)
        let g = randomTensor(y.shape, seed: 13)
        let dx = mx.backward(g)
        var expected = [Float](repeating: 0, count: x.count)
        for i in 0..<n { for oy in 0..<3 { for ox in 0..<4 { for ch in 0..<c {
            let cells = [(0, 0), (0, 1), (1, 0), (1, 1)].map { ((i * h + 2 * oy + $0.0) * w + 2 * ox + $0.1) * c + ch }
            let best = cells.map { x.data[$0] }.max()!
            let o = ((i * 3 + oy) * 4 + ox) * c + ch
            XCTAssertEqual(y.data[o], best)
            expected[cells.first { x.data[$0] == best }!] = g.data[o]
        }}}}
        XCTAssertEqual(dx.data, expected)
    }

    func testMaxPoolingRoutesGradientToOneWinnerOnTies() throws {
        let x = Tensor(shape: [1, 2, 2, 1], data: [1, 1, 1, 1])
        let mx = MaxPooling2D(name: "m")
        _ = try mx.build(inputShape: [2, 2, 1])
        _ = mx.forward(x, training: true)
        XCTAssertEqual(mx.backward(Tensor(shape: [1, 1, 1, 1], data: [2])).data, [2, 0, 0, 0])
    }

    /// The index-keeping forward and its scatter (a first Conv2D's training
    /// step keeps the bytes instead of the pooling's input) against the
    /// plain forward and backward kernels: same outputs, same input
    /// gradients, on ties, NaN windows, a 16-lane vector plus a tail, and
    /// odd sizes with uncovered cells.
    func testIndexedPoolingMatchesForwardAndBackward() {
        let (n, h, w, c, oh, ow) = (3, 7, 9, 37, 3, 4)
        var rng = SplitMix64(seed: 31)
        var x = (0..<(n * h * w * c)).map { _ in Float(Int(rng.next() % 4)) }
        x[5] = .nan  // image 0, cell (0, 0), channel 5: a window with a NaN
        let g = (0..<(n * oh * ow * c)).map { _ in rng.uniform(-1, 1) }
        var y = [Float](repeating: 0, count: n * oh * ow * c), yi = y
        var dx = [Float](repeating: 0, count: x.count), ds = [Float](repeating: 9, count: x.count)
        var index = [UInt8](repeating: 9, count: y.count)
        fovea_maxpool2x2_forward(x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(oh), Int32(ow), &y)
        fovea_maxpool2x2_forward_index(x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(oh), Int32(ow), &yi, &index)
        fovea_maxpool2x2_backward(x, y, g, Int32(n), Int32(h), Int32(w), Int32(c), Int32(oh), Int32(ow), &dx)
        fovea_maxpool2x2_scatter(g, index, Int32(n), Int32(h), Int32(w), Int32(c), Int32(oh), Int32(ow), &ds)
        XCTAssertEqual(y.map(\.bitPattern), yi.map(\.bitPattern))
        XCTAssertEqual(dx, ds)
        XCTAssertTrue(index.allSatisfy { $0 <= 4 })
        XCTAssertTrue(index.contains(0) && index.contains(3), "ties and non-ties both occur")
    }
}
