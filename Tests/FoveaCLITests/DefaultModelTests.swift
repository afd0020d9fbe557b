// The committed default EMNIST model (Models/emnist-default.safetensors), used
// as a user would: `fovea classify` without --model, on held-out EMNIST data.
import Foundation
import XCTest

final class DefaultModelTests: XCTestCase {
    private func accuracy(images: String, labels: String) throws -> (accuracy: Double, count: Int) {
        let r = try CLI.run(["classify", "--images", images, "--labels", labels, "--json"], timeout: 600)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.crashed)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return (try XCTUnwrap(json["accuracy"] as? Double), try XCTUnwrap(json["count"] as? Int))
    }

    /// The mini test set is the first 500 images of the pool test split, never seen in training.
    func testDefaultModelOnBundledMiniTestSet() throws {
        let (acc, count) = try accuracy(images: "Datasets/emnist/emnist-mini-test-images-idx3-ubyte.gz",
                                        labels: "Datasets/emnist/emnist-mini-test-labels-idx1-ubyte.gz")
        XCTAssertEqual(count, 500)
        XCTAssertGreaterThanOrEqual(acc, 0.85)
    }

    /// The bar: at least 90.0% on the whole pool test split (12,323 images).
    func testDefaultModelReachesNinetyPercentOnPoolTest() throws {
        let dir = CLI.sharedRoot.appendingPathComponent("datasets/emnist")
        let images = dir.appendingPathComponent("emnist-bymerge-pool-test-images-idx3-ubyte.gz").path
        guard FileManager.default.fileExists(atPath: images) else {
            throw XCTSkip("\(images) is absent (the read-only data set beside the checkout, present in CI); testDefaultModelOnBundledMiniTestSet covers the default model")
        }
        let (acc, count) = try accuracy(images: images,
                                        labels: dir.appendingPathComponent("emnist-bymerge-pool-test-labels-idx1-ubyte.gz").path)
        XCTAssertEqual(count, 12_323)
        XCTAssertGreaterThanOrEqual(acc, 0.900)
    }

    /// Scan-like pictures of three test characters, named for their true label.
    func testSamplePicturesGetTheirLabelsFirst() throws {
        let samples = CLI.packageRoot.appendingPathComponent("Datasets/emnist/samples")
        let files = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(files.count, 3)
        let r = try CLI.run(["classify"] + files.map { samples.appendingPathComponent($0).path })
        XCTAssertEqual(r.status, 0, r.stderr)
        for file in files {
            let label = String(file.dropLast(4).split(separator: "-").last!)
            let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(file) }, r.stdout)
            let top = line.split(separator: ":", maxSplits: 1)[1].split(separator: " ").first.map(String.init)
            XCTAssertEqual(top, label, String(line))
        }
    }
}
