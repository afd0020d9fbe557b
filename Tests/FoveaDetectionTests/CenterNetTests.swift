// CenterNet heads: boxes encode to targets that decode back to the same
// boxes, decoding keeps only 3x3 peaks above the score and hands overlaps to
// NMS, and the loss's gradient matches finite differences.
import FoveaDetection
import FoveaEngine
import XCTest

final class CenterNetTests: XCTestCase {
    let geometry = CenterNetGeometry(stride: 4)

    /// A prediction that is exactly the targets: heat logits high at centres, low elsewhere.
    private func perfectPrediction(_ t: [Float], cells: Int) -> [Float] {
        var p = [Float](repeating: 0, count: cells * 5)
        for i in 0..<cells {
            p[i * 5] = t[i * 6 + 5] > 0 ? 6 : -6 + t[i * 6] * 5
            for k in 1...4 { p[i * 5 + k] = t[i * 6 + k] }
        }
        return p
    }

    func testTargetsDecodeBackToTheBoxes() {
        let boxes = [Box(x: 3, y: 5, width: 17, height: 21), Box(x: 22, y: 2, width: 13, height: 26.5),
                     Box(x: 41.25, y: 8, width: 9.5, height: 14)]
        let (fh, fw) = (8, 16)
        let t = geometry.targets(boxes: boxes, featureHeight: fh, featureWidth: fw)
        XCTAssertEqual(t.count, fh * fw * 6)
        XCTAssertEqual(stride(from: 5, to: t.count, by: 6).filter { t[$0] == 1 }.count, 3, "one centre cell per box")
        // The first box's centre (11.5, 15.5) lies in cell (2, 3) at offset (0.875, 0.875), size in cells.
        let c = (3 * fw + 2) * 6
        XCTAssertEqual(Array(t[c..<(c + 6)]), [1, 17.0 / 4, 21.0 / 4, 0.875, 0.875, 1])
        let p = perfectPrediction(t, cells: fh * fw)
        let decoded = p.withUnsafeBufferPointer {
            geometry.decode($0, featureHeight: fh, featureWidth: fw, minScore: 0.5, nmsIoU: 0.7)
        }
        XCTAssertEqual(decoded.count, 3)
        for box in boxes {
            let match = decoded.max { $0.box.iou(box) < $1.box.iou(box) }!
            XCTAssertEqual(match.box.x1, box.x1, accuracy: 1e-4)
            XCTAssertEqual(match.box.y2, box.y2, accuracy: 1e-4)
            XCTAssertEqual(match.score, 1 / (1 + exp(-6)), accuracy: 1e-6)
        }
    }

    func testDecodeKeepsPeaksAboveTheScoreAndSuppressesOverlaps() {
        let (fh, fw) = (3, 6)
        var p = [Float](repeating: -9, count: fh * fw * 5)
        func set(_ x: Int, _ y: Int, logit: Float, w: Float) {
            let i = (y * fw + x) * 5
            p[i] = logit; p[i + 1] = w; p[i + 2] = 2; p[i + 3] = 0.5; p[i + 4] = 0.5
        }
        set(1, 1, logit: 3, w: 2)      // a peak
        set(2, 1, logit: 2, w: 2)      // its neighbour: not a peak
        set(4, 1, logit: 2.5, w: 12)   // a peak whose wide box covers the first one
        set(5, 0, logit: -1, w: 1)     // a peak below the score
        let found = p.withUnsafeBufferPointer { geometry.decode($0, featureHeight: fh, featureWidth: fw, minScore: 0.5, nmsIoU: 0.1) }
        XCTAssertEqual(found.count, 1, "the wide box overlaps the best one and is suppressed")
        XCTAssertEqual(found[0].box, Box(centerX: 6, centerY: 6, width: 8, height: 8))
        let loose = p.withUnsafeBufferPointer { geometry.decode($0, featureHeight: fh, featureWidth: fw, minScore: 0.5, nmsIoU: 0.9) }
        XCTAssertEqual(loose.count, 2)
    }

    func testLossGradientMatchesFiniteDifferences() {
        let (fh, fw) = (4, 6)
        let t = geometry.targets(boxes: [Box(x: 2, y: 3, width: 9, height: 8), Box(x: 13, y: 1, width: 7, height: 12)],
                                 featureHeight: fh, featureWidth: fw)
        var rng = SplitMix64(seed: 3)
        let pred = (0..<(fh * fw * 5)).map { _ in rng.uniform(-2, 2) }
        let loss = CenterNetLoss()
        let target = Tensor(shape: [1, fh, fw, 6], data: t)
        let (_, grad) = loss.compute(prediction: Tensor(shape: [1, fh, fw, 5], data: pred), target: target)
        for i in pred.indices {
            var plus = pred, minus = pred
            plus[i] += 1e-2; minus[i] -= 1e-2
            let lp = loss.compute(prediction: Tensor(shape: [1, fh, fw, 5], data: plus), target: target).loss
            let lm = loss.compute(prediction: Tensor(shape: [1, fh, fw, 5], data: minus), target: target).loss
            XCTAssertEqual(grad.data[i], (lp - lm) / 2e-2, accuracy: 2e-3, "index \(i)")
        }
    }

    func testLossRejectsTargetsOfTheWrongShape() {
        XCTAssertThrowsError(try CenterNetLoss().validate(target: Tensor(shape: [1, 4, 6, 5]), predictionShape: [1, 4, 6, 5]))
        XCTAssertNoThrow(try CenterNetLoss().validate(target: Tensor(shape: [1, 4, 6, 6]), predictionShape: [1, 4, 6, 5]))
    }
}
