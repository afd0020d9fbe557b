// ONNXWriter: an ExportGraph as an ONNX ModelProto (the types generated
// from onnx.proto in ONNX/onnx.pb.swift). ONNX's Conv and pooling work on
// NCHW, the engine and the exported contract on NHWC: the graph's input is
// transposed once to NCHW, convolutions and poolings run there, and a
// tensor goes back to NHWC only where NHWC order matters (before a Flatten
// or Reshape, so flattened features keep the engine's order, and at
// 4-D outputs). Kernels are written OIHW, Dense kernels [in, out] for Gemm.
// A spatial soft-argmax reads the NCHW map as [N, C, H·W]: Softmax over the
// cells, MatMul with the constant grid [H·W, 2], Reshape to [N, 2C].
import FoveaEngine
import Foundation
import SwiftProtobuf

public enum ONNXWriter {
    public static let opsets = 13...21
    /// The IR version ONNX 1.12 introduced with opset 17; readers of opsets 13-21 accept it.
    static let irVersion: Int64 = 8

    public static func serialized(_ graph: ExportGraph, opset: Int = 17) throws -> Data {
        try model(graph, opset: opset).serializedData()
    }

    static func model(_ graph: ExportGraph, opset: Int) throws -> Onnx_ModelProto {
        guard opsets.contains(opset) else {
            throw ExportError.badOption(name: "--opset", reason: "\(opset) is not supported; choose \(opsets.lowerBound) to \(opsets.upperBound) (17 is the default)")
        }
        var emitter = Emitter(graph: graph)
        try emitter.run()
        var g = Onnx_GraphProto()
        g.name = graph.name
        g.node = emitter.nodes
        g.initializer = emitter.initializers
        g.input = graph.inputs.map(valueInfo)
        g.output = graph.outputs.map(valueInfo)
        var m = Onnx_ModelProto()
        m.irVersion = irVersion
        var set = Onnx_OperatorSetIdProto()
        set.domain = ""
        set.version = Int64(opset)
        m.opsetImport = [set]
        m.producerName = "Fovea"
        m.producerVersion = "1"
        m.graph = g
        m.metadataProps = graph.metadata.map { entry in
            var p = Onnx_StringStringEntryProto()
            p.key = entry.key
            p.value = entry.value
            return p
        }
        return m
    }

    static func valueInfo(_ t: ExportTensor) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = t.shape.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let p = d.parameter { dim.dimParam = p } else { dim.dimValue = Int64(d.size) }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Onnx_TensorProto.DataType.float.rawValue32
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = t.name
        info.type = type
        return info
    }
}

extension Onnx_TensorProto.DataType {
    var rawValue32: Int32 { Int32(rawValue) }
}

/// Emits ONNX nodes for the export nodes, tracking each tensor's layout.
private struct Emitter {
    enum Layout { case nhwc, nchw, flat }

    let graph: ExportGraph
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var layout: [String: Layout] = [:]
    /// NCHW (or NHWC) copies already made of a tensor.
    var transposed: [String: String] = [:]

    init(graph: ExportGraph) {
        self.graph = graph
        for input in graph.inputs { layout[input.name] = input.shape.count == 4 ? .nhwc : .flat }
    }

    mutating func run() throws {
        for node in graph.nodes { try emit(node) }
        // Outputs leave in NHWC under their contract names.
        for output in graph.outputs where layout[output.name] == .nchw {
            let inner = "\(output.name)/nchw"
            for i in nodes.indices {
                nodes[i].output = nodes[i].output.map { $0 == output.name ? inner : $0 }
                nodes[i].input = nodes[i].input.map { $0 == output.name ? inner : $0 }
            }
            add("Transpose", "\(output.name)/to_nhwc", [inner], output.name, [ints("perm", [0, 2, 3, 1])])
        }
    }

    private mutating func emit(_ n: ExportNode) throws {
        switch n.op {
        case .conv(let w):
            let x = nchw(n.input)
            var oihw = [Float](repeating: 0, count: w.kernel.count)
            let (kh, kw, ci, co) = (w.kernelHeight, w.kernelWidth, w.inChannels, w.filters)
            for y in 0..<kh { for x in 0..<kw { for i in 0..<ci { for o in 0..<co {
                oihw[((o * ci + i) * kh + y) * kw + x] = w.kernel[((y * kw + x) * ci + i) * co + o]
            } } } }
            let weight = initializer("\(n.name)/kernel", [co, ci, kh, kw], oihw)
            let bias = initializer("\(n.name)/bias", [co], w.bias)
            let out = n.activation == .linear ? n.output : "\(n.name)/conv"
            add("Conv", n.name, [x, weight, bias], out,
                [ints("kernel_shape", [kh, kw]), ints("strides", [w.stride, w.stride]), padding(w.same)])
            layout[out] = .nchw
            try activation(n.activation, n.name, out, n.output)
        case .dense(let w):
            let x = nhwcOrFlat(n.input)
            let weight = initializer("\(n.name)/kernel", [w.inputs, w.units], w.kernel)
            let bias = initializer("\(n.name)/bias", [w.units], w.bias)
            let out = n.activation == .linear ? n.output : "\(n.name)/dense"
            if layout[x] == .flat && n.outputShape.count == 2 {
                add("Gemm", n.name, [x, weight, bias], out, [])
            } else {
                add("MatMul", n.name, [x, weight], "\(n.name)/matmul", [])
                add("Add", "\(n.name)/bias_add", ["\(n.name)/matmul", bias], out, [])
            }
            layout[out] = layout[x]
            try activation(n.activation, n.name, out, n.output)
        case .maxPool(let p), .averagePool(let p):
            let isMax: Bool
            if case .maxPool = n.op { isMax = true } else { isMax = false }
            var attributes = [ints("kernel_shape", [p.size, p.size]), ints("strides", [p.stride, p.stride]), padding(p.same)]
            // The engine averages over the real cells only, as count_include_pad = 0.
            if !isMax { attributes.append(int("count_include_pad", 0)) }
            add(isMax ? "MaxPool" : "AveragePool", n.name, [nchw(n.input)], n.output, attributes)
            layout[n.output] = .nchw
        case .globalAveragePool:
            add("GlobalAveragePool", n.name, [nchw(n.input)], "\(n.name)/pooled", [])
            add("Flatten", "\(n.name)/flatten", ["\(n.name)/pooled"], n.output, [int("axis", 1)])
            layout[n.output] = .flat
        case .reshape(let target):
            let shape = initializer("\(n.name)/shape", [target.count + 1], [0] + target.map(Int64.init))
            add("Reshape", n.name, [nhwcOrFlat(n.input), shape], n.output, [])
            layout[n.output] = target.count == 3 ? .nhwc : .flat
        case .affine(let scale, let shift):
            let x = n.input
            let channelFirst = layout[x] == .nchw
            let dims = channelFirst ? [scale.count, 1, 1] : [scale.count]
            let s = initializer("\(n.name)/scale", dims, scale), b = initializer("\(n.name)/shift", dims, shift)
            add("Mul", n.name, [x, s], "\(n.name)/scaled", [])
            add("Add", "\(n.name)/shift", ["\(n.name)/scaled", b], n.output, [])
            layout[n.output] = layout[x]
        case .activation(let a):
            layout[n.input] = layout[n.input] ?? .flat
            try activation(a, n.name, n.input, n.output)
        case .spatialSoftArgmax(let g):
            let cells = g.x.count * g.y.count
            let maps = initializer("\(n.name)/maps_shape", [3], [0, Int64(g.channels), Int64(cells)])
            add("Reshape", "\(n.name)/maps", [nchw(n.input), maps], "\(n.name)/logits", [])
            add("Softmax", "\(n.name)/softmax", ["\(n.name)/logits"], "\(n.name)/weights", [int("axis", -1)])
            let grid = initializer("\(n.name)/grid", [cells, 2], g.cellCoordinates)
            add("MatMul", "\(n.name)/expectation", ["\(n.name)/weights", grid], "\(n.name)/points", [])
            let shape = initializer("\(n.name)/shape", [2], [0, Int64(2 * g.channels)])
            add("Reshape", n.name, ["\(n.name)/points", shape], n.output, [])
            layout[n.output] = .flat
        }
    }

    private mutating func activation(_ a: Activation, _ name: String, _ input: String, _ output: String) throws {
        let l = layout[input] ?? .flat
        switch a {
        case .linear: return
        case .relu: add("Relu", "\(name)/relu", [input], output, [])
        case .sigmoid: add("Sigmoid", "\(name)/sigmoid", [input], output, [])
        case .tanh: add("Tanh", "\(name)/tanh", [input], output, [])
        case .softmax: add("Softmax", "\(name)/softmax", [input], output, [int("axis", l == .nchw ? 1 : -1)])
        }
        layout[output] = l
    }

    private mutating func nchw(_ t: String) -> String {
        guard layout[t] == .nhwc else { return t }
        if let done = transposed[t] { return done }
        let out = "\(t)/nchw"
        add("Transpose", "\(t)/to_nchw", [t], out, [ints("perm", [0, 3, 1, 2])])
        layout[out] = .nchw
        transposed[t] = out
        return out
    }

    private mutating func nhwcOrFlat(_ t: String) -> String {
        guard layout[t] == .nchw else { return t }
        if let done = transposed[t] { return done }
        let out = "\(t)/nhwc"
        add("Transpose", "\(t)/to_nhwc", [t], out, [ints("perm", [0, 2, 3, 1])])
        layout[out] = .nhwc
        transposed[t] = out
        return out
    }

    private func padding(_ same: Bool) -> Onnx_AttributeProto {
        // SAME_UPPER puts an odd padding total's extra cell at the end, as TensorFlow and the engine do.
        string("auto_pad", same ? "SAME_UPPER" : "VALID")
    }

    private mutating func add(_ op: String, _ name: String, _ inputs: [String], _ output: String,
                              _ attributes: [Onnx_AttributeProto]) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = [output]
        node.attribute = attributes
        nodes.append(node)
    }

    private mutating func initializer(_ name: String, _ dims: [Int], _ values: [Float]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = Onnx_TensorProto.DataType.float.rawValue32
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
        initializers.append(t)
        return name
    }

    private mutating func initializer(_ name: String, _ dims: [Int], _ values: [Int64]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = Onnx_TensorProto.DataType.int64.rawValue32
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
        initializers.append(t)
        return name
    }

    private func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map(Int64.init)
        return a
    }

    private func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    private func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }
}
