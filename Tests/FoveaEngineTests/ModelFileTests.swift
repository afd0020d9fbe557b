// Whole models in safetensors files: a saved model comes back with the same
// architecture, weights, BatchNormalization statistics, frozen flags, labels
// and predictions; a file that does not fit its model is refused with a typed
// error naming the tensor.
import Foundation
import XCTest
@testable import FoveaEngine

final class ModelFileTests: XCTestCase {
    override func setUp() {
        Engine.seed(7)
    }

    private func randomInput(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.nextUnitFloat() })
    }

    func testRoundTripRestoresArchitectureWeightsStateAndPredictions() throws {
        let model = try Architecture.foveaEMNIST.make()
        // Non-default moving statistics, so that the state really has to travel.
        for p in model.parameters where p.isState {
            for i in p.value.data.indices { p.value.data[i] = 0.5 + Float(i % 7) * 0.125 }
        }
        model.layers[0].trainable = false
        let labels = (0..<47).map { "c\($0)" }
        let saved = ModelFile(model: model, labels: labels, training: ["epochs": "3", "val_accuracy": "0.91"])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-model-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try saved.write(to: url)

        Engine.seed(99)  // a different seed: every weight must come from the file
        let loaded = try ModelFile(contentsOf: url)
        XCTAssertEqual(loaded.labels, labels)
        XCTAssertEqual(loaded.training, ["epochs": "3", "val_accuracy": "0.91"])
        XCTAssertEqual(loaded.model.inputShape, [28, 28, 1])
        XCTAssertEqual(loaded.model.layers.map(\.name), model.layers.map(\.name))
        XCTAssertEqual(loaded.model.layers.map(\.typeName), model.layers.map(\.typeName))
        XCTAssertEqual(loaded.model.outputShapes, model.outputShapes)
        XCTAssertEqual(loaded.model.layers.map(\.trainable), model.layers.map(\.trainable))
        XCTAssertEqual(loaded.model.parameters.map(\.isState), model.parameters.map(\.isState))
        for (a, b) in zip(model.parameters, loaded.model.parameters) {
            XCTAssertEqual(a.value.data, b.value.data, a.name)
        }
        let x = randomInput([3, 28, 28, 1], seed: 5)
        XCTAssertEqual(loaded.model.forward(x, training: false).data, model.forward(x, training: false).data)
    }

    func testTensorsAreKeyedAsKerasWeightPaths() throws {
        // Keras 3 names these weights sequential/<layer>/<weight>; Fovea drops the model prefix.
        let file = try ModelFile(model: Architecture.foveaEMNIST.make()).safetensors()
        XCTAssertEqual(Array(file.names.prefix(6)), [
            "conv2d/kernel", "batch_normalization/gamma", "batch_normalization/beta",
            "batch_normalization/moving_mean", "batch_normalization/moving_variance", "conv2d_1/kernel",
        ])
        XCTAssertEqual(file.names.last, "dense_1/bias")
        XCTAssertEqual(file.tensors["conv2d/kernel"]?.shape, [3, 3, 1, 32])
        XCTAssertEqual(file.tensors["dense/kernel"]?.shape, [3136, 256])
    }

    func testEveryArchitectureSurvivesTheArchitectureJSON() throws {
        for arch in Architecture.allCases {
            let model = try arch.make()
            let text = try ModelFile(model: model).architectureJSON()
            let rebuilt = try ModelFile.buildModel(architecture: text, source: "t")
            XCTAssertEqual(rebuilt.inputShape, model.inputShape, arch.rawValue)
            XCTAssertEqual(rebuilt.outputShapes, model.outputShapes, arch.rawValue)
            XCTAssertEqual(rebuilt.layers.map(\.name), model.layers.map(\.name), arch.rawValue)
            XCTAssertEqual(LayerRegistry.config(of: rebuilt.layers.last!) as NSDictionary,
                           LayerRegistry.config(of: model.layers.last!) as NSDictionary, arch.rawValue)
        }
    }

    // MARK: Files that do not fit

    private func damaged(_ edit: (inout SafetensorsFile) -> Void) throws -> SafetensorsFile {
        var file = try ModelFile(model: Architecture.lenet5.make()).safetensors()
        edit(&file)
        // Through the bytes, as a real file would come.
        return try SafetensorsFile(decoding: file.encoded(), source: "m.safetensors")
    }

    private func assertRefused(_ file: SafetensorsFile, _ check: (Error) -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile(file: file, source: "m.safetensors"), line: line) { error in
            check(error)
            XCTAssertTrue("\(error)".contains("m.safetensors"), "message names the file", line: line)
        }
    }

    func testMissingTensor() throws {
        let file = try damaged { f in
            f.names.removeAll { $0 == "dense_1/bias" }
            f.tensors["dense_1/bias"] = nil
        }
        assertRefused(file) { XCTAssertEqual($0 as? SafetensorsError, .missingTensor(file: "m.safetensors", tensor: "dense_1/bias")) }
    }

    func testTensorWithTheWrongShape() throws {
        let file = try damaged { f in f.tensors["conv2d/kernel"] = Tensor(shape: [5, 5, 1, 7]) }
        assertRefused(file) {
            XCTAssertEqual($0 as? SafetensorsError, .shapeMismatch(file: "m.safetensors", tensor: "conv2d/kernel",
                                                                  expected: [5, 5, 1, 6], found: [5, 5, 1, 7]))
        }
    }

    func testTensorNoLayerOwns() throws {
        let file = try damaged { f in f.append("dense_9/kernel", Tensor(shape: [2, 2])) }
        assertRefused(file) { XCTAssertEqual($0 as? SafetensorsError, .unexpectedTensor(file: "m.safetensors", tensor: "dense_9/kernel")) }
    }

    func testBareWeightFileWithoutArchitecture() throws {
        let file = try damaged { f in f.metadata["architecture"] = nil }
        assertRefused(file) { XCTAssertEqual($0 as? ModelFileError, .noArchitecture(file: "m.safetensors")) }
    }

    func testUnknownLayerClass() throws {
        let file = try damaged { f in
            f.metadata["architecture"] = f.metadata["architecture"]!.replacingOccurrences(of: "\"AveragePooling2D\"", with: "\"LSTM\"")
        }
        assertRefused(file) {
            XCTAssertEqual($0 as? ModelFileError, .unknownLayer(file: "m.safetensors", layer: "average_pooling2d", className: "LSTM"))
        }
    }

    func testArchitectureThatIsNotKerasJSON() throws {
        for text in ["not json", "[]", #"{"class_name":"Functional","config":{"layers":[]}}"#,
                     #"{"class_name":"Sequential","config":{"layers":[{"class_name":"Dense","config":{"units":3}}]}}"#,
                     #"{"class_name":"Sequential","config":{"layers":[{"class_name":"InputLayer","config":{"batch_shape":[null,4]}},{"class_name":"Dense","config":{"name":"d"}}]}}"#] {
            let file = try damaged { f in f.metadata["architecture"] = text }
            assertRefused(file) { error in
                guard case .badArchitecture = error as? ModelFileError else { return XCTFail("\(text): \(error)") }
            }
        }
    }

    func testLabelsThatAreNotAStringArray() throws {
        let file = try damaged { f in f.metadata["labels"] = "{\"a\": 1}" }
        assertRefused(file) {
            XCTAssertEqual($0 as? ModelFileError, .badMetadata(file: "m.safetensors", key: "labels", expected: "a JSON array of strings"))
        }
    }
}

final class MultiOutputModelFileTests: XCTestCase {
    func testRoundTripKeepsHeadsLossesWeightsAndPredictions() throws {
        Engine.seed(3)
        let model = try MultiOutputArchitecture.textbookClsLoc.make(classes: 5, inputShape: [40, 40, 1])
        let data = try MultiOutputModelFile(model: model, labels: ["a", "b", "c", "d", "e"]).safetensors().encoded()
        Engine.seed(4)
        let loaded = try MultiOutputModelFile(file: SafetensorsFile(decoding: data, source: "m"), source: "m")
        XCTAssertEqual(loaded.labels, ["a", "b", "c", "d", "e"])
        XCTAssertEqual(loaded.model.heads.map(\.name), ["classification", "bounding_box"])
        XCTAssertEqual(loaded.model.heads.map(\.weight), [0.8, 0.2])
        let ce = try XCTUnwrap(loaded.model.heads[0].loss as? SoftmaxCrossEntropy)
        XCTAssertTrue(ce.sparse)
        XCTAssertFalse(ce.fromLogits)
        XCTAssertTrue(loaded.model.heads[1].loss is MeanSquaredError)
        XCTAssertEqual(loaded.model.trunk.outputShapes, model.trunk.outputShapes)
        var rng = SplitMix64(seed: 8)
        let x = Tensor(shape: [2, 40, 40, 1], data: (0..<3200).map { _ in rng.nextUnitFloat() })
        let a = model.forward(x), b = loaded.model.forward(x)
        XCTAssertEqual(a["classification"]?.data, b["classification"]?.data)
        XCTAssertEqual(a["bounding_box"]?.data, b["bounding_box"]?.data)
    }

    func testDuplicateLayerNamesAcrossTrunkAndHeadsAreRefusedAtSave() throws {
        let trunk = try Sequential(inputShape: [4], layers: [Dense(units: 3)])
        let head = try Sequential(inputShape: [3], layers: [Dense(units: 2)])  // also named "dense"
        let model = try MultiOutputModel(trunk: trunk, heads: [.init(name: "h", model: head, loss: MeanSquaredError())])
        XCTAssertThrowsError(try MultiOutputModelFile(model: model).safetensors()) { error in
            XCTAssertTrue("\(error)".contains("'dense'"), "\(error)")
        }
    }

    func testSingleOutputLoaderPointsToTheMultiOutputOne() throws {
        let file = try MultiOutputModelFile(model: MultiOutputArchitecture.textbookClsLoc.make()).safetensors()
        XCTAssertEqual(ModelFile.architectureClass(of: file), "FoveaMultiOutput")
        XCTAssertThrowsError(try ModelFile(file: file, source: "m")) { error in
            XCTAssertTrue("\(error)".contains("MultiOutputModelFile"), "\(error)")
        }
    }
}

final class KerasModelFileTests: XCTestCase {
    func testLoadsAModelSavedFromKerasAndPredictsAsKeras() throws {
        let data = Data(base64Encoded: KerasModelFixture.safetensorsBase64, options: .ignoreUnknownCharacters)!
        let file = try ModelFile(file: SafetensorsFile(decoding: data, source: "keras.safetensors"), source: "keras.safetensors")
        XCTAssertEqual(file.labels, ["a", "b", "c"])
        XCTAssertEqual(file.model.layers.map(\.typeName), ["Conv2D", "BatchNormalization", "MaxPooling2D", "Conv2D",
                                                           "AveragePooling2D", "Flatten", "Dense", "Dropout", "Dense"])
        XCTAssertEqual(file.model.outputShapes[0], [10, 9, 4])
        let x = Tensor(shape: [2, 12, 10, 2], data: KerasModelFixture.input)
        let y = file.model.predict(x, batchSize: 2)
        XCTAssertEqual(y.shape, [2, 3])
        for (a, b) in zip(y.data, KerasModelFixture.kerasPrediction) {
            XCTAssertEqual(a, b, accuracy: 2e-6)
        }
    }
}
