// CenterNet heads: boxes encode to targets that decode back to the same
// boxes, decoding keeps only 3x3 peaks above the score and hands overlaps to
// NMS, and the loss's gradient matches finite differences; centre-cell
// (YOLO-style) targets and decoding on a hand-made grid; the class head's
// cross-entropy against a hand computation and its softmax at the peak cell.
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

    // MARK: centre-cell assignment (YOLO-style grid)

    func testCentreCellTargetsMarkOnlyTheCellHoldingEachCentre() {
        let grid = CenterNetGeometry(stride: 8, assignment: .centreCell)
        // Centres (8, 14) → cell (1, 1) at offset (0, 0.75); (27, 20) → cell (3, 2) at (0.375, 0.5).
        let boxes = [Box(x: 2, y: 4, width: 12, height: 20), Box(x: 23, y: 12, width: 8, height: 16)]
        let (fh, fw) = (4, 4)
        let t = grid.targets(boxes: boxes, featureHeight: fh, featureWidth: fw)
        XCTAssertEqual(t.count, fh * fw * 6)
        let heat = stride(from: 0, to: t.count, by: 6).map { t[$0] }
        var expected = [Float](repeating: 0, count: fh * fw)
        expected[1 * fw + 1] = 1
        expected[2 * fw + 3] = 1
        XCTAssertEqual(heat, expected, "no Gaussian around the centres")
        XCTAssertEqual(Array(t[((1 * fw + 1) * 6)..<((1 * fw + 1) * 6 + 6)]), [1, 1.5, 2.5, 0, 0.75, 1])
        XCTAssertEqual(Array(t[((2 * fw + 3) * 6)..<((2 * fw + 3) * 6 + 6)]), [1, 1, 2, 0.375, 0.5, 1])
        // The same boxes with the Gaussian assignment light the neighbours too.
        let gaussian = CenterNetGeometry(stride: 8).targets(boxes: boxes, featureHeight: fh, featureWidth: fw)
        XCTAssertEqual(gaussian[(1 * fw + 2) * 6], Float(exp(-1.0 / (2 * 0.5 * 0.5))), accuracy: 1e-6)
        XCTAssertEqual(t[(1 * fw + 2) * 6], 0)
    }

    func testCentreCellDecodingThresholdsEveryCellWithoutThePeakTest() {
        let (fh, fw) = (2, 6)
        var p = [Float](repeating: -9, count: fh * fw * 5)
        func set(_ x: Int, _ y: Int, logit: Float, dx: Float) {
            let i = (y * fw + x) * 5
            p[i] = logit; p[i + 1] = 1; p[i + 2] = 1; p[i + 3] = dx; p[i + 4] = 0.5
        }
        set(1, 0, logit: 3, dx: 0.5)      // box x 8...16 at stride 8
        set(2, 0, logit: 2, dx: 0.5)      // its neighbour, x 16...24: another character
        set(4, 1, logit: 1, dx: 0.125)    // x 29...37, y 8...16
        set(5, 1, logit: 0.5, dx: -0.875) // the same box as the previous one: a duplicate for NMS
        let grid = CenterNetGeometry(stride: 8, assignment: .centreCell)
        let found = p.withUnsafeBufferPointer { grid.decode($0, featureHeight: fh, featureWidth: fw, minScore: 0.5, nmsIoU: 0.5) }
        XCTAssertEqual(found.map(\.box), [Box(x: 8, y: 0, width: 8, height: 8), Box(x: 16, y: 0, width: 8, height: 8),
                                         Box(x: 29, y: 8, width: 8, height: 8)])
        XCTAssertEqual(found.map(\.score), [3.0, 2, 1].map { 1 / (1 + exp(-$0)) })
        // The Gaussian decoder keeps only 3x3 peaks: the neighbours (2, 0) and (5, 1) go before NMS.
        let peaks = p.withUnsafeBufferPointer {
            CenterNetGeometry(stride: 8).decode($0, featureHeight: fh, featureWidth: fw, minScore: 0.5, nmsIoU: 0.5)
        }
        XCTAssertEqual(peaks.map(\.box), [Box(x: 8, y: 0, width: 8, height: 8), Box(x: 29, y: 8, width: 8, height: 8)])
    }

    // MARK: class head

    func testClassHeadTargetsDecodeToTheSoftmaxAtThePeakCell() {
        let headed = CenterNetGeometry(stride: 4, classes: 3)
        XCTAssertEqual(headed.outputChannels, 8)
        XCTAssertEqual(headed.targetChannelCount, 7)
        let t = headed.targets(boxes: [Box(x: 0, y: 0, width: 8, height: 8), Box(x: 8, y: 0, width: 8, height: 8)],
                               classIndices: [2, -1], featureHeight: 2, featureWidth: 4)
        XCTAssertEqual(t[(1 * 4 + 1) * 7 + 6], 2)
        XCTAssertEqual(t[(1 * 4 + 3) * 7 + 6], -1)
        XCTAssertEqual(t[(0 * 4 + 0) * 7 + 6], 0, "class channel unused off the centres")
        // One peak whose class logits are 0, ln 2, ln 5: softmax 1/8, 2/8, 5/8.
        var p = [Float](repeating: -9, count: 2 * 4 * 8)
        let i = (1 * 4 + 1) * 8
        p[i] = 4; p[i + 1] = 2; p[i + 2] = 2; p[i + 3] = 0.5; p[i + 4] = 0.5
        p[i + 5] = 0; p[i + 6] = Float(log(2.0)); p[i + 7] = Float(log(5.0))
        let found = p.withUnsafeBufferPointer { headed.detections($0, featureHeight: 2, featureWidth: 4, minScore: 0.5, nmsIoU: 0.5) }
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found[0].box, Box(x: 2, y: 2, width: 8, height: 8))
        XCTAssertEqual(found[0].classProbabilities.count, 3)
        for (got, want) in zip(found[0].classProbabilities, [0.125, 0.25, 0.625]) { XCTAssertEqual(Double(got), want, accuracy: 1e-6) }
        // Without a head the probabilities are empty.
        let plain = [Float](repeating: 0, count: 5)
        XCTAssertEqual(plain.withUnsafeBufferPointer { geometry.detections($0, featureHeight: 1, featureWidth: 1, minScore: 0.1, nmsIoU: 0.5) }
            .first?.classProbabilities, [])
    }

    /// The head's loss is the box loss of the first five channels plus
    /// classWeight × the mean cross-entropy, over centres, of the class
    /// logits against the centre's class (skipping class -1), computed by hand.
    func testClassHeadLossIsTheBoxLossPlusCrossEntropyAtCentres() {
        let (fh, fw, classes) = (4, 6, 3)
        let headed = CenterNetGeometry(stride: 4, classes: classes)
        let boxes = [Box(x: 2, y: 3, width: 9, height: 8), Box(x: 13, y: 1, width: 7, height: 12), Box(x: 5, y: 9, width: 4, height: 4)]
        let t = headed.targets(boxes: boxes, classIndices: [1, 2, -1], featureHeight: fh, featureWidth: fw)
        var rng = SplitMix64(seed: 5)
        let pc = 5 + classes
        let pred = (0..<(fh * fw * pc)).map { _ in rng.uniform(-2, 2) }
        let weight: Float = 0.7
        let loss = CenterNetLoss(classes: classes, classWeight: weight)
        let target = Tensor(shape: [1, fh, fw, 7], data: t)
        XCTAssertNoThrow(try loss.validate(target: target, predictionShape: [1, fh, fw, pc]))
        XCTAssertThrowsError(try loss.validate(target: target, predictionShape: [1, fh, fw, 5]))
        let (value, grad) = loss.compute(prediction: Tensor(shape: [1, fh, fw, pc], data: pred), target: target)

        // The box part: the plain loss on channels 0-4 against targets 0-5.
        var boxPred = [Float](), boxTarget = [Float]()
        var crossEntropy = 0.0, centres = 0.0
        for cell in 0..<(fh * fw) {
            boxPred += pred[(cell * pc)..<(cell * pc + 5)]
            boxTarget += t[(cell * 7)..<(cell * 7 + 6)]
            guard t[cell * 7 + 5] > 0 else { continue }
            centres += 1
            let label = Int(t[cell * 7 + 6])
            guard label >= 0 else { continue }
            let logits = (0..<classes).map { Double(pred[cell * pc + 5 + $0]) }
            crossEntropy += -logits[label] + log(logits.map(exp).reduce(0, +))
        }
        XCTAssertEqual(centres, 3)
        let boxLoss = CenterNetLoss().compute(prediction: Tensor(shape: [1, fh, fw, 5], data: boxPred),
                                              target: Tensor(shape: [1, fh, fw, 6], data: boxTarget)).loss
        XCTAssertEqual(Double(value), Double(boxLoss) + Double(weight) * crossEntropy / centres, accuracy: 1e-4)

        // And its gradient against finite differences, every input.
        for i in pred.indices {
            var plus = pred, minus = pred
            plus[i] += 1e-2; minus[i] -= 1e-2
            let lp = loss.compute(prediction: Tensor(shape: [1, fh, fw, pc], data: plus), target: target).loss
            let lm = loss.compute(prediction: Tensor(shape: [1, fh, fw, pc], data: minus), target: target).loss
            XCTAssertEqual(grad.data[i], (lp - lm) / 2e-2, accuracy: 2e-3, "index \(i)")
        }
    }

    func testCentreCellLossIsPlainFocalLossOffTheCentres() {
        // Heat targets exactly 0 off the centre: each negative cell costs -q² log(1 - q).
        let grid = CenterNetGeometry(stride: 4, assignment: .centreCell)
        let t = grid.targets(boxes: [Box(x: 0, y: 0, width: 8, height: 8)], featureHeight: 2, featureWidth: 2)
        let z: [Float] = [1.5, -0.5, 0.25, -2]
        var p = [Float](repeating: 0, count: 4 * 5)
        for k in 0..<4 { p[k * 5] = z[k] }
        p[3 * 5 + 1] = 2; p[3 * 5 + 2] = 2; p[3 * 5 + 3] = 0; p[3 * 5 + 4] = 0   // exact size and offset at the centre cell (1, 1)
        let value = CenterNetLoss().compute(prediction: Tensor(shape: [1, 2, 2, 5], data: p), target: Tensor(shape: [1, 2, 2, 6], data: t)).loss
        func q(_ z: Float) -> Double { 1 / (1 + exp(-Double(z))) }
        var expected = -pow(1 - q(z[3]), 2) * log(q(z[3]))
        for k in 0..<3 { expected += -q(z[k]) * q(z[k]) * log(1 - q(z[k])) }
        XCTAssertEqual(Double(value), expected, accuracy: 1e-5)
    }
}
