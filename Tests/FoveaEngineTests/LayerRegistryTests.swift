// LayerRegistry: Keras default-name rule and rebuilding layers from the
// Keras config keys each layer reports.

import XCTest
@testable import FoveaEngine

final class LayerRegistryTests: XCTestCase {
    func testSnakeCaseMatchesKerasNames() {
        let expected = ["Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d", "AveragePooling2D": "average_pooling2d",
                        "GlobalAveragePooling2D": "global_average_pooling2d", "Dense": "dense", "Flatten": "flatten",
                        "Reshape": "reshape", "Dropout": "dropout", "BatchNormalization": "batch_normalization",
                        "Activation": "activation", "SpatialSoftArgmax": "spatial_soft_argmax"]
        for (type, name) in expected { XCTAssertEqual(LayerRegistry.snakeCase(type), name) }
        XCTAssertEqual(Set(expected.keys), Set(LayerRegistry.typeNames))
    }

    func testConfigRoundTripRebuildsEquivalentLayers() throws {
        let layers: [Layer] = [
            Conv2D(filters: 8, kernelSize: (3, 2), strides: 2, padding: .same, activation: .relu, useBias: false, name: "c"),
            MaxPooling2D(poolSize: 3, strides: 2, padding: .same, name: "m"),
            AveragePooling2D(poolSize: 2, name: "a"), GlobalAveragePooling2D(name: "g"),
            Dense(units: 5, activation: .softmax, name: "d"), Flatten(name: "f"), Reshape([-1, 4], name: "r"),
            Dropout(rate: 0.25, name: "o"), BatchNormalization(momentum: 0.9, epsilon: 1e-5, name: "b"),
            ActivationLayer(.tanh, name: "t"), SpatialSoftArgmax(x0: -0.5, dx: 0.25, y0: 1, dy: -2, name: "s"),
        ]
        for layer in layers {
            let config = LayerRegistry.config(of: layer)
            let rebuilt = try LayerRegistry.make(typeName: layer.typeName, config: config)
            XCTAssertEqual(rebuilt.typeName, layer.typeName)
            XCTAssertEqual(rebuilt.name, layer.name)
            XCTAssertEqual(NSDictionary(dictionary: LayerRegistry.config(of: rebuilt)), NSDictionary(dictionary: config),
                           layer.typeName)
        }
    }

    func testKerasStyleConfigAndErrors() throws {
        // As json.loads gives it for a Keras MaxPooling2D with strides null.
        let pool = try LayerRegistry.make(typeName: "MaxPooling2D", config: ["pool_size": [2, 2], "strides": NSNull(), "padding": "valid"])
        XCTAssertEqual((pool as? MaxPooling2D)?.strides, 2)
        XCTAssertThrowsError(try LayerRegistry.make(typeName: "LSTM", config: [:]))
        XCTAssertThrowsError(try LayerRegistry.make(typeName: "Dense", config: ["units": 3, "activation": "swish"]))
        XCTAssertThrowsError(try LayerRegistry.make(typeName: "Conv2D", config: ["filters": 3, "kernel_size": [3, 3], "padding": "causal"]))
    }
}
