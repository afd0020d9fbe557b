// `fovea bench --model-file` as Tools/bench_export.py runs it: a float32 and
// an int8 model timed on .npy inputs give a JSON report naming the precision
// and plan; a missing model, inputs that are not float32 .npy or do not fit
// the model, and options without --model-file fail with a message and a
// non-zero exit. No figure is checked: timings are not tested.
import Foundation
import XCTest

final class BenchModelFileTests: XCTestCase {
    private let classifier = CLI.packageRoot.appendingPathComponent("Models/emnist-default.safetensors").path
    private let quick = ["--batch", "3", "--runs", "2", "--warmup", "1", "--batch-runs", "1"]

    /// A float32 .npy file of `shape` (values 0...1), as numpy.save writes it.
    private func npy(_ shape: [Int], in dir: URL, name: String = "inputs.npy", descr: String = "<f4") throws -> String {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        let values = (0..<shape.reduce(1, *)).map { Float($0 % 7) / 7 }
        values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func testFloatAndInt8ModelsGiveAJSONReport() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let inputs = try npy([2, 28, 28, 1], in: dir)
        let int8 = dir.appendingPathComponent("int8.safetensors").path
        let q = try CLI.run(["quantize", classifier, "--calibration-images",
                             CLI.packageRoot.appendingPathComponent("Datasets/emnist/emnist-mini-train-images-idx3-ubyte.gz").path,
                             "--calibration-count", "20", "--output", int8])
        XCTAssertEqual(q.status, 0, q.stderr)
        for (model, precision) in [(classifier, "float32"), (int8, "int8")] {
            let r = try CLI.run(["bench", "--model-file", model, "--inputs", inputs, "--threads", "1", "--json"] + quick)
            XCTAssertEqual(r.status, 0, r.stderr)
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
            XCTAssertEqual(report["precision"] as? String, precision)
            XCTAssertEqual(report["input_shape"] as? [Int], [2, 28, 28, 1])
            XCTAssertEqual(report["threads"] as? Int, 1)
            let plan = try XCTUnwrap(report["plan"] as? [String: Int])
            XCTAssertEqual(plan, ["batch": 3, "runs": 2, "warmup": 1, "batch_runs": 1, "batch_warmup": 2])
            let timing = try XCTUnwrap(report["timing"] as? [String: Double])
            XCTAssertEqual(Set(timing.keys), ["single_median_ms", "single_p90_ms", "batch_median_ms", "batch_images_per_s"])
        }
        let text = try CLI.run(["bench", "--model-file", classifier, "--inputs", inputs] + quick)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("(float32)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("batch of 3:"), text.stdout)
    }

    func testFullyConvolutionalModelIsRebuiltForTheInputsWidth() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let lines = try npy([1, 32, 64, 1], in: dir)
        let r = try CLI.run(["bench", "--model-file", CLI.packageRoot.appendingPathComponent("Models/ocr-detector.safetensors").path,
                             "--inputs", lines, "--json"] + quick)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"precision\" : \"float32\""), r.stdout)
    }

    func testMissingModelAndUnfitInputsFailWithAMessage() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let inputs = try npy([2, 28, 28, 1], in: dir)
        let missing = dir.appendingPathComponent("no-such-model.safetensors").path
        let cases: [([String], [String])] = [
            (["--model-file", missing, "--inputs", inputs], ["no-such-model.safetensors", "no such file"]),
            (["--model-file", classifier, "--inputs", try npy([2, 32, 32, 1], in: dir, name: "big.npy")],
             ["big.npy", "do not fit", "[28, 28, 1]"]),
            (["--model-file", CLI.packageRoot.appendingPathComponent("Models/face-crop.safetensors").path, "--inputs", inputs],
             ["do not fit", "[64, 64, 1]"]),
            (["--model-file", classifier, "--inputs", try npy([2, 28, 28, 1], in: dir, name: "f64.npy", descr: "<f8")],
             ["f64.npy", "float32"]),
            (["--model-file", classifier, "--inputs", classifier], ["emnist-default.safetensors", "not a .npy file"]),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(["bench"] + args + quick)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertFalse(r.crashed)
            for text in expected { XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)") }
        }
    }

    func testModelFileOptionsAreCheckedTogether() throws {
        let cases: [([String], String)] = [
            (["--model-file", classifier], "--model-file needs --inputs"),
            (["--inputs", "x.npy"], "go with --model-file"),
            (["--runs", "5"], "go with --model-file"),
            (["--model-file", classifier, "--inputs", "x.npy", "--batch", "0"], "--batch must be at least 1"),
            (["--model-file", classifier, "--inputs", "x.npy", "--batch-runs", "0"], "--batch-runs must be at least 1"),
            (["--model-file", classifier, "--inputs", "x.npy", "--model", "textbook-cnn"], "does not go with --model"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(["bench"] + args)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertFalse(r.crashed)
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
    }
}
