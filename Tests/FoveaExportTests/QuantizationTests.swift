// Int8 quantization: per-channel weight scales and activation parameters
// against hand-worked values, the int8 model run by Fovea against the float
// one, the int8 file read back unchanged, and the fully integer TFLite file
// read back with its quantization tables.
import FoveaEngine
@testable import FoveaExport
import XCTest

final class QuantizationTests: XCTestCase {
    private func calibration(_ count: Int, side: Int) -> Tensor {
        var state: UInt64 = 42
        let data = (0..<(count * side * side)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        return Tensor(shape: [count, side, side, 1], data: data)
    }

    func testWeightsAreSymmetricPerOutputChannel() {
        // Kernel [rows 2, columns 2]: column 0 = (1, −2), column 1 = (−0.5, 0.25).
        let (q, scales) = Quantizer.perChannel([1, -0.5, -2, 0.25], rows: 2, columns: 2)
        XCTAssertEqual(scales, [2 / 127, 0.5 / 127])
        // 1 / (2/127) = 63.5 → 64 (half away from zero); rows of column 0, then column 1.
        XCTAssertEqual(q, [64, -127, -127, 64])
    }

    func testActivationParametersCoverTheRangeAndZero() {
        XCTAssertEqual(QuantParams(min: 0, max: 1), QuantParams(scale: 1 / 255, zeroPoint: -128))
        // scale 4/255, zero point round(−128 + 1 / (4/255)) = round(−64.25) = −64.
        XCTAssertEqual(QuantParams(min: -1, max: 3), QuantParams(scale: 4 / 255, zeroPoint: -64))
        XCTAssertEqual(QuantParams(min: 0.5, max: 2).zeroPoint, -128, "the range is widened to hold 0")
    }

    func testInt8TinyClassifierFollowsTheFloatModel() throws {
        let file = try ExportFixtures.tinyClassifier()
        let x = calibration(200, side: 4)
        let g = try Quantizer.quantize(file, calibration: x)
        XCTAssertEqual(g.nodes.map(\.name), ["conv", "pool", "flatten", "dense", "dense/softmax"])
        let conv = g.nodes[0]
        // The folded bias in int32 at input scale (1/255) × each channel's weight scale.
        XCTAssertEqual(conv.bias[0], Int32((Double(0.1 - 0.3 * ExportFixtures.scale(0)) / (1.0 / 255 * Double(conv.weightScales[0]))).rounded()))
        XCTAssertTrue(conv.relu)
        XCTAssertEqual(g.nodes[1].output, conv.output, "max pooling keeps its input's parameters")
        let float = file.model.predict(x), int8 = g.predict(x)
        let worst = zip(float.data, int8.data).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.03, "probabilities within a few 1/256 steps")
        XCTAssertEqual(int8.data.map { ($0 * 256).rounded() / 256 }, int8.data, "softmax output on TFLite's 1/256 grid")
    }

    func testInt8FileReadsBackToTheSameModel() throws {
        let g = try Quantizer.quantize(try ExportFixtures.tinyClassifier(), calibration: calibration(50, side: 4))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-int8-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try QuantizedModelFile.write(g, to: path)
        XCTAssertTrue(QuantizedModelFile.isQuantized(path))
        let back = try QuantizedModelFile.read(path)
        XCTAssertEqual(back.nodes.map(\.weights), g.nodes.map(\.weights))
        XCTAssertEqual(back.nodes.map(\.bias), g.nodes.map(\.bias))
        XCTAssertEqual(back.nodes.map(\.output), g.nodes.map(\.output))
        XCTAssertEqual(back.labels, ["a", "b", "c"])
        let x = calibration(10, side: 4)
        XCTAssertEqual(back.predict(x).data, g.predict(x).data)
    }

    func testInt8TFLiteHasQuantizationTablesPerChannel() throws {
        let g = try Quantizer.quantize(try ExportFixtures.tinyClassifier(), calibration: calibration(50, side: 4))
        let r = FlatBufferReader(bytes: try TFLiteWriter.serialized(g))
        let codes = r.root.tables(1).map { $0.int32(3) }
        let subgraph = r.root.tables(2)[0]
        let ops = subgraph.tables(3).map { codes[Int($0.uint32(0))] }
        XCTAssertEqual(ops, [114, 3, 17, 22, 9, 25, 6], "QUANTIZE, CONV_2D, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX, DEQUANTIZE")
        let tensors = subgraph.tables(0)
        let filter = tensors.first { $0.string(3) == "conv/kernel" }!
        XCTAssertEqual(filter.int8(1), 9, "INT8")
        let fq = filter.table(4)!
        XCTAssertEqual(fq.float32s(2), g.nodes[0].weightScales)
        XCTAssertEqual(fq.int32(6), 0, "quantized along the output channels")
        let bias = tensors.first { $0.string(3) == "conv/bias" }!
        XCTAssertEqual(bias.int8(1), 2, "INT32")
        XCTAssertEqual(bias.table(4)!.float32s(2), g.nodes[0].weightScales.map { $0 * g.input.scale }, "input scale × weight scale")
        let softmax = tensors.first { $0.string(3) == "probabilities/int8" }!.table(4)!
        XCTAssertEqual(softmax.float32s(2), [1 / 256])
        let output = tensors[Int(subgraph.int32s(2)[0])]
        XCTAssertEqual([output.string(3), "\(output.int8(1))"], ["probabilities", "0"], "float32 out")
    }

    func testLayersWithoutAnInt8PathNameTheLayer() throws {
        let model = try Sequential(inputShape: [4, 4, 1], layers: [
            Conv2D(filters: 2, kernelSize: 3, padding: .same, activation: .tanh, name: "conv_tanh"),
            Flatten(), Dense(units: 3, activation: .softmax),
        ])
        XCTAssertThrowsError(try Quantizer.quantize(ModelFile(model: model), calibration: calibration(4, side: 4))) { error in
            guard case ExportError.unsupported(let layer, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(layer, "conv_tanh")
            XCTAssertTrue(reason.contains("not tanh"), reason)
        }
        XCTAssertThrowsError(try Quantizer.quantize(try ExportFixtures.otherOps(), calibration: calibration(4, side: 8))) { error in
            XCTAssertTrue("\(error)".contains("int8 quantization takes classifiers"), "\(error)")
        }
    }
}
