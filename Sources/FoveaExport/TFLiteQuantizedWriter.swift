// TFLiteQuantizedWriter: an int8 QuantizedGraph as a fully integer TFLite
// model: QUANTIZE (float `image` → int8), int8 CONV_2D / FULLY_CONNECTED with
// per-channel filter scales (quantized_dimension 0) and int32 biases,
// MAX_POOL_2D and RESHAPE keeping their input's parameters, int8 SOFTMAX
// (output scale 1/256, zero point −128, as TFLite requires), then
// DEQUANTIZE to the float `probabilities`.

extension TFLiteWriter {
    public static func serialized(_ g: QuantizedGraph, batch: BatchSize = .dynamic) throws -> [UInt8] {
        var m = TFLiteModel()
        func q(_ p: QuantParams) -> (scales: [Float], zeroPoints: [Int64], axis: Int) { ([p.scale], [Int64(p.zeroPoint)], 0) }
        let b = batch.dim
        let image = m.tensor("image", [b] + g.inputShape.map(Dim.fixed))
        var current = m.tensor("image/int8", [b] + g.inputShape.map(Dim.fixed), type: TFLite.int8, quantization: q(g.input))
        m.op(.quantize, [image], current)
        var params = g.input, shape = g.inputShape
        for node in g.nodes {
            let outShape = [b] + node.shape.map(Dim.fixed)
            let last = node.name == g.nodes.last?.name
            let out = m.tensor(last ? "probabilities/int8" : node.name, outShape, type: TFLite.int8, quantization: q(node.output))
            switch node.op {
            case .conv, .dense:
                let channels = node.weightScales.count
                let filterShape: [Int]
                if case .conv(let kh, let kw, _, _) = node.op {
                    filterShape = [channels, kh, kw, node.weights.count / (channels * kh * kw)]
                } else {
                    filterShape = [channels, node.weights.count / channels]
                }
                let zeros = [Int64](repeating: 0, count: channels)
                let filter = m.tensor("\(node.name)/kernel", filterShape.map(Dim.fixed), type: TFLite.int8,
                                      data: node.weights.map { UInt8(bitPattern: $0) },
                                      quantization: (node.weightScales, zeros, 0))
                let bias = m.tensor("\(node.name)/bias", [.fixed(channels)], type: TFLite.int32,
                                    data: node.bias.flatMap { littleEndian(UInt32(bitPattern: $0)) },
                                    quantization: (node.weightScales.map { $0 * params.scale }, zeros, 0))
                let fused: FlatField = .int8(node.relu ? 1 : 0)
                if case .conv(_, _, let stride, let same) = node.op {
                    m.op(.conv2D, [current, filter, bias], out,
                         (.conv2D, [TFLite.padding(same), .int32(Int32(stride)), .int32(Int32(stride)), fused]))
                } else {
                    m.op(.fullyConnected, [current, filter, bias], out, (.fullyConnected, [fused]))
                }
            case .maxPool(let p):
                m.op(.maxPool2D, [current], out,
                     (.pool2D, [TFLite.padding(p.same), .int32(Int32(p.stride)), .int32(Int32(p.stride)),
                                .int32(Int32(p.size)), .int32(Int32(p.size)), .int8(0)]))
            case .reshape(let target):
                let batchSize: Int32 = b.isDynamic ? -1 : Int32(b.size)
                let newShape = [batchSize] + target.map(Int32.init)
                let s = m.constant("\(node.name)/shape", [newShape.count], int32: newShape)
                m.op(.reshape, [current, s], out, (.reshape, [.offset(.int32s(newShape))]))
            case .softmax:
                m.op(.softmax, [current], out, (.softmax, [.float32(1)]))
            }
            current = out
            params = node.output
            shape = node.shape
        }
        guard case .softmax = g.nodes.last?.op else {
            throw ExportError.unsupported(layer: g.nodes.last?.name ?? "?", reason: "an int8 model must end in softmax")
        }
        let probabilities = m.tensor("probabilities", [b] + shape.map(Dim.fixed))
        m.op(.dequantize, [current], probabilities)
        return try m.finish(name: g.name, inputs: ["image"], outputs: ["probabilities"], metadata: g.metadata)
    }
}
