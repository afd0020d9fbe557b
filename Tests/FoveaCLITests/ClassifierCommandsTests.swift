// End-to-end tests of `fovea train classifier`, `fovea classify` and
// `fovea features` on the committed EMNIST mini set, with a tiny network so
// the debug build stays fast, and of their errors on bad input.
import Foundation
import XCTest

final class ClassifierCommandsTests: XCTestCase {
    static let emnist = CLI.packageRoot.appendingPathComponent("Datasets/emnist")
    static func mini(_ name: String) -> String { emnist.appendingPathComponent(name).path }
    static let trainImages = mini("emnist-mini-train-images-idx3-ubyte.gz")
    static let trainLabels = mini("emnist-mini-train-labels-idx1-ubyte.gz")
    static let testImages = mini("emnist-mini-test-images-idx3-ubyte.gz")
    static let testLabels = mini("emnist-mini-test-labels-idx1-ubyte.gz")

    /// One tiny model trained for all tests (1 epoch, 2000 images).
    nonisolated(unsafe) static var trained: (model: String, plots: URL, result: CLIResult)?
    static let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-classifier-\(UUID().uuidString)")

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workDir)
    }

    private func trainedModel() throws -> (model: String, plots: URL, result: CLIResult) {
        if let trained = Self.trained { return trained }
        try FileManager.default.createDirectory(at: Self.workDir, withIntermediateDirectories: true)
        let model = Self.workDir.appendingPathComponent("tiny.safetensors").path
        let plots = Self.workDir.appendingPathComponent("plots")
        let result = try CLI.run(["train", "classifier", "--images", Self.trainImages, "--labels", Self.trainLabels,
                                  "--mapping", Self.mini("emnist-bymerge-mapping.txt"), "--arch", "tiny-cnn",
                                  "--epochs", "1", "--batch-size", "32", "--learning-rate", "0.003",
                                  "--augment", "--seed", "3", "--output", model, "--plots-dir", plots.path],
                                 timeout: 300)
        Self.trained = (model, plots, result)
        return (model, plots, result)
    }

    private func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(text)", file: file, line: line)
    }

    private func isPNG(_ url: URL) -> Bool {
        (try? Data(contentsOf: url).prefix(8)) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testTrainOneEpochWritesModelPlotsAndReport() throws {
        let (model, plots, result) = try trainedModel()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.crashed)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))
        XCTAssertTrue(isPNG(plots.appendingPathComponent("training-curves.png")))
        XCTAssertTrue(isPNG(plots.appendingPathComponent("confusion-matrix.png")))
        // 10% of 2000 held out: 1800 train, 200 validation; progress and epoch lines on stderr.
        XCTAssertTrue(result.stdout.contains("training images: 1800, validation images: 200"), result.stdout)
        XCTAssertTrue(result.stdout.contains("most confused"), result.stdout)
        // Not a terminal: one progress line per tenth of the epoch (57 batches), not one per batch.
        let progressLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch 1/1 [") }
        XCTAssertEqual(progressLines.count, 11, result.stderr)
        XCTAssertTrue(progressLines.last?.contains("57/57 loss") ?? false, result.stderr)
        XCTAssertTrue(result.stderr.contains("val_accuracy"), result.stderr)
    }

    func testClassifyJsonOnMiniTestSet() throws {
        let (model, _, trained) = try trainedModel()
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let result = try CLI.run(["classify", "--model", model, "--images", Self.testImages,
                                  "--labels", Self.testLabels, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try json(result.stdout)
        XCTAssertEqual(report["count"] as? Int, 500)
        let accuracy = try XCTUnwrap(report["accuracy"] as? Double)
        XCTAssertTrue((0...1).contains(accuracy))
        // A trained network beats chance (1/47) and the majority class ('1': 34/500) by far.
        XCTAssertGreaterThan(accuracy, 0.2)
        let perClass = try XCTUnwrap(report["per_class"] as? [String: [String: Any]])
        // Per-class counts of the mini test split, from datasets/emnist/README.md.
        XCTAssertEqual(perClass["0"]?["count"] as? Int, 23)
        XCTAssertEqual(perClass["t"]?["count"] as? Int, 12)
        XCTAssertNil(perClass["H"], "class H has no mini test images")
        XCTAssertEqual(perClass.values.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }, 500)
        let correct = try XCTUnwrap(report["correct"] as? Int)
        XCTAssertEqual(accuracy, Double(correct) / 500, accuracy: 1e-9)
    }

    func testClassifyPicturesReportsEachAndFailsOnCorruptOne() throws {
        let (model, _, trained) = try trainedModel()
        XCTAssertEqual(trained.status, 0, trained.stderr)
        // A dark-on-light scan-like picture (an EMNIST test '4', stretched, on white; made with PIL).
        let sample = Self.emnist.appendingPathComponent("samples/mini-test-0-4.png").path
        let missing = Self.workDir.appendingPathComponent("missing.png").path
        let corrupt = Self.workDir.appendingPathComponent("corrupt.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(to: corrupt)
        let result = try CLI.run(["classify", "--model", model, "--json", sample, corrupt.path, missing])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertFalse(result.crashed)
        let entries = try XCTUnwrap(try json(result.stdout)["results"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 3)
        let top = try XCTUnwrap(entries[0]["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 3)
        let probabilities = top.compactMap { $0["probability"] as? Double }
        XCTAssertEqual(probabilities, probabilities.sorted(by: >))
        XCTAssertLessThanOrEqual(probabilities.reduce(0, +), 1 + 1e-6)
        XCTAssertNotNil(entries[1]["error"])
        XCTAssertNotNil(entries[2]["error"])
        XCTAssertTrue(result.stderr.contains(corrupt.path), result.stderr)
        XCTAssertTrue(result.stderr.contains(missing), result.stderr)
        let text = try CLI.run(["classify", "--model", model, sample])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix(sample + ": "), text.stdout)
    }

    func testFeaturesDrawsMapsAndFiltersAndListsLayersOnUnknownName() throws {
        let (model, _, trained) = try trainedModel()
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let picture = Self.emnist.appendingPathComponent("samples/mini-test-2-C.png").path
        let output = Self.workDir.appendingPathComponent("maps.png")
        let result = try CLI.run(["features", "--model", model, "--layer", "conv2d", "--output", output.path, picture])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(isPNG(output))
        XCTAssertTrue(isPNG(Self.workDir.appendingPathComponent("maps-filters.png")))
        let dense = try CLI.run(["features", "--model", model, "--layer", "dense", "--output",
                                 Self.workDir.appendingPathComponent("dense.png").path, picture])
        XCTAssertEqual(dense.status, 0, dense.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.workDir.appendingPathComponent("dense-filters.png").path))
        let bad = try CLI.run(["features", "--model", model, "--layer", "nope", "--output", output.path, picture])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertFalse(bad.crashed)
        XCTAssertTrue(bad.stderr.contains("conv2d, max_pooling2d, flatten, dense"), bad.stderr)
    }

    func testBadInputsFailWithReadableMessages() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let out = dir.appendingPathComponent("m.safetensors").path
        func train(_ images: String, _ labels: String) throws -> CLIResult {
            try CLI.run(["train", "classifier", "--images", images, "--labels", labels, "--arch", "tiny-cnn",
                         "--epochs", "1", "--output", out])
        }
        let missing = dir.appendingPathComponent("nothing.gz").path
        let noFile = try train(missing, Self.trainLabels)
        XCTAssertNotEqual(noFile.status, 0)
        XCTAssertTrue(noFile.stderr.contains(missing) && noFile.stderr.contains("no such file"), noFile.stderr)

        let truncated = dir.appendingPathComponent("short-idx3-ubyte")
        try Data([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28] + [UInt8](repeating: 0, count: 100)).write(to: truncated)
        let cut = try train(truncated.path, Self.trainLabels)
        XCTAssertNotEqual(cut.status, 0)
        XCTAssertTrue(cut.stderr.contains("truncated"), cut.stderr)

        let mismatch = try train(Self.trainImages, Self.testLabels)
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.stderr.contains("2000 images") && mismatch.stderr.contains("500 labels"), mismatch.stderr)

        let swapped = try CLI.run(["classify", "--model", out, "--images", Self.trainLabels, "--labels", Self.trainImages])
        XCTAssertNotEqual(swapped.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let corruptModel = dir.appendingPathComponent("bad.safetensors")
        try Data("not a model".utf8).write(to: corruptModel)
        let badModel = try CLI.run(["classify", "--model", corruptModel.path, "--images", Self.testImages,
                                    "--labels", Self.testLabels])
        XCTAssertNotEqual(badModel.status, 0)
        XCTAssertTrue(badModel.stderr.contains(corruptModel.path), badModel.stderr)

        let badArch = try CLI.run(["train", "classifier", "--images", Self.trainImages, "--labels", Self.trainLabels,
                                   "--arch", "resnet-9000", "--output", out])
        XCTAssertNotEqual(badArch.status, 0)
        XCTAssertTrue(badArch.stderr.contains("fovea-emnist"), badArch.stderr)
        for r in [noFile, cut, mismatch, swapped, badModel, badArch] { XCTAssertFalse(r.crashed) }
    }
}
