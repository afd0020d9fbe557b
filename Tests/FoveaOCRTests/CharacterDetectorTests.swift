// The character detector's variants: stride, cell assignment and class head
// survive a trip through the model file; metadata that disagrees with the
// network is refused; labels read from a hand-set class head are the softmax
// at the peak cell; asking a detector without a head for its labels fails
// with an error that says what to do.
import FoveaDetection
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation
import XCTest

final class CharacterDetectorTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("Datasets/ocr-samples/line-000001.png").path
    static let committedDetector = root.appendingPathComponent("Models/\(CharacterDetector.defaultFileName)").path
    static let committedClassifier = root.appendingPathComponent("Models/\(LineReader.classifierFileName)").path

    private func temporaryFile(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-detector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.appendingPathComponent(name)
    }

    func testHeadStrideAndAssignmentSurviveTheModelFile() throws {
        Engine.seed(3)
        let model = try CharacterDetector.makeModel(width: 64, stride: 8, classes: 47)
        XCTAssertEqual(model.outputShape, [4, 8, 52])
        let url = try temporaryFile("head.safetensors")
        try ModelFile(model: model, labels: LabelMapping.emnistByMerge.labels,
                      training: ["kind": CharacterDetector.kind, "stride": "8", "assignment": "centre-cell", "class_head": "47"])
            .write(to: url)
        let loaded = try CharacterDetector(contentsOf: url.path)
        XCTAssertEqual(loaded.geometry, CenterNetGeometry(stride: 8, assignment: .centreCell, classes: 47))
        XCTAssertEqual(loaded.headLabels, .emnistByMerge)
        XCTAssertEqual(loaded.metadata["class_head"], "47")
        let input = try LineInput(image: Image(contentsOf: Self.sample), height: 32, widthMultiple: 8)
        let original = try CharacterDetector(model: model, metadata: ["stride": "8", "assignment": "centre-cell", "class_head": "47"])
        XCTAssertEqual(try loaded.predict(input).data, try original.predict(input).data)
    }

    func testAFileWithoutTheNewKeysIsTheStrideFourGaussianDetectorWithoutAHead() throws {
        let committed = try CharacterDetector(contentsOf: Self.committedDetector)
        XCTAssertNil(committed.metadata["assignment"])
        XCTAssertEqual(committed.geometry, CenterNetGeometry(stride: 4, assignment: .gaussian, classes: 0))
        XCTAssertNil(committed.headLabels)
    }

    func testTheCommittedHeadModelRecordsItsHeadInItsMetadata() throws {
        let head = try CharacterDetector(contentsOf: Self.root.appendingPathComponent("Models/ocr-detector-head.safetensors").path)
        XCTAssertEqual(head.metadata["class_head"], "47")
        XCTAssertEqual(head.geometry, CenterNetGeometry(stride: 4, assignment: .gaussian, classes: 47))
        XCTAssertEqual(head.headLabels, .emnistByMerge)
        XCTAssertEqual(head.model.outputShape.last, 52)
    }

    func testMetadataThatDisagreesWithTheNetworkIsRefused() throws {
        let plain = try CharacterDetector.makeModel(width: 64)
        XCTAssertThrowsError(try CharacterDetector(model: plain, metadata: ["class_head": "47"])) { error in
            XCTAssertTrue("\(error)".contains("47 head classes"), "\(error)")
        }
        XCTAssertThrowsError(try CharacterDetector(model: plain, metadata: ["stride": "8"]))
        XCTAssertThrowsError(try CharacterDetector(model: plain, metadata: ["stride": "16"]))
        XCTAssertThrowsError(try CharacterDetector(model: plain, metadata: ["assignment": "anchors"]))
        let headed = try CharacterDetector.makeModel(width: 64, classes: 3)
        XCTAssertThrowsError(try CharacterDetector(model: headed, metadata: ["class_head": "3"]), "3 classes need 3 labels") { error in
            XCTAssertTrue("\(error)".contains("3 classes but 47 labels"), "\(error)")
        }
        XCTAssertNoThrow(try CharacterDetector(model: headed, metadata: ["class_head": "3"], headLabels: ["a", "b", "c"]))
        XCTAssertThrowsError(try CharacterDetector.makeModel(width: 64, stride: 2))
    }

    /// A head whose 1x1 kernel is zero: every cell predicts its biases, so
    /// the one 3x3 peak is the first cell (ties go to the earlier cell), its
    /// score sigmoid(5) and its class probabilities softmax(0.1 k), k = 0...46.
    func testLabelsFromTheClassHeadAreTheSoftmaxAtThePeakCell() throws {
        let model = try CharacterDetector.makeModel(width: 128, classes: 47)
        let head = try XCTUnwrap(model.layers.last as? Conv2D)
        head.parameters[0].value.data = [Float](repeating: 0, count: head.parameters[0].value.count)
        let bias = head.parameters[1].value
        for (k, v) in [Float(5), 3, 4, 0.5, 0.5].enumerated() { bias.data[k] = v }
        for k in 0..<47 { bias.data[5 + k] = Float(k) / 10 }
        let detector = try CharacterDetector(model: model, metadata: ["class_head": "47"])
        var options = LineReaderOptions()
        options.labels = .detectorHead
        let reader = LineReader(detector: detector, classifier: try CharacterClassifier(contentsOf: Self.committedClassifier),
                                options: options)
        let image = try Image(contentsOf: Self.sample)
        let reading = try reader.read(image)
        XCTAssertEqual(reading.characters.count, 1)
        let c = try XCTUnwrap(reading.characters.first)
        let denominator = (0..<47).map { exp(Double($0) / 10) }.reduce(0, +)
        XCTAssertEqual(c.label, "t")
        XCTAssertEqual(c.alternatives.map(\.label), ["t", "r", "q"])
        for (alternative, k) in zip(c.alternatives, [46, 45, 44]) {
            XCTAssertEqual(alternative.probability, exp(Double(k) / 10) / denominator, accuracy: 1e-6)
        }
        XCTAssertEqual(c.score, 1 / (1 + exp(-5)), accuracy: 1e-6)
        XCTAssertEqual(reading.text, "t")
        // The box: 3x4 cells of 4 px centred half a cell into the first cell, in image pixels.
        let input = try LineInput(image: image, height: 32, widthMultiple: 4)
        let expected = input.toImage(Box(centerX: 2, centerY: 2, width: 12, height: 16))
            .clipped(width: Double(image.width), height: Double(image.height))
        XCTAssertEqual(c.box.x2, expected.x2, accuracy: 1e-3)
        XCTAssertEqual(c.box.y2, expected.y2, accuracy: 1e-3)
    }

    func testHeadLabelsFromADetectorWithoutAHeadFailClearly() throws {
        var options = LineReaderOptions()
        options.labels = .detectorHead
        XCTAssertThrowsError(try LineReader.load(detector: Self.committedDetector, classifier: Self.committedClassifier,
                                                 options: options)) { error in
            XCTAssertTrue("\(error)".contains("has no class head"), "\(error)")
            XCTAssertTrue("\(error)".contains("--class-head"), "\(error)")
        }
        let reader = LineReader(detector: try CharacterDetector(contentsOf: Self.committedDetector),
                                classifier: try CharacterClassifier(contentsOf: Self.committedClassifier), options: options)
        XCTAssertThrowsError(try reader.read(Image(contentsOf: Self.sample)))
    }
}
