// TFLiteWriter: an ExportGraph as a TensorFlow Lite model (schema version 3,
// file identifier "TFL3"), laid out by Fovea's FlatBuffer writer. TFLite is
// NHWC like the engine, so nodes map one to one: CONV_2D (filters OHWI, ReLU
// fused), FULLY_CONNECTED (weights [out, in]), MAX_POOL_2D /
// AVERAGE_POOL_2D, MEAN over height and width for global average pooling,
// RESHAPE, MUL + ADD for a lone BatchNormalization, LOGISTIC, SOFTMAX,
// RELU, TANH, and for a spatial soft-argmax TRANSPOSE to [N, C, H, W],
// RESHAPE to [N, C, H·W], SOFTMAX over the cells, FULLY_CONNECTED with the
// grid as weights [2, H·W] (keep_num_dims: [N, C, 2]) and RESHAPE to [N, 2C].
// Dynamic dimensions are written as the nominal size in `shape` and -1 in
// `shape_signature`; a "serving_default" signature names the inputs and
// outputs, and metadata entries carry labels, kind and preprocessing as
// UTF-8 text.
import FoveaEngine

public enum TFLiteWriter {
    public static func serialized(_ graph: ExportGraph) throws -> [UInt8] {
        var m = TFLiteModel()
        for input in graph.inputs { _ = m.tensor(input.name, input.shape) }
        for node in graph.nodes { try m.emit(node) }
        return try m.finish(name: graph.name, inputs: graph.inputs.map(\.name), outputs: graph.outputs.map(\.name),
                            metadata: graph.metadata)
    }
}

/// TFLite's enum values (schema.fbs).
enum TFLite {
    enum Op: Int32 {
        case add = 0, averagePool2D = 1, conv2D = 3, dequantize = 6, fullyConnected = 9, logistic = 14, maxPool2D = 17
        case mul = 18, relu = 19, reshape = 22, softmax = 25, tanh = 28, transpose = 39, mean = 40, quantize = 114
    }
    enum Options: UInt8 {
        case conv2D = 1, pool2D = 5, fullyConnected = 8, softmax = 9, add = 11, reshape = 17, mul = 21, transpose = 26, reducer = 27
    }
    static let float32: Int8 = 0, int32: Int8 = 2, int8: Int8 = 9
    static func padding(_ same: Bool) -> FlatField { .int8(same ? 0 : 1) }
    /// Fused activation: NONE 0, RELU 1; nil when it needs an op of its own.
    /// The schema also has TANH (4), but LiteRT's CONV_2D applies only the
    /// ReLU family fused and silently ignores tanh (seen in verify_export.sh).
    static func fused(_ a: Activation) -> Int8? {
        switch a {
        case .linear: return 0
        case .relu: return 1
        case .tanh, .sigmoid, .softmax: return nil
        }
    }
}

struct TFLiteModel {
    var tensors: [FlatValue] = []
    /// Buffer 0 is the empty buffer of tensors without data.
    var buffers: [FlatValue] = [.table([])]
    var opcodes: [Int32] = []
    var operators: [FlatValue] = []
    var index: [String: Int] = [:]

    /// `quantization`: scales and zero points (one each, or one per channel along `axis`).
    mutating func tensor(_ name: String, _ shape: [Dim], type: Int8 = TFLite.float32, data: [UInt8]? = nil,
                         quantization: (scales: [Float], zeroPoints: [Int64], axis: Int)? = nil) -> Int {
        var buffer: UInt32 = 0
        if let data {
            buffer = UInt32(buffers.count)
            buffers.append(.table([.offset(.bytes(data, alignment: 16))]))
        }
        var fields: [FlatField?] = [.offset(.int32s(shape.map { Int32($0.size) })), .int8(type), .uint32(buffer),
                                    .offset(.string(name)), nil, nil, nil, nil]
        if let q = quantization {
            fields[4] = .offset(.table([nil, nil, .offset(.float32s(q.scales)), .offset(.int64s(q.zeroPoints)),
                                        nil, nil, .int32(Int32(q.axis))]))
        }
        if shape.contains(where: \.isDynamic) {
            fields[7] = .offset(.int32s(shape.map { $0.isDynamic ? -1 : Int32($0.size) }))
        }
        tensors.append(.table(fields))
        index[name] = tensors.count - 1
        return tensors.count - 1
    }

    /// The Model table around what was emitted, with a "serving_default"
    /// signature naming the inputs and outputs, and the metadata as text buffers.
    mutating func finish(name: String, inputs: [String], outputs: [String],
                         metadata entries: [(key: String, value: String)]) throws -> [UInt8] {
        func indices(_ names: [String]) throws -> [Int32] {
            try names.map { n in
                guard let i = index[n] else { throw ExportError.unsupported(layer: n, reason: "no node produces this output") }
                return Int32(i)
            }
        }
        let (ins, outs) = (try indices(inputs), try indices(outputs))
        let subgraph = FlatValue.table([
            .offset(.vector(tensors)), .offset(.int32s(ins)), .offset(.int32s(outs)),
            .offset(.vector(operators)), .offset(.string(name)),
        ])
        func tensorMaps(_ names: [String], _ indices: [Int32]) -> FlatValue {
            .vector(zip(names, indices).map { .table([.offset(.string($0)), .uint32(UInt32($1))]) })
        }
        let signature = FlatValue.table([
            .offset(tensorMaps(inputs, ins)), .offset(tensorMaps(outputs, outs)),
            .offset(.string("serving_default")), nil, .uint32(0),
        ])
        var metadata: [FlatValue] = []
        for entry in entries {
            metadata.append(.table([.offset(.string("fovea.\(entry.key)")), .uint32(UInt32(buffers.count))]))
            buffers.append(.table([.offset(.bytes(Array(entry.value.utf8)))]))
        }
        let codes = opcodes.map { code -> FlatValue in
            .table([.int8(Int8(min(code, 127))), nil, .int32(1), .int32(code)])
        }
        let model = FlatValue.table([
            .uint32(3), .offset(.vector(codes)), .offset(.vector([subgraph])),
            .offset(.string("Fovea export of \(name)")), .offset(.vector(buffers)), nil,
            .offset(.vector(metadata)), .offset(.vector([signature])),
        ])
        return FlatBuffer.serialize(root: model, identifier: "TFL3")
    }

    mutating func constant(_ name: String, _ dims: [Int], _ values: [Float]) -> Int {
        tensor(name, dims.map(Dim.fixed), data: values.flatMap { littleEndian($0.bitPattern) })
    }

    mutating func constant(_ name: String, _ dims: [Int], int32 values: [Int32]) -> Int {
        tensor(name, dims.map(Dim.fixed), type: TFLite.int32, data: values.flatMap { littleEndian(UInt32(bitPattern: $0)) })
    }

    mutating func op(_ code: TFLite.Op, _ inputs: [Int], _ output: Int, _ options: (TFLite.Options, [FlatField?])? = nil) {
        let opcode: Int
        if let i = opcodes.firstIndex(of: code.rawValue) { opcode = i } else { opcodes.append(code.rawValue); opcode = opcodes.count - 1 }
        var fields: [FlatField?] = [.uint32(UInt32(opcode)), .offset(.int32s(inputs.map(Int32.init))), .offset(.int32s([Int32(output)]))]
        if let (type, table) = options { fields += [.uint8(type.rawValue), .offset(.table(table))] }
        operators.append(.table(fields))
    }

    /// The op's output tensor, or an intermediate one when an activation op follows.
    private mutating func output(_ n: ExportNode, separate: Bool) -> Int {
        tensor(separate ? "\(n.output)/linear" : n.output, n.outputShape)
    }

    private mutating func activationOp(_ a: Activation, from: Int, _ n: ExportNode) {
        guard a != .linear else { return }
        let out = tensor(n.output, n.outputShape)
        switch a {
        case .linear: break
        case .relu: op(.relu, [from], out)
        case .tanh: op(.tanh, [from], out)
        case .sigmoid: op(.logistic, [from], out)
        case .softmax: op(.softmax, [from], out, (.softmax, [.float32(1)]))
        }
    }

    mutating func emit(_ n: ExportNode) throws {
        guard let x = index[n.input] else { throw ExportError.unsupported(layer: n.name, reason: "its input \(n.input) is not produced before it") }
        let fused = TFLite.fused(n.activation)
        switch n.op {
        case .conv(let w):
            let (kh, kw, ci, co) = (w.kernelHeight, w.kernelWidth, w.inChannels, w.filters)
            var ohwi = [Float](repeating: 0, count: w.kernel.count)
            for y in 0..<kh { for xx in 0..<kw { for i in 0..<ci { for o in 0..<co {
                ohwi[((o * kh + y) * kw + xx) * ci + i] = w.kernel[((y * kw + xx) * ci + i) * co + o]
            } } } }
            let filter = constant("\(n.name)/kernel", [co, kh, kw, ci], ohwi)
            let bias = constant("\(n.name)/bias", [co], w.bias)
            let out = output(n, separate: fused == nil)
            op(.conv2D, [x, filter, bias], out, (.conv2D, [TFLite.padding(w.same), .int32(Int32(w.stride)),
                                                         .int32(Int32(w.stride)), .int8(fused ?? 0)]))
            if fused == nil { activationOp(n.activation, from: out, n) }
        case .dense(let w):
            var weights = [Float](repeating: 0, count: w.kernel.count)
            for i in 0..<w.inputs { for o in 0..<w.units { weights[o * w.inputs + i] = w.kernel[i * w.units + o] } }
            let weight = constant("\(n.name)/kernel", [w.units, w.inputs], weights)
            let bias = constant("\(n.name)/bias", [w.units], w.bias)
            let out = output(n, separate: fused == nil)
            op(.fullyConnected, [x, weight, bias], out,
               (.fullyConnected, [.int8(fused ?? 0), nil, .bool(n.outputShape.count > 2)]))
            if fused == nil { activationOp(n.activation, from: out, n) }
        case .maxPool(let p), .averagePool(let p):
            let isMax: Bool
            if case .maxPool = n.op { isMax = true } else { isMax = false }
            let out = tensor(n.output, n.outputShape)
            op(isMax ? .maxPool2D : .averagePool2D, [x], out,
               (.pool2D, [TFLite.padding(p.same), .int32(Int32(p.stride)), .int32(Int32(p.stride)),
                          .int32(Int32(p.size)), .int32(Int32(p.size)), .int8(0)]))
        case .globalAveragePool:
            let axes = constant("\(n.name)/axes", [2], int32: [1, 2])
            op(.mean, [x, axes], tensor(n.output, n.outputShape), (.reducer, [.bool(false)]))
        case .reshape(let target):
            let batch: Int32 = n.outputShape[0].isDynamic ? -1 : Int32(n.outputShape[0].size)
            let newShape = [batch] + target.map(Int32.init)
            let shape = constant("\(n.name)/shape", [newShape.count], int32: newShape)
            op(.reshape, [x, shape], tensor(n.output, n.outputShape), (.reshape, [.offset(.int32s(newShape))]))
        case .affine(let scale, let shift):
            let s = constant("\(n.name)/scale", [scale.count], scale), b = constant("\(n.name)/shift", [shift.count], shift)
            let scaled = tensor("\(n.output)/scaled", n.outputShape)
            op(.mul, [x, s], scaled, (.mul, [.int8(0)]))
            op(.add, [scaled, b], tensor(n.output, n.outputShape), (.add, [.int8(0)]))
        case .activation(let a):
            activationOp(a, from: x, n)
        case .spatialSoftArgmax(let g):
            let (h, w, c) = (g.y.count, g.x.count, g.channels)
            let batch = n.outputShape[0]
            let b: Int32 = batch.isDynamic ? -1 : Int32(batch.size)
            let perm = constant("\(n.name)/perm", [4], int32: [0, 3, 1, 2])
            let maps = tensor("\(n.output)/nchw", [batch, .fixed(c), .fixed(h), .fixed(w)])
            op(.transpose, [x, perm], maps, (.transpose, []))
            let flatShape = [b, Int32(c), Int32(h * w)]
            let logits = tensor("\(n.output)/logits", [batch, .fixed(c), .fixed(h * w)])
            op(.reshape, [maps, constant("\(n.name)/maps_shape", [3], int32: flatShape)], logits,
               (.reshape, [.offset(.int32s(flatShape))]))
            let weights = tensor("\(n.output)/weights", [batch, .fixed(c), .fixed(h * w)])
            op(.softmax, [logits], weights, (.softmax, [.float32(1)]))
            // FULLY_CONNECTED weights are [out, in]: row 0 the cells' x, row 1 their y.
            let cells = g.cellCoordinates
            let grid = constant("\(n.name)/grid", [2, h * w], (0..<(2 * h * w)).map { cells[($0 % (h * w)) * 2 + $0 / (h * w)] })
            let points = tensor("\(n.output)/points", [batch, .fixed(c), .fixed(2)])
            op(.fullyConnected, [weights, grid, constant("\(n.name)/grid_bias", [2], [0, 0])], points,
               (.fullyConnected, [.int8(0), nil, .bool(true)]))
            let outShape = [b, Int32(2 * c)]
            op(.reshape, [points, constant("\(n.name)/shape", [2], int32: outShape)], tensor(n.output, n.outputShape),
               (.reshape, [.offset(.int32s(outShape))]))
        }
    }
}
