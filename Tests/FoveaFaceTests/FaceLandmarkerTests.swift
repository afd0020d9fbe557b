// The landmark model on its own: flip averaging against a hand-worked
// example, the mirrored pixels, the NME of two faces by hand, checkpoint
// selection by validation NME and the model file's metadata read back, the
// heatmap architecture's grid and start, the kind check, and the analyzer
// taking its points from the landmark model.
@testable import FoveaFace
import FoveaEngine
import Foundation
import XCTest

final class FaceLandmarkerTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testFlipAveragingMirrorsBackSwapsSidesAndAverages() {
        // Points read on the crop, in FacePoint order.
        let direct: [Float] = [20, 20, 42, 20, 31, 33, 22, 45, 40, 45, 31, 42, 31, 50, 31, 62, 31, 45, 31, 47]
        // Points read on the mirrored crop, in its own frame: its eye_left
        // (22, 22) is the crop's eye_right at (63 − 22, 22) = (41, 22), and so on.
        let mirrored: [Float] = [22, 22, 44, 18, 30, 35, 24, 45, 42, 47, 32, 42, 33, 52, 32, 60, 32, 45, 30, 49]
        // Worked by hand: eye_left ((20 + 19) / 2, (20 + 18) / 2), eye_right ((42 + 41) / 2, (20 + 22) / 2),
        // nose ((31 + 33) / 2, (33 + 35) / 2), mouth_left ((22 + 21) / 2, (45 + 47) / 2),
        // mouth_right ((40 + 39) / 2, 45), then the middle points with x → 63 − x.
        let expected: [Float] = [19.5, 19, 41.5, 21, 32, 34, 21.5, 46, 39.5, 45, 31, 42, 30.5, 51, 31, 61, 31, 45, 32, 48]
        XCTAssertEqual(FaceLandmarker.flipAverage(direct: direct, mirrored: mirrored), expected)
        // Two faces: each averaged with its own mirror reading.
        let two = FaceLandmarker.flipAverage(direct: direct + mirrored, mirrored: mirrored + direct)
        XCTAssertEqual(Array(two[..<20]), expected)
        XCTAssertEqual(Array(two[20...]), FaceCropSet.mirror(expected), "the second face's answer is the first's, mirrored")
    }

    func testMirroredPixelsFlipEachCropLeftToRight() {
        var pixels = [UInt8](repeating: 0, count: 2 * 64 * 64)
        pixels[5 * 64 + 3] = 200             // crop 0, (x 3, y 5)
        pixels[4096 + 63 * 64 + 63] = 100    // crop 1, (x 63, y 63)
        let m = FaceLandmarker.mirroredPixels(pixels, count: 2)
        XCTAssertEqual(m[5 * 64 + 60], 200)
        XCTAssertEqual(m[4096 + 63 * 64 + 0], 100)
        XCTAssertEqual(m.filter { $0 != 0 }.count, 2)
        XCTAssertEqual(FaceLandmarker.mirroredPixels(m, count: 2), pixels)
    }

    func testNMEOfTwoFacesByHand() {
        // Face A: eyes (10, 10) and (30, 10), IOD 20; every point 3-4-5 off by 5 px → 0.25 each.
        // Face B: eyes (0, 0) and (40, 0), IOD 40; only the chin 8 px off → 0.2 for the chin.
        let a: [Float] = [10, 10, 30, 10] + [Float](repeating: 25, count: 16)
        let pa = a.enumerated().map { $0.offset % 2 == 0 ? $0.element + 3 : $0.element + 4 }
        let b: [Float] = [0, 0, 40, 0] + [Float](repeating: 20, count: 16)
        var pb = b
        pb[15] += 8
        let (per, overall) = FaceMetrics.nme(predicted: [pa, pb], truth: [a, b])
        XCTAssertEqual(per[0], (0.25 + 0) / 2, accuracy: 1e-12)
        XCTAssertEqual(per[7], (0.25 + 0.2) / 2, accuracy: 1e-12)
        XCTAssertEqual(overall, (9 * 0.125 + 0.225) / 10, accuracy: 1e-12)
    }

    /// 48 synthetic crops (24 per label): a dark field with a bright blob at
    /// a face's nose tip; the face moves from crop to crop.
    private func syntheticSet() -> FaceCropSet {
        var rng = SplitMix64(seed: 11)
        let base: [Float] = [22, 24, 42, 24, 32, 36, 24, 46, 40, 46, 32, 43, 32, 51, 32, 60, 32, 46, 32, 48]
        var set = FaceCropSet(files: [], pixels: [], smiles: [], landmarks: [], quality: [])
        for i in 0..<48 {
            let dx = rng.uniform(-4, 4), dy = rng.uniform(-4, 4)
            let points = base.enumerated().map { $0.element + ($0.offset % 2 == 0 ? dx : dy) }
            var pixels = [UInt8](repeating: 20, count: 64 * 64)
            for y in 0..<64 {
                for x in 0..<64 {
                    let d = hypot(Float(x) - points[4], Float(y) - points[5])
                    pixels[y * 64 + x] = UInt8(max(20, 250 - 12 * d))
                }
            }
            set.files.append("s\(i).jpg"); set.pixels += pixels; set.smiles.append(i % 2)
            set.landmarks.append(points); set.quality.append(1)
        }
        return set
    }

    func testTrainingKeepsTheEpochWithTheBestValidationNMEAndRecordsIt() throws {
        let set = syntheticSet()
        var options = LandmarkTrainingOptions()
        options.epochs = 3
        options.batchSize = 16
        options.architecture = .dense
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landmarks-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var epochs = [LandmarkEpoch]()
        let result = try LandmarkTraining.train(set: set, options: options, output: url, onEpoch: { epochs.append($0) })
        XCTAssertEqual(epochs.count, 3)
        XCTAssertEqual(result.history.metrics["val_nme"]?.count, 3)
        let scores = epochs.map { min($0.nme, $0.flipNME) }
        let best = scores.indices.min { scores[$0] < scores[$1] }! + 1
        XCTAssertEqual(result.bestEpoch, best)
        XCTAssertEqual(epochs.filter(\.saved).last?.epoch, best, "the last save is the best epoch")
        XCTAssertTrue(epochs[0].saved, "the first epoch is always saved")

        let kept = try FaceLandmarker(contentsOf: url.path)
        XCTAssertEqual(kept.training["kind"], FaceLandmarker.kind)
        XCTAssertEqual(kept.training["epoch"], String(best))
        let chosen = epochs[best - 1]
        XCTAssertEqual(kept.training["val_nme"], String(format: "%.5f", chosen.nme))
        XCTAssertEqual(kept.training["val_nme_flip"], String(format: "%.5f", chosen.flipNME))
        XCTAssertEqual(kept.flipAveraging, chosen.flipNME <= chosen.nme)
        // The weights read back give the recorded figures again on the validation crops.
        let validation = set.subset(set.split().validation)
        let again = LandmarkTraining.nme(kept, on: validation)
        XCTAssertEqual(again.single.overall, chosen.nme, accuracy: 1e-5)
        XCTAssertEqual(again.flipped.overall, chosen.flipNME, accuracy: 1e-5)
        XCTAssertEqual(result.validation.nme, kept.flipAveraging ? chosen.flipNME : chosen.nme, accuracy: 1e-5)
        // points() honours the recorded choice.
        let direct = kept.predict(validation.pixels, count: validation.count)
        kept.flipAveraging = false
        XCTAssertEqual(kept.points(validation.pixels, count: validation.count), direct)
        kept.flipAveraging = true
        let mirrored = kept.predict(FaceLandmarker.mirroredPixels(validation.pixels, count: validation.count), count: validation.count)
        let averaged = kept.points(validation.pixels, count: validation.count)
        for (p, q) in zip(averaged, FaceLandmarker.flipAverage(direct: direct, mirrored: mirrored)) { XCTAssertEqual(p, q, accuracy: 1e-4) }
    }

    func testHeatmapArchitectureStartsAtTheGridsCentreAndSavesItsGrid() throws {
        let model = try FaceLandmarker.makeModel(meanFace: [Float](repeating: 32, count: 20), architecture: .heatmap)
        let argmax = try XCTUnwrap(model.trunk.layers.compactMap { $0 as? SpatialSoftArgmax }.first)
        XCTAssertEqual(model.trunk.outputShapes[model.trunk.layers.count - 2], [16, 16, 10])
        // Cell centres at crop pixels 4j + 1.5, in the network's units.
        XCTAssertEqual(FaceAnalyzer.decode(argmax.x0), 1.5)
        XCTAssertEqual(FaceAnalyzer.decode(argmax.y0 + 15 * argmax.dy), 61.5)
        // A blank crop gives flat maps: every point at the grid's centre, through the identity head.
        let landmarker = FaceLandmarker(model: model, training: [:])
        for v in landmarker.predict([UInt8](repeating: 0, count: 64 * 64), count: 1) { XCTAssertEqual(v, 31.5, accuracy: 1e-4) }

        var options = LandmarkTrainingOptions()
        options.epochs = 1
        options.batchSize = 16
        options.architecture = .heatmap
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landmarks-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try LandmarkTraining.train(set: syntheticSet(), options: options, output: url)
        let kept = try FaceLandmarker(contentsOf: url.path)
        XCTAssertEqual(kept.training["architecture"], "heatmap")
        let saved = try XCTUnwrap(kept.model.trunk.layers.compactMap { $0 as? SpatialSoftArgmax }.first)
        XCTAssertEqual([saved.x0, saved.dx, saved.y0, saved.dy], [argmax.x0, argmax.dx, argmax.y0, argmax.dy])
    }

    func testAFaceCropModelIsNotALandmarkModel() {
        let path = Self.root.appendingPathComponent("Models/\(FaceAnalyzer.defaultFileName)").path
        XCTAssertThrowsError(try FaceLandmarker(contentsOf: path)) {
            XCTAssertTrue("\($0)".contains("face-landmarks"), "\($0)")
        }
    }

    func testTheAnalyzerTakesItsPointsFromTheLandmarkModel() throws {
        let sample = try FaceCropSet.load(folder: Self.root.appendingPathComponent("Datasets/smiles-sample").path)
        let models = Self.root.appendingPathComponent("Models")
        let joint = try FaceAnalyzer(contentsOf: models.appendingPathComponent(FaceAnalyzer.defaultFileName).path)
        let both = try FaceAnalyzer(contentsOf: models.appendingPathComponent(FaceAnalyzer.defaultFileName).path,
                                    landmarks: models.appendingPathComponent(FaceLandmarker.defaultFileName).path)
        let landmarker = try XCTUnwrap(both.landmarker)
        let a = both.analyze(sample.pixels, count: sample.count), j = joint.analyze(sample.pixels, count: sample.count)
        let points = landmarker.points(sample.pixels, count: sample.count)
        for i in 0..<sample.count {
            XCTAssertEqual(a[i].landmarks.flatMap { [$0.x, $0.y] }, Array(points[(i * 20)..<((i + 1) * 20)]))
            XCTAssertEqual(a[i].smileProbability, j[i].smileProbability, "the smile still comes from the face-crop model")
        }
        let withLandmarkModel = FaceTraining.evaluate(both, on: sample, meanShapeFrom: sample)
        let jointHead = FaceTraining.evaluate(joint, on: sample, meanShapeFrom: sample)
        XCTAssertLessThan(withLandmarkModel.nme, jointHead.nme, "the landmark model beats the joint model's head on the bundled test crops")
    }
}
