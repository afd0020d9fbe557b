// The face pipeline's pieces against hand-computed values: the mirror that
// swaps left and right points, the warp that moves points with the pixels,
// crop-to-image mapping, NME, ROC-AUC, Platt scaling and the threshold; and
// the committed face-crop model on the bundled sample crops (from the test
// split) against the data set's own labels.
@testable import FoveaFace
import FoveaEngine
import FoveaImage
import Foundation
import XCTest

final class FaceModelTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testMirrorSwapsLeftAndRightPoints() {
        let p: [Float] = [10, 20, 50, 21, 30, 35, 15, 48, 47, 49, 31, 45, 32, 58, 33, 70, 31.5, 47, 32.5, 53]
        let m = FaceCropSet.mirror(p)
        XCTAssertEqual(Array(m[0...1]), [63 - 50, 21], "eye_left is the old eye_right, mirrored")
        XCTAssertEqual(Array(m[2...3]), [63 - 10, 20])
        XCTAssertEqual(Array(m[4...5]), [33, 35], "the nose stays the nose")
        XCTAssertEqual(Array(m[6...7]), [63 - 47, 49])
        XCTAssertEqual(Array(m[8...9]), [63 - 15, 48])
        XCTAssertEqual(FaceCropSet.mirror(m), p, "mirroring twice is the identity")
    }

    func testWarpMovesThePointsWithThePixels() {
        var pixels = [UInt8](repeating: 0, count: 64 * 64)
        let points: [Float] = [20, 18, 44, 18, 32, 33, 22, 46, 42, 46, 32, 44, 32, 52, 32, 60, 32, 47, 32, 50]
        // A bright 3x3 dot at the nose tip.
        for dy in -1...1 { for dx in -1...1 { pixels[(33 + dy) * 64 + 32 + dx] = 255 } }
        for seed in 1...5 {
            var rng = SplitMix64(seed: UInt64(seed))
            let (out, moved) = FaceTraining.warp(pixels[...], points: points, rng: &rng)
            // The dot's brightness-weighted centre lands where the nose tip moved.
            var sx: Float = 0, sy: Float = 0, total: Float = 0
            for (i, v) in out.enumerated() where v > 0 {
                sx += Float(i % 64) * Float(v); sy += Float(i / 64) * Float(v); total += Float(v)
            }
            XCTAssertEqual(sx / total, moved![4], accuracy: 0.1)
            XCTAssertEqual(sy / total, moved![5], accuracy: 0.1)
        }
    }

    func testCropPointsMapBackToImagePixels() {
        let crop = FaceCrop(x: 10, y: 20, side: 128)
        let (x0, y0) = crop.toImage(0, 0)
        XCTAssertEqual(x0, 10.5)   // crop pixel 0 covers image pixels 10 and 11: its centre is 10.5
        XCTAssertEqual(y0, 20.5)
        let (x1, y1) = crop.toImage(63, 31.5)
        XCTAssertEqual(x1, 10 + 63.5 * 2 - 0.5)
        XCTAssertEqual(y1, 20 + 32 * 2 - 0.5)
        XCTAssertEqual(FaceCrop.centred(width: 100, height: 60).x, 20)
    }

    func testNormalisedMeanError() {
        // Inter-ocular distance 20; every point 2 px off (one point 4 px): (9 · 0.1 + 0.2) / 10.
        let truth: [Float] = [10, 10, 30, 10] + [Float](repeating: 20, count: 16)
        var predicted = truth.enumerated().map { $0.offset % 2 == 0 ? $0.element + 2 : $0.element }
        predicted[14] += 2
        let (per, overall) = FaceMetrics.nme(predicted: [predicted], truth: [truth])
        XCTAssertEqual(per[0], 0.1, accuracy: 1e-9)
        XCTAssertEqual(per[7], 0.2, accuracy: 1e-9)
        XCTAssertEqual(overall, 0.11, accuracy: 1e-9)
    }

    func testAUCAccuracyPlattAndThreshold() {
        // Pairs (positive, negative) ordered right: 5 of 6, one tie counts half → (5 + 0.5 … ) hand count below.
        let scores = [0.9, 0.8, 0.4, 0.4, 0.3, 0.1]
        let labels = [1, 0, 1, 0, 1, 0]
        // Positives 0.9, 0.4, 0.3; negatives 0.8, 0.4, 0.1. Wins: 0.9 beats 3; 0.4 beats 0.1, ties 0.4; 0.3 beats 0.1.
        XCTAssertEqual(FaceMetrics.auc(scores: scores, labels: labels), (3 + 1.5 + 1) / 9, accuracy: 1e-12)
        XCTAssertEqual(FaceMetrics.accuracy(probabilities: scores, labels: labels, threshold: 0.5), 3.0 / 6)
        // Labels drawn from σ(2z − 1): the fit comes back near (2, −1).
        var rng = SplitMix64(seed: 7)
        var z = [Double](), y = [Int]()
        for _ in 0..<20_000 {
            let v = Double(rng.uniform(-3, 3))
            z.append(v)
            y.append(Double(rng.nextUnitFloat()) < 1 / (1 + exp(-(2 * v - 1))) ? 1 : 0)
        }
        let (a, b) = FaceMetrics.plattFit(logits: z, labels: y)
        XCTAssertEqual(a, 2, accuracy: 0.1)
        XCTAssertEqual(b, -1, accuracy: 0.1)
        let t = FaceMetrics.bestThreshold(probabilities: [0.1, 0.2, 0.6, 0.7], labels: [0, 0, 1, 1])
        XCTAssertTrue(t > 0.2 && t <= 0.6, "\(t)")
    }

    // MARK: the committed model

    private func committed() throws -> FaceAnalyzer {
        try FaceAnalyzer(contentsOf: Self.root.appendingPathComponent("Models/\(FaceAnalyzer.defaultFileName)").path)
    }

    func testCommittedModelOnTheBundledTestCrops() throws {
        let sample = try FaceCropSet.load(folder: Self.root.appendingPathComponent("Datasets/smiles-sample").path)
        XCTAssertEqual(sample.count, 60)
        let analyzer = try committed()
        let e = FaceTraining.evaluate(analyzer, on: sample, meanShapeFrom: sample)
        XCTAssertGreaterThanOrEqual(e.accuracy, 0.8, "smile accuracy against the data set's labels")
        XCTAssertGreaterThanOrEqual(e.auc, 0.85)
        XCTAssertLessThan(e.nme, e.baselineNME * 0.8, "landmarks beat the mean shape")
        XCTAssertTrue(analyzer.threshold > 0 && analyzer.threshold < 1)
    }

    func testGrayRGBAndRGBAInputsScoreAlike() throws {
        let path = Self.root.appendingPathComponent("Datasets/smiles-sample/images").path
        let file = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: path).sorted().first)
        let grey = try Image(contentsOf: "\(path)/\(file)")
        XCTAssertEqual(grey.channels, 1)
        let rgb = Image(width: 64, height: 64, channels: 3, pixels: grey.pixels.flatMap { [$0, $0, $0] })
        let rgba = Image(width: 64, height: 64, channels: 4, pixels: grey.pixels.flatMap { [$0, $0, $0, 255] })
        let pipeline = SmilePipeline(analyzer: try committed(), finder: nil)
        let a = try pipeline.read(grey, faceCrop: true), b = try pipeline.read(rgb, faceCrop: true)
        let c = try pipeline.read(rgba, faceCrop: true)
        XCTAssertEqual(a.faces[0].smileProbability, b.faces[0].smileProbability, accuracy: 1e-6)
        XCTAssertEqual(a.faces[0].smileProbability, c.faces[0].smileProbability, accuracy: 1e-6)
        XCTAssertEqual(a.faces[0].box.width, 64)
        XCTAssertEqual(a.faces[0].score, 1)
    }

    func testAFaceCropTwiceTheSizeGivesPointsTwiceAsFar() throws {
        let path = Self.root.appendingPathComponent("Datasets/smiles-sample/images").path
        let file = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: path).sorted().first)
        let small = try Image(contentsOf: "\(path)/\(file)")
        var big = [UInt8](repeating: 0, count: 128 * 128)
        for y in 0..<128 { for x in 0..<128 { big[y * 128 + x] = small.pixels[(y / 2) * 64 + x / 2] } }
        let pipeline = SmilePipeline(analyzer: try committed(), finder: nil)
        let a = try pipeline.read(small, faceCrop: true).faces[0]
        let b = try pipeline.read(Image(width: 128, height: 128, channels: 1, pixels: big), faceCrop: true).faces[0]
        for (p, q) in zip(a.landmarks, b.landmarks) {
            XCTAssertEqual(q.x, (p.x + 0.5) * 2 - 0.5, accuracy: 0.05)
            XCTAssertEqual(q.y, (p.y + 0.5) * 2 - 0.5, accuracy: 0.05)
        }
        XCTAssertEqual(a.smileProbability, b.smileProbability, accuracy: 1e-5)
    }

    func testTooSmallImagesAndPhotosWithoutADetectorAreClearErrors() throws {
        let pipeline = SmilePipeline(analyzer: try committed(), finder: nil)
        XCTAssertThrowsError(try pipeline.read(Image(width: 1, height: 1, channels: 1, pixels: [9]), faceCrop: true)) {
            XCTAssertTrue("\($0)".contains("too small"), "\($0)")
        }
        XCTAssertThrowsError(try pipeline.read(Image(width: 200, height: 100, channels: 3, fill: 80), faceCrop: false)) {
            XCTAssertTrue("\($0)".contains("--face-crop"), "\($0)")
        }
    }
}
