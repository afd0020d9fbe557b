// `fovea export` end to end: a committed model exports with its contract
// printed, and every kind of bad input (a damaged model file, an unknown
// format, an architecture the export cannot express, bad options) gives a
// clear error naming the file, layer or option, a non-zero exit, and no
// output file, partial or otherwise; an existing output is left untouched.
import Foundation
import FoveaEngine
import XCTest

final class ExportCommandTests: XCTestCase {
    private let classifier = CLI.packageRoot.appendingPathComponent("Models/emnist-default.safetensors").path

    private func files(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    private func assertFails(_ arguments: [String], mentions: [String], leaves expected: [String], in dir: URL,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(arguments)
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertFalse(r.crashed, file: file, line: line)
        for text in mentions { XCTAssertTrue(r.stderr.contains(text), "stderr lacks '\(text)': \(r.stderr)", file: file, line: line) }
        XCTAssertEqual(try files(dir), expected, "no output, partial or complete, is left", file: file, line: line)
    }

    func testClassifierExportsToBothFormatsAndPrintsItsContract() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let onnx = try CLI.run(["export", classifier, "--output", dir.appendingPathComponent("m.onnx").path])
        XCTAssertEqual(onnx.status, 0, onnx.stderr)
        XCTAssertTrue(onnx.stdout.contains("inputs:  image [N, 28, 28, 1]"), onnx.stdout)
        XCTAssertTrue(onnx.stdout.contains("outputs: probabilities [N, 47]"), onnx.stdout)
        let tflite = try CLI.run(["export", classifier, "--format", "tflite", "--batch", "4",
                                  "--output", dir.appendingPathComponent("m.bin").path])
        XCTAssertEqual(tflite.status, 0, tflite.stderr)
        XCTAssertTrue(tflite.stdout.contains("image [4, 28, 28, 1]"), tflite.stdout)
        XCTAssertEqual(try files(dir), ["m.bin", "m.onnx"])
        let bytes = try Data(contentsOf: dir.appendingPathComponent("m.bin"))
        XCTAssertEqual(String(decoding: bytes[4..<8], as: UTF8.self), "TFL3")
    }

    func testDamagedModelFileIsRefusedAndAnExistingOutputIsKept() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let damaged = dir.appendingPathComponent("damaged.safetensors")
        try Data(try Data(contentsOf: URL(fileURLWithPath: classifier)).prefix(5000)).write(to: damaged)
        let out = dir.appendingPathComponent("out.onnx")
        try Data("previous export".utf8).write(to: out)
        try assertFails(["export", damaged.path, "--output", out.path],
                        mentions: ["damaged.safetensors", "cannot read the model"], leaves: ["damaged.safetensors", "out.onnx"], in: dir)
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), "previous export")
    }

    func testUnknownFormatIsRefused() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        try assertFails(["export", classifier, "--output", dir.appendingPathComponent("m.pb").path],
                        mentions: ["unknown export format 'pb'", "onnx or tflite"], leaves: [], in: dir)
        try assertFails(["export", classifier, "--format", "coreml", "--output", dir.appendingPathComponent("m.onnx").path],
                        mentions: ["coreml", "--format"], leaves: [], in: dir)
    }

    func testArchitecturesTheExportCannotExpressNameTheLayer() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        // A detector must end in a 1x1 convolution the export splits into its maps.
        let wrongHead = try Sequential(inputShape: [32, 16, 1], layers: [
            Conv2D(filters: 8, kernelSize: 3, padding: .same, name: "conv"),
            Conv2D(filters: 5, kernelSize: 3, padding: .same, name: "head"),
        ])
        try ModelFile(model: wrongHead, labels: ["character"], training: ["kind": "character-detector"])
            .write(to: dir.appendingPathComponent("wrong-head.safetensors"))
        // A detector's width is given at run time, so nothing may flatten its map.
        let flattens = try Sequential(inputShape: [32, 16, 1], layers: [
            Conv2D(filters: 2, kernelSize: 3, padding: .same, name: "conv"), Flatten(name: "flatten"), Dense(units: 5, name: "dense"),
        ])
        try ModelFile(model: flattens, labels: ["character"], training: ["kind": "character-detector"])
            .write(to: dir.appendingPathComponent("flattens.safetensors"))
        let models = ["flattens.safetensors", "wrong-head.safetensors"]
        try assertFails(["export", dir.appendingPathComponent("wrong-head.safetensors").path, "--output",
                         dir.appendingPathComponent("d.onnx").path],
                        mentions: ["layer 'head' cannot be exported", "1x1 Conv2D with 5 filters"], leaves: models, in: dir)
        try assertFails(["export", dir.appendingPathComponent("flattens.safetensors").path, "--output",
                         dir.appendingPathComponent("d.tflite").path],
                        mentions: ["layer 'flatten' cannot be exported", "only known at run time"], leaves: models, in: dir)
    }

    func testCommittedFaceDetectorExportsItsContractToBothFormats() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let model = CLI.packageRoot.appendingPathComponent("Models/face-detector.safetensors").path
        for format in ["onnx", "tflite"] {
            let out = dir.appendingPathComponent("face-detector.\(format)")
            let r = try CLI.run(["export", model, "--output", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("image [N, height, width, 1]"), r.stdout)
            XCTAssertTrue(r.stdout.contains("outputs: heatmap [N, height_div8, width_div8, 1], size [N, height_div8, width_div8, 2], offset [N, height_div8, width_div8, 2]"), r.stdout)
            XCTAssertGreaterThan((try? Data(contentsOf: out))?.count ?? 0, 100_000)
        }
    }

    func testDetectorWithClassHeadExportsFourMapsAndAWrongHeadWidthIsRefused() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let head = CLI.packageRoot.appendingPathComponent("Models/ocr-detector-head.safetensors").path
        for format in ["onnx", "tflite"] {
            let r = try CLI.run(["export", head, "--output", dir.appendingPathComponent("head.\(format)").path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("outputs: heatmap [N, height_div4, width_div4, 1], size [N, height_div4, width_div4, 2], offset [N, height_div4, width_div4, 2], class_probabilities [N, height_div4, width_div4, 47]"), r.stdout)
        }
        // 7 filters: neither the plain 5 nor 5 + K for a K-class head.
        let seven = try Sequential(inputShape: [32, 16, 1], layers: [
            Conv2D(filters: 8, kernelSize: 3, padding: .same, name: "conv"),
            Conv2D(filters: 7, kernelSize: 1, padding: .same, name: "head"),
        ])
        try ModelFile(model: seven, labels: ["character"], training: ["kind": "character-detector"])
            .write(to: dir.appendingPathComponent("seven.safetensors"))
        try assertFails(["export", dir.appendingPathComponent("seven.safetensors").path, "--output",
                         dir.appendingPathComponent("d.onnx").path],
                        mentions: ["layer 'head' cannot be exported", "1x1 Conv2D with 5 filters", "5 + K filters", "this one has 7"],
                        leaves: ["head.onnx", "head.tflite", "seven.safetensors"], in: dir)
    }

    func testBadOptionsAreRefused() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        try assertFails(["export", classifier, "--opset", "9", "--output", dir.appendingPathComponent("m.onnx").path],
                        mentions: ["--opset: 9 is not supported"], leaves: [], in: dir)
        try assertFails(["export", classifier, "--batch", "0", "--output", dir.appendingPathComponent("m.onnx").path],
                        mentions: ["--batch", "'0'"], leaves: [], in: dir)
        try assertFails(["export", classifier, "--output", dir.appendingPathComponent("missing/m.onnx").path],
                        mentions: ["does not exist"], leaves: [], in: dir)
    }
}
