// End-to-end tests of `fovea detect` (the committed models on the bundled
// sample lines) and `fovea synth-lines`: the JSON Lines contract, the table,
// annotated pictures, COCO results that `fovea evaluate` scores, bad files,
// and labels read from the detector's class head (--labels detector-head).
import Foundation
import XCTest

final class DetectCommandTests: XCTestCase {
    static let samples = "Datasets/ocr-samples"
    static let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-detect-\(UUID().uuidString)")

    override class func setUp() {
        try? FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workDir)
    }

    private func sample(_ k: Int) -> String { "\(Self.samples)/line-\(String(format: "%06d", k)).png" }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not JSON: \($0)")
        }
    }

    func testJSONLinesHaveExactlyTheDocumentedFields() throws {
        let r = try CLI.run(["detect", "--json", sample(1), sample(2)])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.crashed)
        let objects = try lines(r.stdout)
        XCTAssertEqual(objects.count, 2)
        for o in objects {
            XCTAssertEqual(Set(o.keys), ["file", "width", "height", "text", "characters", "elapsed_ms"])
            let chars = try XCTUnwrap(o["characters"] as? [[String: Any]])
            XCTAssertFalse(chars.isEmpty)
            for c in chars {
                XCTAssertEqual(Set(c.keys), ["box", "label", "score", "alternatives"])
                XCTAssertEqual((c["box"] as? [Double])?.count, 4)
                let alternatives = try XCTUnwrap(c["alternatives"] as? [[Any]])
                XCTAssertEqual(alternatives.first?.first as? String, c["label"] as? String)
            }
        }
        // The keys come in the documented order too.
        XCTAssertTrue(r.stdout.hasPrefix("{\"file\":\"\(sample(1))\",\"width\":"), r.stdout)
        // The first sample's size, from the ground truth.
        let gt = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: CLI.packageRoot.appendingPathComponent(
            "\(Self.samples)/ground-truth.json"))) as? [String: Any])
        let first = try XCTUnwrap((gt["images"] as? [[String: Any]])?.first)
        XCTAssertEqual(objects[0]["width"] as? Int, first["width"] as? Int)
        XCTAssertEqual(objects[0]["height"] as? Int, first["height"] as? Int)
    }

    func testBadFilesGetAnErrorLineAndTheOthersAreStillRead() throws {
        let notImage = Self.workDir.appendingPathComponent("notes.png")
        try Data("this is not a picture\n".utf8).write(to: notImage)
        let empty = Self.workDir.appendingPathComponent("empty.jpg")
        try Data().write(to: empty)
        let r = try CLI.run(["detect", "--json", notImage.path, sample(3), empty.path, "/no/such/line.png"])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.crashed)
        let objects = try lines(r.stdout)
        XCTAssertEqual(objects.count, 4)
        for k in [0, 2, 3] {
            XCTAssertEqual(Set(objects[k].keys), ["file", "error"])
            XCTAssertFalse((objects[k]["error"] as? String ?? "").isEmpty)
        }
        XCTAssertNotNil(objects[1]["text"])
        XCTAssertEqual(objects[3]["file"] as? String, "/no/such/line.png")
    }

    func testTableAnnotationAndCOCOResultsThatEvaluateScores() throws {
        let annotated = Self.workDir.appendingPathComponent("ann")
        let results = Self.workDir.appendingPathComponent("results.json").path
        let gt = "\(Self.samples)/ground-truth.json"
        let inputs = (1...12).map(sample)
        let r = try CLI.run(["detect"] + inputs + ["--annotate-dir", annotated.path, "--coco-results", results,
                                                   "--ground-truth", gt])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("label"), r.stdout)
        XCTAssertTrue(r.stderr.contains("character error rate"), r.stderr)
        let png = try Data(contentsOf: annotated.appendingPathComponent("line-000001.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let e = try CLI.run(["evaluate", "--ground-truth", gt, "--detections", results, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let coco = try XCTUnwrap(stats["coco"] as? [String: Any])
        let ap50 = try XCTUnwrap(coco["AP50"] as? Double)
        XCTAssertGreaterThan(ap50, 0.9, "character boxes of the committed detector against the synthetic ground truth")
    }

    func testClassicSegmenterAndOptionErrors() throws {
        let r = try CLI.run(["detect", "--segmenter", "classic", "--json", sample(4)])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try lines(r.stdout).count, 1)
        for bad in [["--segmenter", "magic"], ["--min-score", "2"], ["--nms-iou", "-1"], ["--annotate", "a.png", sample(1), sample(2)]] {
            let b = try CLI.run(["detect", sample(1)] + bad)
            XCTAssertNotEqual(b.status, 0, "\(bad)")
            XCTAssertFalse(b.crashed)
        }
        let missing = try CLI.run(["detect", "--model", "/no/such/detector.safetensors", sample(1)])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/no/such/detector.safetensors"), missing.stderr)
    }

    func testDetectorHeadLabelsFromADetectorWithoutAHeadExitWithAnError() throws {
        let r = try CLI.run(["detect", "--labels", "detector-head", "--json", sample(1)])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertFalse(r.crashed)
        XCTAssertTrue(r.stderr.contains("has no class head"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--class-head"), r.stderr)
        for bad in [["--labels", "oracle"], ["--labels", "detector-head", "--segmenter", "classic"]] {
            let b = try CLI.run(["detect", sample(1)] + bad)
            XCTAssertNotEqual(b.status, 0, "\(bad)")
            XCTAssertFalse(b.crashed)
        }
    }

    /// The committed head model read both ways: the same boxes and scores
    /// (one detector), labels and alternatives from the head's softmax in the
    /// documented JSON shape.
    func testDetectorHeadLabelsKeepTheJSONShapeAndTheDetectorsBoxes() throws {
        let model = "Models/ocr-detector-head.safetensors"
        let inputs = [sample(1), sample(2), sample(3)]
        let head = try CLI.run(["detect", "--json", "--model", model, "--labels", "detector-head"] + inputs)
        XCTAssertEqual(head.status, 0, head.stderr)
        let crops = try CLI.run(["detect", "--json", "--model", model, "--labels", "classifier"] + inputs)
        XCTAssertEqual(crops.status, 0, crops.stderr)
        let labels = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt".map { String($0) })
        for (h, c) in zip(try lines(head.stdout), try lines(crops.stdout)) {
            XCTAssertEqual(Set(h.keys), ["file", "width", "height", "text", "characters", "elapsed_ms"])
            let hc = try XCTUnwrap(h["characters"] as? [[String: Any]]), cc = try XCTUnwrap(c["characters"] as? [[String: Any]])
            XCTAssertFalse(hc.isEmpty)
            XCTAssertEqual(hc.map { $0["box"] as? [Double] }, cc.map { $0["box"] as? [Double] })
            XCTAssertEqual(hc.map { $0["score"] as? Double }, cc.map { $0["score"] as? Double })
            for ch in hc {
                XCTAssertEqual(Set(ch.keys), ["box", "label", "score", "alternatives"])
                let alternatives = try XCTUnwrap(ch["alternatives"] as? [[Any]])
                XCTAssertEqual(alternatives.count, 3)
                XCTAssertEqual(alternatives[0][0] as? String, ch["label"] as? String)
                let p = alternatives.compactMap { $0[1] as? Double }
                XCTAssertEqual(p, p.sorted(by: >))
                XCTAssertLessThanOrEqual(p.reduce(0, +), 1.0001)
                XCTAssertTrue(alternatives.allSatisfy { labels.contains($0[0] as? String ?? "") }, "\(alternatives)")
            }
            let text = try XCTUnwrap(h["text"] as? String)
            XCTAssertEqual(text.replacingOccurrences(of: " ", with: ""), hc.compactMap { $0["label"] as? String }.joined())
        }
    }

    func testSynthLinesWritesImagesAndGroundTruth() throws {
        let out = Self.workDir.appendingPathComponent("synth")
        let r = try CLI.run(["synth-lines", "--images", "Datasets/emnist/emnist-mini-test-images-idx3-ubyte.gz",
                             "--labels", "Datasets/emnist/emnist-mini-test-labels-idx1-ubyte.gz",
                             "--count", "3", "--seed", "9", "--output", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let gt = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("ground-truth.json"))) as? [String: Any])
        let images = try XCTUnwrap(gt["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, 3)
        XCTAssertNotNil(images[0]["text"] as? String)
        let annotations = try XCTUnwrap(gt["annotations"] as? [[String: Any]])
        XCTAssertTrue(annotations.allSatisfy { ($0["char"] as? String)?.count == 1 && $0["category_id"] as? Int == 1 })
        for image in images {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(image["file_name"] as! String).path))
        }
        let bad = try CLI.run(["synth-lines", "--images", "Datasets/emnist/README.md", "--labels", "Datasets/emnist/README.md",
                               "--count", "3", "--output", out.path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertFalse(bad.crashed)
    }
}
