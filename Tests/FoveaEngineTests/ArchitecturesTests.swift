// Built-in architectures against Keras: every layer's name, class, output
// shape and parameter count, and the model totals, as Keras 3 reports them for
// the same model built in Python (numbers printed by
// `python3 Tools/keras_reference.py --swift`, tensorflow 2.21 / Keras 3.15.1).
import XCTest
@testable import FoveaEngine

struct KerasReference {
    let total: Int
    let trainable: Int
    let nonTrainable: Int
    let layers: [(name: String, type: String, shape: [Int], params: Int)]
    /// The three totals lines of Keras' model.summary().
    let totalsLines: [String]
}

let kerasReference: [String: KerasReference] = [
    // textbook-cnn: Keras 3.15.1
    "textbook-cnn": KerasReference(
        total: 2808751, trainable: 2808751, nonTrainable: 0,
        layers: [
            ("reshape", "Reshape", [28, 28, 1], 0),
            ("conv2d", "Conv2D", [26, 26, 64], 640),
            ("max_pooling2d", "MaxPooling2D", [13, 13, 64], 0),
            ("flatten", "Flatten", [10816], 0),
            ("dense", "Dense", [256], 2769152),
            ("dense_1", "Dense", [128], 32896),
            ("dense_2", "Dense", [47], 6063),
        ],
        totalsLines: ["Total params: 2,808,751 (10.71 MB)", "Trainable params: 2,808,751 (10.71 MB)", "Non-trainable params: 0 (0.00 B)"]),
    // chollet-convnet: Keras 3.15.1
    "chollet-convnet": KerasReference(
        total: 93322, trainable: 93322, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [26, 26, 32], 320),
            ("max_pooling2d", "MaxPooling2D", [13, 13, 32], 0),
            ("conv2d_1", "Conv2D", [11, 11, 64], 18496),
            ("max_pooling2d_1", "MaxPooling2D", [5, 5, 64], 0),
            ("conv2d_2", "Conv2D", [3, 3, 64], 36928),
            ("flatten", "Flatten", [576], 0),
            ("dense", "Dense", [64], 36928),
            ("dense_1", "Dense", [10], 650),
        ],
        totalsLines: ["Total params: 93,322 (364.54 KB)", "Trainable params: 93,322 (364.54 KB)", "Non-trainable params: 0 (0.00 B)"]),
    // chollet-conv-base: Keras 3.15.1
    "chollet-conv-base": KerasReference(
        total: 55744, trainable: 55744, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [26, 26, 32], 320),
            ("max_pooling2d", "MaxPooling2D", [13, 13, 32], 0),
            ("conv2d_1", "Conv2D", [11, 11, 64], 18496),
            ("max_pooling2d_1", "MaxPooling2D", [5, 5, 64], 0),
            ("conv2d_2", "Conv2D", [3, 3, 64], 36928),
        ],
        totalsLines: ["Total params: 55,744 (217.75 KB)", "Trainable params: 55,744 (217.75 KB)", "Non-trainable params: 0 (0.00 B)"]),
    // lenet5: Keras 3.15.1
    "lenet5": KerasReference(
        total: 61706, trainable: 61706, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [28, 28, 6], 156),
            ("average_pooling2d", "AveragePooling2D", [14, 14, 6], 0),
            ("conv2d_1", "Conv2D", [10, 10, 16], 2416),
            ("average_pooling2d_1", "AveragePooling2D", [5, 5, 16], 0),
            ("flatten", "Flatten", [400], 0),
            ("dense", "Dense", [120], 48120),
            ("dense_1", "Dense", [84], 10164),
            ("dense_2", "Dense", [10], 850),
        ],
        totalsLines: ["Total params: 61,706 (241.04 KB)", "Trainable params: 61,706 (241.04 KB)", "Non-trainable params: 0 (0.00 B)"]),
    // lenet5-32x32x3-100: Keras 3.15.1
    "lenet5-32x32x3-100": KerasReference(
        total: 90776, trainable: 90776, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [32, 32, 6], 456),
            ("average_pooling2d", "AveragePooling2D", [16, 16, 6], 0),
            ("conv2d_1", "Conv2D", [12, 12, 16], 2416),
            ("average_pooling2d_1", "AveragePooling2D", [6, 6, 16], 0),
            ("flatten", "Flatten", [576], 0),
            ("dense", "Dense", [120], 69240),
            ("dense_1", "Dense", [84], 10164),
            ("dense_2", "Dense", [100], 8500),
        ],
        totalsLines: ["Total params: 90,776 (354.59 KB)", "Trainable params: 90,776 (354.59 KB)", "Non-trainable params: 0 (0.00 B)"]),
    // geron-deep-10: Keras 3.15.1
    "geron-deep-10": KerasReference(
        total: 1413834, trainable: 1413834, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [28, 28, 64], 3200),
            ("max_pooling2d", "MaxPooling2D", [14, 14, 64], 0),
            ("conv2d_1", "Conv2D", [14, 14, 128], 73856),
            ("conv2d_2", "Conv2D", [14, 14, 128], 147584),
            ("max_pooling2d_1", "MaxPooling2D", [7, 7, 128], 0),
            ("conv2d_3", "Conv2D", [7, 7, 256], 295168),
            ("conv2d_4", "Conv2D", [7, 7, 256], 590080),
            ("max_pooling2d_2", "MaxPooling2D", [3, 3, 256], 0),
            ("flatten", "Flatten", [2304], 0),
            ("dense", "Dense", [128], 295040),
            ("dropout", "Dropout", [128], 0),
            ("dense_1", "Dense", [64], 8256),
            ("dropout_1", "Dropout", [64], 0),
            ("dense_2", "Dense", [10], 650),
        ],
        totalsLines: ["Total params: 1,413,834 (5.39 MB)", "Trainable params: 1,413,834 (5.39 MB)", "Non-trainable params: 0 (0.00 B)"]),
    // geron-deep-47: Keras 3.15.1
    "geron-deep-47": KerasReference(
        total: 1416239, trainable: 1416239, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [28, 28, 64], 3200),
            ("max_pooling2d", "MaxPooling2D", [14, 14, 64], 0),
            ("conv2d_1", "Conv2D", [14, 14, 128], 73856),
            ("conv2d_2", "Conv2D", [14, 14, 128], 147584),
            ("max_pooling2d_1", "MaxPooling2D", [7, 7, 128], 0),
            ("conv2d_3", "Conv2D", [7, 7, 256], 295168),
            ("conv2d_4", "Conv2D", [7, 7, 256], 590080),
            ("max_pooling2d_2", "MaxPooling2D", [3, 3, 256], 0),
            ("flatten", "Flatten", [2304], 0),
            ("dense", "Dense", [128], 295040),
            ("dropout", "Dropout", [128], 0),
            ("dense_1", "Dense", [64], 8256),
            ("dropout_1", "Dropout", [64], 0),
            ("dense_2", "Dense", [47], 3055),
        ],
        totalsLines: ["Total params: 1,416,239 (5.40 MB)", "Trainable params: 1,416,239 (5.40 MB)", "Non-trainable params: 0 (0.00 B)"]),
    // fovea-emnist: Keras 3.15.1
    "fovea-emnist": KerasReference(
        total: 881487, trainable: 880591, nonTrainable: 896,
        layers: [
            ("conv2d", "Conv2D", [28, 28, 32], 288),
            ("batch_normalization", "BatchNormalization", [28, 28, 32], 128),
            ("activation", "Activation", [28, 28, 32], 0),
            ("conv2d_1", "Conv2D", [28, 28, 32], 9216),
            ("batch_normalization_1", "BatchNormalization", [28, 28, 32], 128),
            ("activation_1", "Activation", [28, 28, 32], 0),
            ("max_pooling2d", "MaxPooling2D", [14, 14, 32], 0),
            ("conv2d_2", "Conv2D", [14, 14, 64], 18432),
            ("batch_normalization_2", "BatchNormalization", [14, 14, 64], 256),
            ("activation_2", "Activation", [14, 14, 64], 0),
            ("conv2d_3", "Conv2D", [14, 14, 64], 36864),
            ("batch_normalization_3", "BatchNormalization", [14, 14, 64], 256),
            ("activation_3", "Activation", [14, 14, 64], 0),
            ("max_pooling2d_1", "MaxPooling2D", [7, 7, 64], 0),
            ("flatten", "Flatten", [3136], 0),
            ("dense", "Dense", [256], 802816),
            ("batch_normalization_4", "BatchNormalization", [256], 1024),
            ("activation_4", "Activation", [256], 0),
            ("dropout", "Dropout", [256], 0),
            ("dense_1", "Dense", [47], 12079),
        ],
        totalsLines: ["Total params: 881,487 (3.36 MB)", "Trainable params: 880,591 (3.36 MB)", "Non-trainable params: 896 (3.50 KB)"]),
    // textbook-cls-loc: Keras 3.15.1
    "textbook-cls-loc": KerasReference(
        total: 426638, trainable: 426638, nonTrainable: 0,
        layers: [
            ("conv2d", "Conv2D", [73, 73, 16], 160),
            ("average_pooling2d", "AveragePooling2D", [36, 36, 16], 0),
            ("conv2d_1", "Conv2D", [34, 34, 32], 4640),
            ("average_pooling2d_1", "AveragePooling2D", [17, 17, 32], 0),
            ("conv2d_2", "Conv2D", [15, 15, 64], 18496),
            ("average_pooling2d_2", "AveragePooling2D", [7, 7, 64], 0),
            ("flatten", "Flatten", [3136], 0),
            ("dense", "Dense", [128], 401536),
            ("classification", "Dense", [10], 1290),
            ("bounding_box", "Dense", [4], 516),
        ],
        totalsLines: ["Total params: 426,638 (1.63 MB)", "Trainable params: 426,638 (1.63 MB)", "Non-trainable params: 0 (0.00 B)"]),
]

final class ArchitecturesTests: XCTestCase {
    override func setUp() {
        Engine.seed(1)
    }

    private func assertMatchesKeras(_ model: Sequential, _ key: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let ref = kerasReference[key] else { return XCTFail("no Keras reference for \(key)", file: file, line: line) }
        XCTAssertEqual(model.layers.count, ref.layers.count, "\(key): layer count", file: file, line: line)
        for (i, (layer, expected)) in zip(model.layers, ref.layers).enumerated() {
            XCTAssertEqual(layer.name, expected.name, "\(key) layer \(i) name", file: file, line: line)
            XCTAssertEqual(layer.typeName, expected.type, "\(key) layer \(i) class", file: file, line: line)
            XCTAssertEqual(model.outputShapes[i], expected.shape, "\(key) \(expected.name) output shape", file: file, line: line)
            XCTAssertEqual(layer.parameters.reduce(0) { $0 + $1.value.count }, expected.params,
                           "\(key) \(expected.name) params", file: file, line: line)
        }
        let summary = ModelSummary(model: "sequential", inputShape: model.inputShape,
                                   layers: model.layers, outputShapes: model.outputShapes)
        XCTAssertEqual(summary.totalParams, ref.total, "\(key) total", file: file, line: line)
        XCTAssertEqual(summary.trainableParams, ref.trainable, "\(key) trainable", file: file, line: line)
        XCTAssertEqual(summary.nonTrainableParams, ref.nonTrainable, "\(key) non-trainable", file: file, line: line)
    }

    func testTextbookCNN() throws {
        let model = try Architecture.textbookCNN.make()
        XCTAssertEqual(model.inputShape, [28, 28])
        assertMatchesKeras(model, "textbook-cnn")
    }

    func testCholletConvnetAndItsConvBase() throws {
        assertMatchesKeras(try Architecture.cholletConvnet.make(), "chollet-convnet")
        assertMatchesKeras(try Architecture.cholletConvBase.make(), "chollet-conv-base")
    }

    func testLeNet5WithDefaultAndCustomInputAndClasses() throws {
        assertMatchesKeras(try Architecture.lenet5.make(), "lenet5")
        assertMatchesKeras(try Architecture.lenet5.make(classes: 100, inputShape: [32, 32, 3]), "lenet5-32x32x3-100")
    }

    func testGeronDeepForTenAndFortySevenClasses() throws {
        assertMatchesKeras(try Architecture.geronDeep.make(), "geron-deep-10")
        assertMatchesKeras(try Architecture.geronDeep.make(classes: 47), "geron-deep-47")
    }

    func testFoveaEMNISTCountsBatchNormStatisticsAsNonTrainable() throws {
        assertMatchesKeras(try Architecture.foveaEMNIST.make(), "fovea-emnist")
    }

    func testTextbookClassificationLocalisationHeads() throws {
        let model = try MultiOutputArchitecture.textbookClsLoc.make()
        XCTAssertEqual(model.heads.map(\.name), ["classification", "bounding_box"])
        XCTAssertEqual(model.heads.map(\.weight), [0.8, 0.2])
        XCTAssertTrue(model.heads[0].loss is SoftmaxCrossEntropy)
        XCTAssertTrue(model.heads[1].loss is MeanSquaredError)
        let ref = kerasReference["textbook-cls-loc"]!
        let layers = model.trunk.layers + model.heads.flatMap(\.model.layers)
        let shapes = model.trunk.outputShapes + model.heads.flatMap(\.model.outputShapes)
        XCTAssertEqual(layers.map(\.name), ref.layers.map(\.name))
        XCTAssertEqual(layers.map(\.typeName), ref.layers.map(\.type))
        XCTAssertEqual(shapes, ref.layers.map(\.shape))
        XCTAssertEqual(layers.map { $0.parameters.reduce(0) { $0 + $1.value.count } }, ref.layers.map(\.params))
        let summary = ModelSummary(model)
        XCTAssertEqual([summary.totalParams, summary.trainableParams, summary.nonTrainableParams],
                       [ref.total, ref.trainable, ref.nonTrainable])
        let x = Tensor(shape: [2, 75, 75, 1], repeating: 0.5)
        let out = model.forward(x)
        XCTAssertEqual(out["classification"]?.shape, [2, 10])
        XCTAssertEqual(out["bounding_box"]?.shape, [2, 4])
    }

    func testEveryArchitectureHasAKerasReference() {
        for arch in Architecture.allCases.map(\.rawValue) + MultiOutputArchitecture.allCases.map(\.rawValue) {
            XCTAssertTrue(kerasReference.keys.contains { $0 == arch || $0.hasPrefix(arch + "-") },
                          "\(arch) has no Keras reference: add it to Tools/keras_reference.py")
        }
    }

    func testRejectsImpossibleParameters() {
        XCTAssertThrowsError(try Architecture.lenet5.make(classes: 0))
        XCTAssertThrowsError(try Architecture.geronDeep.make(inputShape: [28, 28]))
        // Three valid 2x2 poolings cannot shrink a 4x4 image: the engine reports it instead of building.
        XCTAssertThrowsError(try Architecture.geronDeep.make(inputShape: [4, 4, 1]))
    }
}
