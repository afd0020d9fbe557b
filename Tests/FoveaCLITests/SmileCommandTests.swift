// End-to-end tests of `fovea smile` and `fovea evaluate-faces` with the
// committed face-crop model on the bundled sample crops (test split): the
// JSON Lines contract, labels against the data set's, annotated pictures,
// and bad input (not an image, a 1x1 image, a pixel bomb); whole photos
// through the committed face detector (no face, the astronaut portrait).
import Foundation
import XCTest

final class SmileCommandTests: XCTestCase {
    static let samples = CLI.packageRoot.appendingPathComponent("Datasets/smiles-sample")
    static let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-smile-\(UUID().uuidString)")

    override class func setUp() { try? FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true) }
    override class func tearDown() { try? FileManager.default.removeItem(at: workDir) }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    private func labelled() throws -> [(path: String, smile: Int)] {
        let text = try String(contentsOf: Self.samples.appendingPathComponent("labels.csv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map {
            let parts = $0.split(separator: ",")
            return (Self.samples.appendingPathComponent("images/\(parts[0])").path, Int(parts[1])!)
        }
    }

    func testJSONLinesOnFaceCropsAgreeWithTheLabels() throws {
        let crops = try labelled()
        let r = try CLI.run(["smile", "--face-crop", "--json"] + crops.map(\.path))
        XCTAssertEqual(r.status, 0, r.stderr)
        let objects = try lines(r.stdout)
        XCTAssertEqual(objects.count, crops.count)
        var correct = 0
        for (o, crop) in zip(objects, crops) {
            XCTAssertEqual(Set(o.keys), ["file", "width", "height", "faces", "elapsed_ms"])
            let faces = try XCTUnwrap(o["faces"] as? [[String: Any]])
            XCTAssertEqual(faces.count, 1)
            XCTAssertEqual(Set(faces[0].keys), ["box", "score", "smile", "landmarks"])
            XCTAssertEqual(faces[0]["box"] as? [Double], [0, 0, 64, 64])
            XCTAssertEqual(faces[0]["score"] as? Double, 1)
            let smile = try XCTUnwrap(faces[0]["smile"] as? [String: Any])
            let p = try XCTUnwrap(smile["probability"] as? Double)
            XCTAssertTrue((0...1).contains(p))
            let marks = try XCTUnwrap(faces[0]["landmarks"] as? [String: [Double]])
            XCTAssertEqual(Set(marks.keys), ["eye_left", "eye_right", "nose_tip", "mouth_left", "mouth_right", "upper_lip_top",
                                             "lower_lip_bottom", "chin", "upper_lip_inner", "lower_lip_inner"])
            XCTAssertLessThan(marks["eye_left"]![0], marks["eye_right"]![0], "eye_left is the viewer's left")
            XCTAssertLessThan(marks["eye_left"]![1], marks["mouth_left"]![1])
            if (smile["smiling"] as? Bool) == (crop.smile == 1) { correct += 1 }
        }
        XCTAssertGreaterThanOrEqual(Double(correct) / Double(crops.count), 0.8, "smiling against the data set's labels")
    }

    func testBadFilesGetErrorLinesAndTheRestIsScored() throws {
        let notImage = Self.workDir.appendingPathComponent("face.jpg")
        try Data("no picture here".utf8).write(to: notImage)
        let good = try labelled()[0].path
        let fixtures = CLI.packageRoot.appendingPathComponent("Tests/FoveaCLITests/Fixtures")
        let bomb = CLI.packageRoot.appendingPathComponent("Tests/FoveaImageTests/Fixtures/bad/bomb.png").path
        let r = try CLI.run(["smile", "--face-crop", "--json", notImage.path, good,
                             fixtures.appendingPathComponent("one-pixel.png").path, bomb])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.crashed)
        let objects = try lines(r.stdout)
        XCTAssertEqual(objects.count, 4)
        XCTAssertNotNil(objects[1]["faces"])
        for k in [0, 2, 3] { XCTAssertEqual(Set(objects[k].keys), ["file", "error"], "\(objects[k])") }
        XCTAssertTrue((objects[2]["error"] as? String ?? "").contains("too small"))
        XCTAssertTrue((objects[3]["error"] as? String ?? "").contains("pixel"), "\(objects[3])")
    }

    func testPhotoWithNoFaceGivesAnEmptyListNotAnError() throws {
        let photo = CLI.packageRoot.appendingPathComponent("Tests/FoveaCLITests/Fixtures/no-face.png").path
        let r = try CLI.run(["smile", "--json", photo])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(try lines(r.stdout).first)
        XCTAssertEqual((o["faces"] as? [Any])?.count, 0, "\(o)")
    }

    func testJSONOfAPhotoHasLandmarksInPhotoCoordinatesInsideTheBox() throws {
        let photo = CLI.packageRoot.appendingPathComponent("Datasets/photos/astronaut.png").path
        let r = try CLI.run(["smile", "--json", photo])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(try lines(r.stdout).first)
        XCTAssertEqual(Set(o.keys), ["file", "width", "height", "faces", "elapsed_ms"])
        XCTAssertEqual(o["width"] as? Int, 512)
        let faces = try XCTUnwrap(o["faces"] as? [[String: Any]])
        // Best score first; the committed detector also scores a part of the model shuttle
        // above 0.5 (a known false positive, see the README), so only the best face is checked.
        XCTAssertGreaterThanOrEqual(faces.count, 1)
        XCTAssertLessThanOrEqual(faces.count, 3, "\(faces)")
        let face = try XCTUnwrap(faces.first)
        XCTAssertEqual(Set(face.keys), ["box", "score", "smile", "landmarks"])
        let box = try XCTUnwrap(face["box"] as? [Double])
        XCTAssertEqual(box.count, 4)
        // Eileen Collins' face (brows to chin) lies about x 175-270, y 65-170 of the 512x512 portrait (read by eye).
        XCTAssertTrue((190...255).contains(box[0] + box[2] / 2) && (85...150).contains(box[1] + box[3] / 2), "\(box)")
        XCTAssertTrue((60...160).contains(box[2]), "\(box)")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(face["score"] as? Double), 0.5)
        let marks = try XCTUnwrap(face["landmarks"] as? [String: [Double]])
        XCTAssertEqual(marks.count, 10)
        let slack = box[2] * 0.25
        for (name, p) in marks where name != "chin" {
            XCTAssertTrue((box[0] - slack...box[0] + box[2] + slack).contains(p[0])
                          && (box[1] - slack...box[1] + box[3] + slack).contains(p[1]), "\(name) \(p) against \(box)")
        }
        XCTAssertLessThan(marks["eye_left"]![1], marks["mouth_left"]![1])
    }

    func testMinFaceScoreAndAMissingDetectorFile() throws {
        let photo = CLI.packageRoot.appendingPathComponent("Datasets/photos/astronaut.png").path
        let strict = try CLI.run(["smile", "--json", "--min-face-score", "1", photo])
        XCTAssertEqual(strict.status, 0, strict.stderr)
        XCTAssertEqual((try lines(strict.stdout).first?["faces"] as? [Any])?.count, 0)
        let missing = try CLI.run(["smile", "--face-detector", "/nonexistent/face-detector.safetensors", photo])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertFalse(missing.crashed)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/face-detector.safetensors"), missing.stderr)
    }

    func testAnnotateAndHumanOutput() throws {
        let out = Self.workDir.appendingPathComponent("smile.png").path
        let crop = try labelled()[0].path
        let r = try CLI.run(["smile", "--face-crop", crop, "--annotate", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("smile"), r.stdout)
        let png = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let bad = try CLI.run(["smile", "--face-crop", crop, crop, "--annotate", out])
        XCTAssertNotEqual(bad.status, 0)
    }

    func testEvaluateFacesOnTheSample() throws {
        let r = try CLI.run(["evaluate-faces", "--data", Self.samples.path, "--split", "all", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(o["faces"] as? Int, 60)
        let nme = try XCTUnwrap(o["nme"] as? Double), baseline = try XCTUnwrap(o["baseline_nme"] as? Double)
        XCTAssertLessThan(nme, baseline)
        XCTAssertGreaterThan(try XCTUnwrap(o["auc"] as? Double), 0.85)
    }
}
