// Tests of the augmentation warps against hand-computed pixel moves, and of
// the seeded batch augmenter's reproducibility.
import FoveaEngine
import XCTest
@testable import FoveaOCR

final class AugmentationTests: XCTestCase {
    /// A 29x29 one-channel image (centre pixel 14, 14) with ones at the given (y, x).
    private func dots(_ points: [(Int, Int)]) -> [Float] {
        var image = [Float](repeating: 0, count: 29 * 29)
        for (y, x) in points { image[y * 29 + x] = 1 }
        return image
    }

    private func warped(_ image: [Float], _ warp: AffineWarp) -> [Float] {
        var out = [Float](repeating: -1, count: image.count)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Augmenter.warp(src, into: dst, height: 29, width: 29, channels: 1, warp: warp)
            }
        }
        return out
    }

    func testIdentityWarpReturnsTheImage() {
        let image: [Float] = (0..<(29 * 29)).map { i in Float((i * 37) % 101) / 100 }
        XCTAssertEqual(warped(image, .identity), image)
    }

    func testOnePixelShiftMovesAPixelByOne() {
        let out = warped(dots([(10, 10)]), AffineWarp(shiftX: 1))
        XCTAssertEqual(out, dots([(10, 11)]))
        let down = warped(dots([(10, 10)]), AffineWarp(shiftY: 1))
        XCTAssertEqual(down, dots([(11, 10)]))
        // Half a pixel splits the ink equally between the two neighbours.
        let half = warped(dots([(10, 10)]), AffineWarp(shiftX: 0.5))
        XCTAssertEqual(half[10 * 29 + 10], 0.5, accuracy: 1e-6)
        XCTAssertEqual(half[10 * 29 + 11], 0.5, accuracy: 1e-6)
    }

    func testQuarterTurnAndScaleAboutTheCentre() {
        // 90° counter-clockwise as displayed: 5 px right of centre goes 5 px above it.
        let turned = warped(dots([(14, 19)]), AffineWarp(rotation: .pi / 2))
        XCTAssertEqual(turned[9 * 29 + 14], 1, accuracy: 1e-5)
        XCTAssertEqual(turned.reduce(0, +), 1, accuracy: 1e-5)
        // Scale 2: output 6 px right of centre samples the input 3 px right, output 5 px samples 2.5 px.
        let grown = warped(dots([(14, 17)]), AffineWarp(scale: 2))
        XCTAssertEqual(grown[14 * 29 + 20], 1, accuracy: 1e-6)
        XCTAssertEqual(grown[14 * 29 + 19], 0.5, accuracy: 1e-6)
        XCTAssertEqual(grown[14 * 29 + 21], 0.5, accuracy: 1e-6)
    }

    func testBatchAugmentationIsSeededAndChangesPerBatch() {
        let data: [Float] = (0..<(8 * 28 * 28)).map { i in Float((i * 13) % 17) / 16 }
        func run(seed: UInt64, batches: Int) -> [Float] {
            let augmenter = Augmenter(options: AugmentationOptions(elasticAlpha: 3), seed: seed)
            var batch = Tensor(shape: [8, 28, 28, 1], data: data)
            for _ in 0..<batches {
                batch = Tensor(shape: [8, 28, 28, 1], data: data)
                augmenter.augment(&batch)
            }
            return batch.data
        }
        let a = run(seed: 7, batches: 1)
        XCTAssertEqual(a, run(seed: 7, batches: 1))
        XCTAssertNotEqual(a, run(seed: 8, batches: 1))
        XCTAssertNotEqual(a, run(seed: 7, batches: 2))
        XCTAssertNotEqual(a, data)
        XCTAssertTrue(a.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-6 })
    }

    /// A batch large enough to be split over the engine's worker threads
    /// (Engine.parallel) gives the same images as one thread: each image
    /// draws from its own stream and is warped exactly once.
    func testBatchAugmentationIsTheSameOnOneAndTwoThreads() {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        let data: [Float] = (0..<(64 * 28 * 28)).map { i in Float((i * 13) % 17) / 16 }
        var results: [[Float]] = []
        for threads in [1, 2] {
            Engine.setThreads(threads)
            var batch = Tensor(shape: [64, 28, 28, 1], data: data)
            Augmenter(options: AugmentationOptions(elasticAlpha: 3), seed: 5).augment(&batch)
            results.append(batch.data)
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertNotEqual(results[0], data)
    }

    func testZeroRangesLeaveTheBatchUnchanged() {
        let data: [Float] = (0..<(3 * 28 * 28)).map { i in Float((i * 7) % 11) / 10 }
        var batch = Tensor(shape: [3, 28, 28, 1], data: data)
        Augmenter(options: AugmentationOptions(maxShift: 0, maxRotation: 0, scaleRange: 1...1), seed: 1).augment(&batch)
        XCTAssertEqual(batch.data, data)
    }
}
