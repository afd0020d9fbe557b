// ONNX export: the file parses back with SwiftProtobuf into the expected
// nodes, initializers (BatchNormalization folded, kernels OIHW) and named
// NHWC inputs and outputs, for a hand-set model and the committed ones.
import FoveaEngine
@testable import FoveaExport
import SwiftProtobuf
import XCTest

final class ONNXExportTests: XCTestCase {
    private func parse(_ graph: ExportGraph, opset: Int = 17) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try ONNXWriter.serialized(graph, opset: opset))
    }

    private func floats(_ t: Onnx_TensorProto) -> [Float] {
        t.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func testTinyClassifierHasTransposedConvFoldedWeightsAndNamedNHWCContract() throws {
        let m = try parse(try ExportFixtures.tinyClassifier().exportGraph())
        XCTAssertEqual(m.irVersion, 8)
        XCTAssertEqual(m.opsetImport.map(\.version), [17])
        XCTAssertEqual(m.graph.node.map(\.opType), ["Transpose", "Conv", "Relu", "MaxPool", "Transpose", "Reshape", "Gemm", "Softmax"])
        XCTAssertEqual(m.graph.node[0].attribute.first { $0.name == "perm" }?.ints, [0, 3, 1, 2])
        XCTAssertEqual(m.graph.node[4].attribute.first { $0.name == "perm" }?.ints, [0, 2, 3, 1],
                       "features go back to NHWC before Flatten, so the Dense kernel keeps the engine's row order")
        let conv = m.graph.node[1]
        XCTAssertEqual(conv.attribute.first { $0.name == "auto_pad" }.map { String(decoding: $0.s, as: UTF8.self) }, "SAME_UPPER")
        XCTAssertEqual(conv.attribute.first { $0.name == "kernel_shape" }?.ints, [3, 3])

        let inits = Dictionary(uniqueKeysWithValues: m.graph.initializer.map { ($0.name, $0) })
        XCTAssertEqual(Set(inits.keys), ["conv/kernel", "conv/bias", "flatten/shape", "dense/kernel", "dense/bias"])
        let kernel = inits["conv/kernel"]!
        XCTAssertEqual(kernel.dims, [2, 1, 3, 3])
        // OIHW element (o 1, i 0, y 0, x 2) is the engine's [y 0][x 2][i 0][o 1] = index 5, value 0.5, times BN's scale.
        XCTAssertEqual(floats(kernel)[((1 * 1 + 0) * 3 + 0) * 3 + 2], 0.5 * ExportFixtures.scale(1), accuracy: 1e-6)
        XCTAssertEqual(floats(kernel)[0], 0, accuracy: 1e-7)
        // No conv bias: the folded bias is β − μ·scale.
        let bias = floats(inits["conv/bias"]!)
        XCTAssertEqual(bias[0], 0.1 - 0.3 * ExportFixtures.scale(0), accuracy: 1e-6)
        XCTAssertEqual(bias[1], -0.2 - 0.4 * ExportFixtures.scale(1), accuracy: 1e-6)
        XCTAssertEqual(inits["flatten/shape"]!.rawData.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }, [0, 8])
        XCTAssertEqual(inits["dense/kernel"]!.dims, [8, 3])
        XCTAssertEqual(floats(inits["dense/kernel"]!)[7], 0.07, accuracy: 1e-7)

        let input = m.graph.input[0], output = m.graph.output[0]
        XCTAssertEqual(input.name, "image")
        XCTAssertEqual(input.type.tensorType.shape.dim.map(\.dimParam), ["N", "", "", ""])
        XCTAssertEqual(input.type.tensorType.shape.dim.dropFirst().map(\.dimValue), [4, 4, 1])
        XCTAssertEqual(output.name, "probabilities")
        XCTAssertEqual(output.type.tensorType.shape.dim.map(\.dimValue), [0, 3])
        XCTAssertEqual(m.graph.node.last?.output, ["probabilities"])
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(meta["labels"], #"["a","b","c"]"#)
        XCTAssertEqual(meta["kind"], "classifier")
    }

    func testFixedBatchIsWrittenAsADimValue() throws {
        let m = try parse(try ExportFixtures.tinyClassifier().exportGraph(batch: .fixed(8)))
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim.map(\.dimValue), [8, 4, 4, 1])
        XCTAssertEqual(m.graph.output[0].type.tensorType.shape.dim.map(\.dimValue), [8, 3])
    }

    func testAveragePoolingLoneBatchNormTanhSigmoidAndGlobalPoolingMapToTheirOps() throws {
        let m = try parse(try ExportFixtures.otherOps().exportGraph())
        XCTAssertEqual(m.graph.node.map(\.opType),
                       ["Transpose", "Conv", "Tanh", "AveragePool", "Mul", "Add", "Sigmoid", "GlobalAveragePool", "Flatten", "Gemm"])
        let avg = m.graph.node[3]
        XCTAssertEqual(avg.attribute.first { $0.name == "count_include_pad" }?.i, 0)
        let scale = m.graph.initializer.first { $0.name == "bn/scale" }!
        XCTAssertEqual(scale.dims, [3, 1, 1], "a lone BatchNormalization on an NCHW map broadcasts over C")
        XCTAssertEqual(m.graph.output[0].name, "output")
    }

    func testCommittedClassifierExportsEveryLayerWithFoldedBatchNorm() throws {
        let graph = try ModelContract.graph(contentsOf: ExportFixtures.committedModel("emnist-default"), batch: .dynamic)
        let m = try parse(graph)
        let ops = m.graph.node.map(\.opType)
        XCTAssertEqual(ops.filter { $0 == "Conv" }.count, 4)
        XCTAssertEqual(ops.filter { $0 == "Relu" }.count, 5)
        XCTAssertEqual(ops.filter { $0 == "Gemm" }.count, 2)
        XCTAssertFalse(ops.contains("BatchNormalization"), "all five BatchNormalizations fold into the layer before")
        XCTAssertEqual(ops.last, "Softmax")
        let dims = Dictionary(uniqueKeysWithValues: m.graph.initializer.map { ($0.name, $0.dims) })
        XCTAssertEqual(dims["conv2d/kernel"], [32, 1, 3, 3])
        XCTAssertEqual(dims["conv2d_3/kernel"], [64, 64, 3, 3])
        XCTAssertEqual(dims["dense/kernel"], [3136, 256])
        XCTAssertEqual(dims["dense_1/kernel"], [256, 47])
        let labels = m.metadataProps.first { $0.key == "labels" }?.value ?? ""
        XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data(labels.utf8)).joined(), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")
    }

    func testCommittedDetectorHasDynamicSizeAndThreeHeadMaps() throws {
        let m = try parse(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("ocr-detector"), batch: .dynamic))
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim.map(\.dimParam), ["N", "height", "width", ""])
        XCTAssertEqual(m.graph.output.map(\.name), ["heatmap", "size", "offset"])
        XCTAssertEqual(m.graph.output[1].type.tensorType.shape.dim.map(\.dimParam), ["N", "height_div4", "width_div4", ""])
        XCTAssertEqual(m.graph.output[1].type.tensorType.shape.dim[3].dimValue, 2)
        XCTAssertEqual(m.graph.node.filter { $0.opType == "Sigmoid" }.count, 1, "the heat logit becomes a probability")
        XCTAssertEqual(m.graph.node.filter { $0.opType == "Transpose" }.count, 4, "one in, one per output map")
    }

    func testCommittedFaceDetectorHasDynamicSizeThreeStride8MapsAndItsPreprocessing() throws {
        let m = try parse(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("face-detector"), batch: .dynamic))
        XCTAssertEqual(m.graph.input.map(\.name), ["image"])
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim.map(\.dimParam), ["N", "height", "width", ""])
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim[3].dimValue, 1)
        XCTAssertEqual(m.graph.output.map(\.name), ["heatmap", "size", "offset"])
        for output in m.graph.output {
            XCTAssertEqual(output.type.tensorType.shape.dim.map(\.dimParam), ["N", "height_div8", "width_div8", ""], output.name)
        }
        XCTAssertEqual(m.graph.output.map { $0.type.tensorType.shape.dim[3].dimValue }, [1, 2, 2])
        XCTAssertEqual(m.graph.node.filter { $0.opType == "Sigmoid" }.count, 1, "the heat logit becomes a probability")
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(meta["kind"], "face-detector")
        XCTAssertEqual(meta["stride"], "8")
        XCTAssertEqual(meta["labels"], "[\"face\"]")
        XCTAssertNil(meta["class_head"])
        let preprocessing = meta["preprocessing"] ?? ""
        for phrase in ["luma", "/ 255", "multiples of 8", "longest side 256, then 128, then 64", "stride-8", "in input pixels"] {
            XCTAssertTrue(preprocessing.contains(phrase), "\(phrase): \(preprocessing)")
        }
        // The size and offset filters are the raw ones times 8 (cells to input pixels).
        let file = try ModelFile(contentsOf: URL(fileURLWithPath: ExportFixtures.committedModel("face-detector")))
        let head = try XCTUnwrap(file.model.layers.last as? Conv2D)
        let bias = head.parameters.last!.value.data
        let inits = Dictionary(uniqueKeysWithValues: m.graph.initializer.map { ($0.name, $0) })
        let sizeConv = try XCTUnwrap(m.graph.node.first { $0.opType == "Conv" && $0.name.hasSuffix("/size") })
        let sizeBias = floats(try XCTUnwrap(inits[sizeConv.input[2]]))
        XCTAssertEqual(sizeBias[0], bias[1] * 8, accuracy: 1e-5)
        XCTAssertEqual(sizeBias[1], bias[2] * 8, accuracy: 1e-5)
    }

    func testCommittedDetectorWithClassHeadHasAFourthMapOfClassProbabilities() throws {
        let m = try parse(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("ocr-detector-head"), batch: .dynamic))
        XCTAssertEqual(m.graph.output.map(\.name), ["heatmap", "size", "offset", "class_probabilities"])
        for output in m.graph.output {
            XCTAssertEqual(output.type.tensorType.shape.dim.map(\.dimParam), ["N", "height_div4", "width_div4", ""], output.name)
        }
        XCTAssertEqual(m.graph.output.map { $0.type.tensorType.shape.dim[3].dimValue }, [1, 2, 2, 47])
        let softmax = m.graph.node.filter { $0.opType == "Softmax" }
        XCTAssertEqual(softmax.count, 1)
        XCTAssertEqual(softmax.first?.attribute.first { $0.name == "axis" }?.i, 1, "over the 47 channels of the NCHW map")
        XCTAssertEqual(m.graph.node.filter { $0.opType == "Transpose" }.count, 5, "one in, one per output map")
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(meta["class_head"], "47")
        XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data((meta["labels"] ?? "").utf8)).count, 47)
        let dims = Dictionary(uniqueKeysWithValues: m.graph.initializer.map { ($0.name, $0.dims) })
        XCTAssertEqual(dims.filter { $0.key.hasSuffix("/class_probabilities/kernel") }.map(\.value), [[47, 64, 1, 1]])
    }

    func testCommittedLandmarkModelGivesPixelsAndSaysFlipAveragingIsTheCallers() throws {
        let m = try parse(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("face-landmarks"), batch: .dynamic))
        XCTAssertEqual(m.graph.output.map(\.name), ["landmarks"])
        XCTAssertEqual(m.graph.output[0].type.tensorType.shape.dim.map(\.dimValue), [0, 20])
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(meta["kind"], "face-landmarks")
        XCTAssertTrue(meta["flip_averaging"]?.hasPrefix("done by the caller") == true, meta["flip_averaging"] ?? "none")
        XCTAssertTrue(meta["preprocessing"]?.contains("crop pixels") == true)
    }

    func testHeatmapLandmarkerTakesTheSoftmaxOfEachMapTimesTheGridThenCropPixels() throws {
        let m = try parse(try ExportFixtures.heatmapLandmarker().exportGraph())
        XCTAssertEqual(m.graph.node.map(\.opType), ["Transpose", "Conv", "MaxPool", "Reshape", "Softmax", "MatMul", "Reshape", "Gemm"])
        XCTAssertEqual(m.graph.node[4].attribute.first { $0.name == "axis" }?.i, -1, "over the 256 cells of each map")
        let inits = Dictionary(uniqueKeysWithValues: m.graph.initializer.map { ($0.name, $0) })
        func int64s(_ name: String) -> [Int64] { inits[name]!.rawData.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) } }
        XCTAssertEqual(int64s("soft_argmax/maps_shape"), [0, 10, 256], "the NCHW map read as [N, C, H·W]")
        XCTAssertEqual(int64s("soft_argmax/shape"), [0, 20])
        let grid = inits["soft_argmax/grid"]!
        XCTAssertEqual(grid.dims, [256, 2])
        // Cell 18 is row 1, column 2: x = −0.953125 + 2 · 0.125, y = −0.953125 + 0.125.
        XCTAssertEqual(Array(floats(grid)[0..<2]), [-0.953125, -0.953125])
        XCTAssertEqual(Array(floats(grid)[36..<38]), [-0.703125, -0.828125])
        // The identity head scaled to crop pixels: x · 32 + 32.
        XCTAssertEqual(floats(inits["landmarks/kernel"]!)[21], 32)
        XCTAssertEqual(floats(inits["landmarks/bias"]!), [Float](repeating: 32, count: 20))
        XCTAssertEqual(m.graph.output.map(\.name), ["landmarks"])
        XCTAssertEqual(m.graph.output[0].type.tensorType.shape.dim.map(\.dimParam), ["N", ""])
        XCTAssertEqual(m.graph.output[0].type.tensorType.shape.dim.map(\.dimValue), [0, 20])
    }

    func testCommittedFaceModelGivesLandmarksInCropPixels() throws {
        let file = try MultiOutputModelFile(contentsOf: URL(fileURLWithPath: ExportFixtures.committedModel("face-crop")))
        let m = try parse(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("face-crop"), batch: .dynamic))
        XCTAssertEqual(m.graph.output.map(\.name), ["landmarks", "smile"])
        let bias = m.graph.initializer.first { $0.name == "landmarks/bias" }!
        let engineBias = file.model.heads[0].model.layers[0].parameters[1].value.data
        // The head learns (x − 32) / 32; the file's bias is in pixels.
        XCTAssertEqual(floats(bias)[0], engineBias[0] * 32 + 32, accuracy: 1e-4)
        XCTAssertEqual(m.graph.node.last { $0.output == ["smile"] }?.opType, "Softmax")
    }

    func testOpsetOutsideTheSupportedRangeIsRefused() throws {
        XCTAssertThrowsError(try ONNXWriter.serialized(try ExportFixtures.tinyClassifier().exportGraph(), opset: 9)) { error in
            XCTAssertEqual("\(error)", "--opset: 9 is not supported; choose 13 to 21 (17 is the default)")
        }
    }

    func testDetectorWhoseLastLayerIsNotA1x1ConvNamesTheLayer() throws {
        let model = try Sequential(inputShape: [32, 16, 1], layers: [
            Conv2D(filters: 5, kernelSize: 3, padding: .same, name: "conv"),
            Conv2D(filters: 5, kernelSize: 3, padding: .same, name: "head"),
        ])
        let file = ModelFile(model: model, labels: ["character"], training: ["kind": "character-detector"])
        XCTAssertThrowsError(try file.exportGraph()) { error in
            guard case ExportError.unsupported(let layer, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "head")
        }
    }

    func testDetectorWhoseHeadHasNeither5Nor5PlusKFiltersIsRefused() throws {
        func model(filters: Int) throws -> Sequential {
            try Sequential(inputShape: [32, 16, 1], layers: [
                Conv2D(filters: 4, kernelSize: 3, padding: .same, name: "conv"),
                Conv2D(filters: filters, kernelSize: 1, padding: .same, name: "head"),
            ])
        }
        let cases: [(Int, [String: String], [String])] = [
            (7, [:], ["character"]),
            (7, ["class_head": "3"], ["a", "b", "c"]),
            (8, ["class_head": "3"], ["a", "b"]),
        ]
        for (filters, extra, labels) in cases {
            let file = ModelFile(model: try model(filters: filters), labels: labels,
                                 training: extra.merging(["kind": "character-detector"]) { a, _ in a })
            XCTAssertThrowsError(try file.exportGraph(), "\(filters) filters, \(extra)") { error in
                guard case ExportError.unsupported(let layer, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(layer, "head")
                XCTAssertTrue(reason.contains(filters == 8 ? "needs 3 labels" : "5 + K filters"), reason)
            }
        }
        let ok = ModelFile(model: try model(filters: 8), labels: ["a", "b", "c"],
                           training: ["kind": "character-detector", "class_head": "3"])
        XCTAssertEqual(try ok.exportGraph().outputs.map(\.name), ["heatmap", "size", "offset", "class_probabilities"])
    }

    func testStride8DetectorWithClassHeadScalesItsBoxesBy8() throws {
        let model = try Sequential(inputShape: [32, 16, 1], layers: [
            Conv2D(filters: 4, kernelSize: 3, padding: .same, name: "conv"),
            MaxPooling2D(poolSize: 2, name: "pool1"), MaxPooling2D(poolSize: 2, name: "pool2"), MaxPooling2D(poolSize: 2, name: "pool3"),
            Conv2D(filters: 8, kernelSize: 1, padding: .same, name: "head"),
        ])
        model.layers[4].parameters[1].value.data = (0..<8).map(Float.init)
        let file = ModelFile(model: model, labels: ["a", "b", "c"],
                             training: ["kind": "character-detector", "class_head": "3", "stride": "8"])
        let graph = try file.exportGraph()
        XCTAssertEqual(graph.outputs.map { $0.shape.map(\.description) }, [
            ["N", "height_div8", "width_div8", "1"], ["N", "height_div8", "width_div8", "2"],
            ["N", "height_div8", "width_div8", "2"], ["N", "height_div8", "width_div8", "3"],
        ])
        func bias(_ name: String) -> [Float]? {
            guard case .conv(let w) = graph.node(producing: name)?.op else { return nil }
            return w.bias
        }
        XCTAssertEqual(bias("size"), [8, 16], "channels 1, 2 times the stride")
        XCTAssertEqual(bias("offset"), [24, 32])
        XCTAssertEqual(bias("class_probabilities"), [5, 6, 7], "logits unscaled")
        XCTAssertEqual(graph.node(producing: "class_probabilities")?.activation, .softmax)
        XCTAssertEqual(graph.metadata.first { $0.key == "stride" }?.value, "8")
    }
}
