// `fovea quantize` end to end: the committed classifier becomes an int8 file
// a quarter of its size that exports to TFLite (not ONNX); models that are
// not classifiers are refused with no file written.
import Foundation
import XCTest

final class QuantizeCommandTests: XCTestCase {
    private let mini = CLI.packageRoot.appendingPathComponent("Datasets/emnist/emnist-mini-train-images-idx3-ubyte.gz").path

    func testClassifierQuantizesToAQuarterOfItsSizeAndExportsToTFLiteOnly() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let int8 = dir.appendingPathComponent("int8.safetensors").path
        let r = try CLI.run(["quantize", CLI.packageRoot.appendingPathComponent("Models/emnist-default.safetensors").path,
                             "--calibration-images", mini, "--calibration-count", "100", "--output", int8])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("int8, 887544 bytes (25.1% of 3532820), calibrated on 100 images"), r.stdout)
        let tflite = try CLI.run(["export", int8, "--output", dir.appendingPathComponent("int8.tflite").path])
        XCTAssertEqual(tflite.status, 0, tflite.stderr)
        XCTAssertTrue(tflite.stdout.contains("tflite int8"), tflite.stdout)
        let onnx = try CLI.run(["export", int8, "--output", dir.appendingPathComponent("int8.onnx").path])
        XCTAssertNotEqual(onnx.status, 0)
        XCTAssertTrue(onnx.stderr.contains("exports to TFLite only"), onnx.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["int8.safetensors", "int8.tflite"])
    }

    func testModelsThatAreNotClassifiersAreRefusedWithoutOutput() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        for model in ["face-crop", "ocr-detector"] {
            let r = try CLI.run(["quantize", CLI.packageRoot.appendingPathComponent("Models/\(model).safetensors").path,
                                 "--calibration-images", mini, "--calibration-count", "10",
                                 "--output", dir.appendingPathComponent("q.safetensors").path])
            XCTAssertNotEqual(r.status, 0, model)
            XCTAssertTrue(r.stderr.contains("int8 quantization takes classifiers"), r.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}
