// TFLite export: the FlatBuffer read back by the tests' own reader holds the
// TFLite schema's tables as the writer meant them: operator codes, tensors
// with shapes and shape signatures, OHWI filters with BatchNormalization
// folded, options, the serving signature and the metadata.
import FoveaEngine
@testable import FoveaExport
import XCTest

final class TFLiteExportTests: XCTestCase {
    private func read(_ graph: ExportGraph) throws -> FlatBufferReader {
        FlatBufferReader(bytes: try TFLiteWriter.serialized(graph))
    }

    func testTinyClassifierReadsBackAsTFLiteSchemaTables() throws {
        let r = try read(try ExportFixtures.tinyClassifier().exportGraph())
        XCTAssertEqual(r.identifier, "TFL3")
        let model = r.root
        XCTAssertEqual(model.uint32(0), 3, "schema version")
        let codes = model.tables(1).map { $0.int32(3) }
        XCTAssertEqual(codes, [3, 17, 22, 9, 25], "CONV_2D, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX")
        XCTAssertEqual(model.tables(1).map { $0.int8(0) }, [3, 17, 22, 9, 25], "deprecated_builtin_code mirrors it")
        let subgraph = model.tables(2)[0]
        let tensors = subgraph.tables(0)
        let names = tensors.map { $0.string(3)! }
        let operators = subgraph.tables(3)
        XCTAssertEqual(operators.map { codes[Int($0.uint32(0))] }, [3, 17, 22, 9, 25])

        let input = tensors[Int(subgraph.int32s(1)[0])]
        XCTAssertEqual(input.string(3), "image")
        XCTAssertEqual(input.int32s(0), [1, 4, 4, 1])
        XCTAssertEqual(input.int32s(7), [-1, 4, 4, 1], "the batch is dynamic in shape_signature")
        let output = tensors[Int(subgraph.int32s(2)[0])]
        XCTAssertEqual(output.string(3), "probabilities")
        XCTAssertEqual(output.int32s(7), [-1, 3])

        // CONV_2D: inputs (image, filter, bias), SAME padding, stride 1, ReLU fused.
        let conv = operators[0]
        XCTAssertEqual(conv.int32s(1).map { names[Int($0)] }, ["image", "conv/kernel", "conv/bias"])
        XCTAssertEqual(conv.int8(3), 1, "builtin_options_type Conv2DOptions")
        let options = conv.table(4)!
        XCTAssertEqual([options.int8(0), options.int8(3)], [0, 1])
        XCTAssertEqual([options.int32(1), options.int32(2)], [1, 1])
        let filter = tensors[Int(conv.int32s(1)[1])]
        XCTAssertEqual(filter.int32s(0), [2, 3, 3, 1])
        let buffers = model.tables(4)
        XCTAssertNil(buffers[0].bytes(0), "buffer 0 is the empty one")
        let values = buffers[Int(filter.uint32(2))].floats(0)
        // OHWI (o 1, y 0, x 2, i 0) = engine [y 0][x 2][i 0][o 1] = index 5 → 0.5 · scale.
        XCTAssertEqual(values[((1 * 3 + 0) * 3 + 2) * 1 + 0], 0.5 * ExportFixtures.scale(1), accuracy: 1e-6)
        for t in tensors where t.uint32(2) != 0 {
            XCTAssertEqual(buffers[Int(t.uint32(2))].bytes(0)!.start % 16, 0, "tensor data starts 16-byte aligned")
        }

        // FULLY_CONNECTED weights are [out, in]: (o 2, i 1) = engine [1][2] = index 5.
        let fc = operators[3]
        let weights = tensors[Int(fc.int32s(1)[1])]
        XCTAssertEqual(weights.int32s(0), [3, 8])
        XCTAssertEqual(buffers[Int(weights.uint32(2))].floats(0)[2 * 8 + 1], 0.05, accuracy: 1e-7)
        XCTAssertEqual(operators[4].table(4)?.float32(0), 1, "softmax beta")
        let reshape = operators[2].table(4)!
        XCTAssertEqual(reshape.int32s(0), [-1, 8])

        let signature = model.tables(7)[0]
        XCTAssertEqual(signature.string(2), "serving_default")
        XCTAssertEqual(signature.tables(0).map { $0.string(0) }, ["image"])
        XCTAssertEqual(signature.tables(1).map { $0.string(0) }, ["probabilities"])
        let metadata = Dictionary(uniqueKeysWithValues: model.tables(6).map { ($0.string(0)!, $0.uint32(1)) })
        let labels = buffers[Int(metadata["fovea.labels"]!)].bytes(0)!
        XCTAssertEqual(String(decoding: r.bytes[labels.start..<(labels.start + labels.count)], as: UTF8.self), #"["a","b","c"]"#)
    }

    func testFixedBatchHasNoShapeSignature() throws {
        let r = try read(try ExportFixtures.tinyClassifier().exportGraph(batch: .fixed(5)))
        let tensors = r.root.tables(2)[0].tables(0)
        let input = tensors.first { $0.string(3) == "image" }!
        XCTAssertEqual(input.int32s(0), [5, 4, 4, 1])
        XCTAssertNil(input.field(7))
    }

    func testOtherOpsMapToTheirBuiltins() throws {
        let r = try read(try ExportFixtures.otherOps().exportGraph())
        let codes = r.root.tables(1).map { $0.int32(3) }
        let ops = r.root.tables(2)[0].tables(3).map { codes[Int($0.uint32(0))] }
        // CONV_2D, TANH (LiteRT ignores a fused tanh), AVERAGE_POOL_2D, MUL, ADD, LOGISTIC, MEAN, FULLY_CONNECTED.
        XCTAssertEqual(ops, [3, 28, 1, 18, 0, 14, 40, 9])
        XCTAssertEqual(r.root.tables(2)[0].tables(3)[0].table(4)?.int8(3), 0, "no fused activation")
        XCTAssertEqual(r.root.tables(2)[0].tables(3)[0].table(4)?.int8(0), 1, "VALID padding")
    }

    func testCommittedDetectorHasDynamicHeightAndWidth() throws {
        let r = try read(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("ocr-detector"), batch: .dynamic))
        let subgraph = r.root.tables(2)[0]
        let tensors = subgraph.tables(0)
        XCTAssertEqual(tensors[Int(subgraph.int32s(1)[0])].int32s(7), [-1, -1, -1, 1])
        let outputs = subgraph.int32s(2).map { tensors[Int($0)] }
        XCTAssertEqual(outputs.map { $0.string(3) }, ["heatmap", "size", "offset"])
        XCTAssertEqual(outputs.map { $0.int32s(0) }, [[1, 8, 32, 1], [1, 8, 32, 2], [1, 8, 32, 2]])
        XCTAssertEqual(outputs[0].int32s(7), [-1, -1, -1, 1])
    }

    func testCommittedFaceDetectorHasDynamicHeightAndWidthAndThreeNamedMaps() throws {
        let r = try read(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("face-detector"), batch: .dynamic))
        let subgraph = r.root.tables(2)[0]
        let tensors = subgraph.tables(0)
        let input = tensors[Int(subgraph.int32s(1)[0])]
        XCTAssertEqual(input.string(3), "image")
        XCTAssertEqual(input.int32s(7), [-1, -1, -1, 1])
        XCTAssertEqual(input.int32s(0), [1, 128, 128, 1], "nominal shape: the size it was trained at")
        let outputs = subgraph.int32s(2).map { tensors[Int($0)] }
        XCTAssertEqual(outputs.map { $0.string(3) }, ["heatmap", "size", "offset"])
        XCTAssertEqual(outputs.map { $0.int32s(0) }, [[1, 16, 16, 1], [1, 16, 16, 2], [1, 16, 16, 2]])
        XCTAssertEqual(outputs.map { $0.int32s(7) }, [[-1, -1, -1, 1], [-1, -1, -1, 2], [-1, -1, -1, 2]])
        let signature = r.root.tables(7)[0]
        XCTAssertEqual(signature.tables(1).map { $0.string(0) }, ["heatmap", "size", "offset"])
    }

    func testCommittedDetectorWithClassHeadEndsInASoftmaxOverTheClasses() throws {
        let r = try read(try ModelContract.graph(contentsOf: ExportFixtures.committedModel("ocr-detector-head"), batch: .dynamic))
        let subgraph = r.root.tables(2)[0]
        let tensors = subgraph.tables(0)
        let outputs = subgraph.int32s(2).map { tensors[Int($0)] }
        XCTAssertEqual(outputs.map { $0.string(3) }, ["heatmap", "size", "offset", "class_probabilities"])
        XCTAssertEqual(outputs.map { $0.int32s(0) }, [[1, 8, 32, 1], [1, 8, 32, 2], [1, 8, 32, 2], [1, 8, 32, 47]])
        XCTAssertEqual(outputs[3].int32s(7), [-1, -1, -1, 47])
        let codes = r.root.tables(1).map { $0.int32(3) }
        let ops = subgraph.tables(3)
        let last = ops.last { Int($0.int32s(2)[0]) == Int(subgraph.int32s(2)[3]) }
        XCTAssertEqual(last.map { codes[Int($0.uint32(0))] }, 25, "SOFTMAX makes class_probabilities")
        let signature = r.root.tables(7)[0]
        XCTAssertEqual(signature.tables(1).map { $0.string(0) }, ["heatmap", "size", "offset", "class_probabilities"])
    }

    func testHeatmapLandmarkerSoftArgmaxIsTransposeReshapeSoftmaxFullyConnectedReshape() throws {
        let r = try read(try ExportFixtures.heatmapLandmarker().exportGraph())
        let codes = r.root.tables(1).map { $0.int32(3) }
        let subgraph = r.root.tables(2)[0]
        let tensors = subgraph.tables(0)
        let operators = subgraph.tables(3)
        // CONV_2D, MAX_POOL_2D, TRANSPOSE, RESHAPE, SOFTMAX, FULLY_CONNECTED, RESHAPE, FULLY_CONNECTED.
        XCTAssertEqual(operators.map { codes[Int($0.uint32(0))] }, [3, 17, 39, 22, 25, 9, 22, 9])
        func output(_ op: Int) -> FlatBufferReader.Table { tensors[Int(operators[op].int32s(2)[0])] }
        func input(_ op: Int, _ k: Int) -> FlatBufferReader.Table { tensors[Int(operators[op].int32s(1)[k])] }
        let buffers = r.root.tables(4)
        XCTAssertEqual(buffers[Int(input(2, 1).uint32(2))].bytes(0)?.count, 16, "perm: four int32")
        XCTAssertEqual(output(2).int32s(7), [-1, 10, 16, 16], "TRANSPOSE to NCHW")
        XCTAssertEqual(operators[3].table(4)?.int32s(0), [-1, 10, 256])
        XCTAssertEqual(output(4).int32s(7), [-1, 10, 256], "SOFTMAX over the last axis, the cells")
        let grid = input(5, 1)
        XCTAssertEqual(grid.int32s(0), [2, 256], "weights [out, in]: the cells' x, then their y")
        let values = buffers[Int(grid.uint32(2))].floats(0)
        XCTAssertEqual([values[0], values[1], values[256], values[256 + 16]], [-0.953125, -0.828125, -0.953125, -0.828125])
        XCTAssertTrue(operators[5].table(4)!.bool(2), "keep_num_dims: [N, C, 2]")
        XCTAssertEqual(output(5).int32s(7), [-1, 10, 2])
        XCTAssertEqual(operators[6].table(4)?.int32s(0), [-1, 20])
        let out = tensors[Int(subgraph.int32s(2)[0])]
        XCTAssertEqual(out.string(3), "landmarks")
        XCTAssertEqual(out.int32s(7), [-1, 20])
    }
}
