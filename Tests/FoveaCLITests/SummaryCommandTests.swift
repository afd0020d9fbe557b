// `fovea summary` and `fovea bench` as a user runs them: the Keras totals for a
// built-in architecture, a saved model read back, and clear failures on bad input.
import Foundation
import XCTest

final class SummaryCommandTests: XCTestCase {
    func testBuiltInArchitecturePrintsKerasTotals() throws {
        let r = try CLI.run(["summary", "textbook-cnn"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Keras 3.15: "Total params: 2,808,751 (10.71 MB)" (Tools/keras_reference.py).
        XCTAssertTrue(r.stdout.contains("Total params: 2,808,751 (10.71 MB)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| dense_2 (Dense)                 | (None, 47)             |         6,063 |"), r.stdout)
    }

    func testSavedModelReadsBackWithTheSameSummary() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let file = dir.appendingPathComponent("lenet.safetensors").path
        let save = try CLI.run(["summary", "lenet5", "--classes", "47", "--seed", "3", "--save-weights", file])
        XCTAssertEqual(save.status, 0, save.stderr)
        let load = try CLI.run(["summary", file, "--json"])
        XCTAssertEqual(load.status, 0, load.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(load.stdout.utf8)) as? [String: Any]
        // LeNet-5 with 47 classes: 61,706 - 850 + (84*47 + 47) = 64,851.
        XCTAssertEqual(object?["totalParams"] as? Int, 64_851)
        XCTAssertEqual((object?["rows"] as? [[String: Any]])?.last?["outputShape"] as? [Int], [47])
    }

    func testMultiOutputModelSavesAndReadsBack() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let file = dir.appendingPathComponent("clsloc.safetensors").path
        let save = try CLI.run(["summary", "textbook-cls-loc", "--save-weights", file])
        XCTAssertEqual(save.status, 0, save.stderr)
        let load = try CLI.run(["summary", file])
        XCTAssertEqual(load.status, 0, load.stderr)
        // Keras 3.15 functional model with both heads: 426,638 parameters (Tools/keras_reference.py).
        XCTAssertTrue(load.stdout.contains("Total params: 426,638 (1.63 MB)"), load.stdout)
        XCTAssertTrue(load.stdout.contains("head \"bounding_box\""), load.stdout)
    }

    func testUnknownModelAndDamagedFileFailCleanly() throws {
        let unknown = try CLI.run(["summary", "resnet-9000"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertFalse(unknown.crashed)
        XCTAssertTrue(unknown.stderr.contains("textbook-cnn"), "lists the built-in architectures: \(unknown.stderr)")

        let dir = try CLI.temporaryDirectory(for: self)
        let bad = dir.appendingPathComponent("bad.safetensors")
        try Data([0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x7b]).write(to: bad)
        let damaged = try CLI.run(["summary", bad.path])
        XCTAssertNotEqual(damaged.status, 0)
        XCTAssertFalse(damaged.crashed)
        XCTAssertTrue(damaged.stderr.contains("bad.safetensors"), damaged.stderr)
        XCTAssertTrue(damaged.stderr.contains("header"), damaged.stderr)
    }

    func testBenchRejectsBadOptions() throws {
        for args in [["bench", "--threads", "0"], ["bench", "--model", "nope"], ["bench", "--ab", "0"]] {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertFalse(r.crashed)
            XCTAssertFalse(r.stderr.isEmpty)
        }
    }
}
