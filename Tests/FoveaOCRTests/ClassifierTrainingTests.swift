// Tests of classifier training: the seeded validation split, architecture
// names, and a short in-process run whose kept checkpoint must reproduce the
// engine's own validation accuracy for the epoch it was saved at.
import FoveaEngine
import Foundation
import XCTest
@testable import FoveaOCR

final class ClassifierTrainingTests: XCTestCase {
    func testSplitIsSeededDisjointAndComplete() {
        let (train, validation) = ClassifierTraining.split(count: 100, validationFraction: 0.1, seed: 5)
        XCTAssertEqual(train.count, 90)
        XCTAssertEqual(validation.count, 10)
        XCTAssertEqual(Set(train + validation), Set(0..<100))
        XCTAssertEqual(ClassifierTraining.split(count: 100, validationFraction: 0.1, seed: 5).validation, validation)
        XCTAssertNotEqual(ClassifierTraining.split(count: 100, validationFraction: 0.1, seed: 6).validation, validation)
        XCTAssertEqual(ClassifierTraining.split(count: 7, validationFraction: 0, seed: 1).train, Array(0..<7))
    }

    func testArchitecturesByName() throws {
        let tiny = try ClassifierTraining.makeModel(architecture: "tiny-cnn", classes: 47)
        XCTAssertEqual(tiny.outputShape, [47])
        XCTAssertEqual(tiny.layers.map(\.name), ["conv2d", "max_pooling2d", "flatten", "dense"])
        // Every advertised architecture builds for 28x28 characters with the requested classes.
        for name in ClassifierTraining.architectureNames {
            XCTAssertEqual(try ClassifierTraining.makeModel(architecture: name, classes: 10).outputShape, [10], name)
        }
        XCTAssertThrowsError(try ClassifierTraining.makeModel(architecture: "chollet-conv-base", classes: 47))
        XCTAssertThrowsError(try ClassifierTraining.makeModel(architecture: "vgg", classes: 47)) { error in
            XCTAssertTrue("\(error)".contains("fovea-emnist") && "\(error)".contains("tiny-cnn"), "\(error)")
        }
    }

    /// A model path in the temporary folder, removed when the test ends.
    private func temporaryModelFile() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-model-\(UUID().uuidString).safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func miniSubset(_ n: Int) throws -> EMNISTDataset {
        try EMNISTDataset.load(images: TestPaths.mini("emnist-mini-train-images-idx3-ubyte.gz"),
                               labels: TestPaths.mini("emnist-mini-train-labels-idx1-ubyte.gz"))
            .subset(Array(0..<n))
    }

    func testKeptCheckpointReproducesTheBestValidationAccuracy() throws {
        let data = try miniSubset(800)
        let output = temporaryModelFile()
        var options = ClassifierTrainingOptions()
        options.architecture = "tiny-cnn"
        options.epochs = 3
        options.batchSize = 32
        options.learningRate = 0.003
        options.validationSplit = 0.25
        options.augmentation = AugmentationOptions()
        var savedEpochs = [Int]()
        let result = try ClassifierTraining.train(data: data, mapping: .emnistByMerge, options: options, output: output,
                                                  onEpoch: { epoch, saved in if saved { savedEpochs.append(epoch.epoch) } })
        XCTAssertEqual(result.trainCount, 600)
        XCTAssertEqual(result.validation?.count, 200)
        let valAccuracy = result.history.valAccuracy
        XCTAssertEqual(valAccuracy.count, 3)
        // The kept epoch is the first with the highest validation accuracy, and was saved then.
        let best = valAccuracy.indices.max { valAccuracy[$0] < valAccuracy[$1] || (valAccuracy[$0] == valAccuracy[$1] && $0 > $1) }!
        XCTAssertEqual(result.bestEpoch, best + 1)
        XCTAssertEqual(savedEpochs.last, best + 1)
        // Reloaded from disk and evaluated by FoveaOCR, it scores what the engine measured during training.
        let confusion = try XCTUnwrap(result.confusion)
        XCTAssertEqual(confusion.total, 200)
        XCTAssertEqual(confusion.accuracy, Double(valAccuracy[best]), accuracy: 1e-6)
        XCTAssertGreaterThan(confusion.accuracy, 1.0 / 47)
    }

    func testSameSeedSameRun() throws {
        let data = try miniSubset(300)
        var options = ClassifierTrainingOptions()
        options.architecture = "tiny-cnn"
        options.epochs = 1
        options.augmentation = AugmentationOptions(elasticAlpha: 4)
        func run(seed: UInt64) throws -> [Float] {
            options.seed = seed
            let output = temporaryModelFile()
            let h = try ClassifierTraining.train(data: data, mapping: .emnistByMerge, options: options, output: output).history
            return h.loss + h.valLoss
        }
        let first = try run(seed: 9)
        XCTAssertEqual(try run(seed: 9), first)
        XCTAssertNotEqual(try run(seed: 10), first)
    }

    func testEarlyStoppingEndsAPlateau() throws {
        let data = try miniSubset(200)
        let output = temporaryModelFile()
        var options = ClassifierTrainingOptions()
        options.architecture = "tiny-cnn"
        options.epochs = 6
        // A learning rate too small to change any prediction: validation accuracy cannot improve.
        options.learningRate = 1e-12
        options.validationSplit = 0.5
        options.earlyStoppingPatience = 2
        let result = try ClassifierTraining.train(data: data, mapping: .emnistByMerge, options: options, output: output)
        XCTAssertEqual(result.history.epochsRun, 3)
        XCTAssertEqual(result.bestEpoch, 1)
    }

    func testBadOptionsAreRejected() throws {
        let data = try miniSubset(10)
        let output = URL(fileURLWithPath: "/nonexistent/never.safetensors")
        var options = ClassifierTrainingOptions()
        options.validationSplit = 1
        XCTAssertThrowsError(try ClassifierTraining.train(data: data, mapping: .emnistByMerge, options: options, output: output))
        options = ClassifierTrainingOptions()
        XCTAssertThrowsError(try ClassifierTraining.train(data: data, mapping: LabelMapping(labels: ["0", "1"]),
                                                          options: options, output: output)) { error in
            XCTAssertTrue("\(error)".contains("label mapping"), "\(error)")
        }
    }
}
