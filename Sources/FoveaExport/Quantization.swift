// Quantization: int8 versions of Fovea classifiers in TFLite's integer
// scheme. Weights are symmetric int8 per output channel (scale = max|w|/127),
// biases int32 at input scale × weight scale, activations asymmetric int8 per
// tensor with ranges calibrated on real images run through the float engine.
// QuantizedGraph runs the result in Fovea (CFoveaKernels' int8 convolution,
// int32 accumulation, per-channel requantization; each node's weights packed
// once for its fast path), so accuracy is measured on the integer arithmetic
// itself, and TFLiteWriter writes it for LiteRT.
// Handles chains of Conv2D / Dense (BatchNormalization folded, ReLU fused),
// max pooling, Flatten / Reshape and a final softmax.
import FoveaEngine
import Foundation

/// real = scale · (q − zeroPoint).
public struct QuantParams: Equatable, Sendable {
    public var scale: Float
    public var zeroPoint: Int

    /// Covers min...max (widened to hold 0) with the 256 int8 steps.
    public init(min lo: Float, max hi: Float) {
        let lo = Swift.min(lo, 0), hi = Swift.max(hi, 0)
        scale = hi > lo ? (hi - lo) / 255 : 1
        zeroPoint = Swift.max(-128, Swift.min(127, Int((-128 - lo / scale).rounded())))
    }

    public init(scale: Float, zeroPoint: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    func quantize(_ v: Float) -> Int8 { Int8(Swift.max(-128, Swift.min(127, Int((v / scale).rounded()) + zeroPoint))) }
    func real(_ q: Int8) -> Float { scale * Float(Int(q) - zeroPoint) }

    /// TFLite's fixed parameters of an int8 softmax output.
    public static let softmaxOutput = QuantParams(scale: 1.0 / 256, zeroPoint: -128)
    /// Inputs in 0...1 given as pixel / 255: exact in these steps.
    public static let unitInput = QuantParams(scale: 1.0 / 255, zeroPoint: -128)
}

public struct QuantizedNode: Sendable {
    public enum Op: Sendable {
        /// Conv2D, or Dense as a 1x1 convolution on a 1x1 map; weights
        /// [filters][kh][kw][in] (OHWI, TFLite's filter layout).
        case conv(kernelHeight: Int, kernelWidth: Int, stride: Int, same: Bool)
        case dense
        case maxPool(PoolWindow)
        case reshape([Int])
        /// Over the last axis; output in QuantParams.softmaxOutput.
        case softmax
    }

    public var name: String
    public var op: Op
    public var relu: Bool
    public var weights: [Int8] = []
    public var weightScales: [Float] = []
    public var bias: [Int32] = []
    /// Output shape per sample.
    public var shape: [Int]
    public var output: QuantParams
    /// `weights` packed for Int8Convolution on first use (shared by copies).
    let packed = PackedFiltersCache()
}

/// A node's filters packed for Int8Convolution, kept with the weights array
/// they came from. Packing costs about as much as running a small layer once,
/// so `predict` packs each node once, not every call. A node whose weights
/// were changed since has an array with other storage (this cache holds a
/// reference, so a change copies), which compares unequal unless its values
/// are the same: its filters are packed again.
final class PackedFiltersCache: @unchecked Sendable {
    private let lock = NSLock()
    private var source: [Int8] = []
    private var filters: Int8ConvolutionFilters?

    func filters(_ weights: [Int8], _ s: Int8ConvolutionShape) -> Int8ConvolutionFilters {
        lock.lock()
        defer { lock.unlock() }
        if let f = filters, f.filters == s.filters, f.kernelHeight == s.kernelHeight, f.kernelWidth == s.kernelWidth,
           f.channels == s.channels, source == weights {
            return f
        }
        let f = Int8ConvolutionFilters(weights: weights, filters: s.filters, kernelHeight: s.kernelHeight,
                                       kernelWidth: s.kernelWidth, channels: s.channels)
        (source, filters) = (weights, f)
        return f
    }
}

public struct QuantizedGraph: Sendable {
    public var name: String
    public var inputShape: [Int]
    public var input: QuantParams
    public var nodes: [QuantizedNode]
    public var metadata: [(key: String, value: String)]

    public var labels: [String] {
        metadata.first { $0.key == "labels" }.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.value.utf8)) } ?? []
    }

    /// Class probabilities for a float batch [N] + inputShape (values 0...1).
    public func predict(_ x: Tensor) -> Tensor {
        let n = x.batchCount
        var q = x.data.map(input.quantize)
        var params = input, shape = inputShape
        for node in nodes {
            switch node.op {
            case .conv(let kh, let kw, let stride, let same):
                let (h, w, c) = (shape[0], shape[1], shape[2])
                let (oh, ow) = (node.shape[0], node.shape[1])
                let padTop = same ? Swift.max((oh - 1) * stride + kh - h, 0) / 2 : 0
                let padLeft = same ? Swift.max((ow - 1) * stride + kw - w, 0) / 2 : 0
                q = run(node, q, n, params, Int8ConvolutionShape(
                    height: h, width: w, channels: c, kernelHeight: kh, kernelWidth: kw, stride: stride,
                    padTop: padTop, padLeft: padLeft, outHeight: oh, outWidth: ow, filters: node.shape[2]))
            case .dense:
                let inputs = shape.reduce(1, *)
                q = run(node, q, n, params, Int8ConvolutionShape(
                    height: 1, width: 1, channels: inputs, kernelHeight: 1, kernelWidth: 1, stride: 1,
                    padTop: 0, padLeft: 0, outHeight: 1, outWidth: 1, filters: node.shape.last!))
            case .maxPool(let p):
                q = Self.maxPool(q, n, shape, node.shape, p)
            case .reshape:
                break
            case .softmax:
                let k = shape.last!
                let out = QuantParams.softmaxOutput
                for row in 0..<(q.count / k) {
                    let z = (0..<k).map { params.real(q[row * k + $0]) }
                    let top = z.max()!
                    let e = z.map { exp($0 - top) }
                    let sum = e.reduce(0, +)
                    for j in 0..<k { q[row * k + j] = out.quantize(e[j] / sum) }
                }
            }
            params = node.output
            shape = node.shape
        }
        return Tensor(shape: [n] + shape, data: q.map(params.real))
    }

    private func run(_ node: QuantizedNode, _ x: [Int8], _ n: Int, _ input: QuantParams,
                     _ shape: Int8ConvolutionShape) -> [Int8] {
        let multipliers = node.weightScales.map { Double(input.scale) * Double($0) / Double(node.output.scale) }
        let low = node.relu ? Swift.max(-128, node.output.zeroPoint) : -128
        return Int8Convolution.run(x, batch: n, shape: shape, inputZeroPoint: input.zeroPoint,
                                   filters: node.packed.filters(node.weights, shape), bias: node.bias, multipliers: multipliers, outputZeroPoint: node.output.zeroPoint,
                                   range: low...127)
    }

    /// Max pooling needs no requantization: the output keeps the input's parameters.
    private static func maxPool(_ x: [Int8], _ n: Int, _ inShape: [Int], _ outShape: [Int], _ p: PoolWindow) -> [Int8] {
        let (h, w, c) = (inShape[0], inShape[1], inShape[2]), (oh, ow) = (outShape[0], outShape[1])
        let padTop = p.same ? Swift.max((oh - 1) * p.stride + p.size - h, 0) / 2 : 0
        let padLeft = p.same ? Swift.max((ow - 1) * p.stride + p.size - w, 0) / 2 : 0
        return Int8Convolution.maxPool(x, batch: n, height: h, width: w, channels: c, size: p.size, stride: p.stride,
                                       padTop: padTop, padLeft: padLeft, outHeight: oh, outWidth: ow)
    }
}

public enum Quantizer {
    /// The int8 version of a classifier file (inputs in 0...1), activation
    /// ranges calibrated on `calibration`, a batch of the model's inputs.
    public static func quantize(_ file: ModelFile, calibration: Tensor) throws -> QuantizedGraph {
        let graph = try ModelContract.sequentialGraph(file, batch: .dynamic)
        let model = file.model
        guard graph.outputs.map(\.name) == ["probabilities"] else {
            throw ExportError.unsupported(layer: model.layers.last?.name ?? "?",
                                          reason: "int8 quantization takes classifiers (a softmax over classes at the end); this model gives \(graph.outputs.map(\.name))")
        }
        var nodes: [QuantizedNode] = []
        for node in graph.nodes {
            let shape = node.outputShape.dropFirst().map(\.size)
            guard node.activation == .linear || node.activation == .relu || node.activation == .softmax else {
                throw ExportError.unsupported(layer: node.name, reason: "int8 quantization handles ReLU and a final softmax, not \(node.activation.rawValue)")
            }
            let relu = node.activation == .relu
            let unset = QuantParams(scale: 1, zeroPoint: 0)
            switch node.op {
            case .conv(let w):
                var q = QuantizedNode(name: node.name, op: .conv(kernelHeight: w.kernelHeight, kernelWidth: w.kernelWidth,
                                                                  stride: w.stride, same: w.same),
                                      relu: relu, shape: shape, output: unset)
                (q.weights, q.weightScales) = perChannel(w.kernel, rows: w.kernelHeight * w.kernelWidth * w.inChannels, columns: w.filters)
                nodes.append(q)
            case .dense(let w):
                var q = QuantizedNode(name: node.name, op: .dense, relu: relu, shape: shape, output: unset)
                (q.weights, q.weightScales) = perChannel(w.kernel, rows: w.inputs, columns: w.units)
                nodes.append(q)
            case .maxPool(let p):
                nodes.append(QuantizedNode(name: node.name, op: .maxPool(p), relu: false, shape: shape, output: unset))
            case .reshape(let target):
                nodes.append(QuantizedNode(name: node.name, op: .reshape(target), relu: false, shape: shape, output: unset))
            case .activation(.softmax) where node.output == graph.outputs[0].name:
                nodes.append(QuantizedNode(name: node.name, op: .softmax, relu: false, shape: shape, output: .softmaxOutput))
                continue
            default:
                throw ExportError.unsupported(layer: node.name, reason: "int8 quantization handles Conv2D, Dense, max pooling, Flatten/Reshape and a final softmax, not \(node.op.kind)")
            }
            if node.activation == .softmax {
                nodes.append(QuantizedNode(name: "\(node.name)/softmax", op: .softmax, relu: false, shape: shape, output: .softmaxOutput))
            }
        }
        let ranges = try calibrate(graph, model: model, calibration: calibration)
        var params = QuantParams.unitInput
        for i in nodes.indices {
            switch nodes[i].op {
            case .conv, .dense:
                nodes[i].output = QuantParams(min: ranges[nodes[i].name]!.lowerBound, max: ranges[nodes[i].name]!.upperBound)
                let (biasFloat, scales) = (floatBias(graph, nodes[i].name), nodes[i].weightScales)
                nodes[i].bias = (0..<scales.count).map { Int32((Double(biasFloat[$0]) / (Double(params.scale) * Double(scales[$0]))).rounded()) }
            case .maxPool, .reshape:
                nodes[i].output = params
            case .softmax:
                break
            }
            params = nodes[i].output
        }
        var metadata = graph.metadata
        metadata.append(("quantization", "int8: weights symmetric per output channel, activations asymmetric per tensor, calibrated on \(calibration.batchCount) images"))
        return QuantizedGraph(name: graph.name, inputShape: model.inputShape, input: .unitInput, nodes: nodes, metadata: metadata)
    }

    /// Columns of a [rows, columns] kernel as int8 rows [column][row], each with scale max|w|/127.
    static func perChannel(_ kernel: [Float], rows: Int, columns: Int) -> ([Int8], [Float]) {
        var q = [Int8](repeating: 0, count: kernel.count)
        var scales = [Float](repeating: 1, count: columns)
        for c in 0..<columns {
            var m: Float = 0
            for r in 0..<rows { m = Swift.max(m, abs(kernel[r * columns + c])) }
            let s = m > 0 ? m / 127 : 1
            scales[c] = s
            for r in 0..<rows { q[c * rows + r] = Int8(Swift.max(-127, Swift.min(127, (kernel[r * columns + c] / s).rounded()))) }
        }
        return (q, scales)
    }

    private static func floatBias(_ graph: ExportGraph, _ name: String) -> [Float] {
        for node in graph.nodes where node.name == name {
            if case .conv(let w) = node.op { return w.bias }
            if case .dense(let w) = node.op { return w.bias }
        }
        return []
    }

    /// The float range of each conv / dense node's output (before a softmax:
    /// the logits), over the calibration images, from the engine's own layers.
    static func calibrate(_ graph: ExportGraph, model: Sequential, calibration: Tensor) throws -> [String: ClosedRange<Float>] {
        var ranges: [String: ClosedRange<Float>] = [:]
        let per = model.inputShape.reduce(1, *)
        let n = calibration.batchCount
        for start in stride(from: 0, to: n, by: 250) {
            let count = Swift.min(250, n - start)
            var h = Tensor(shape: [count] + model.inputShape, data: Array(calibration.data[(start * per)..<((start + count) * per)]))
            for (i, layer) in model.layers.enumerated() {
                let input = h
                h = layer.forward(h, training: false)
                guard let node = graph.nodes.first(where: { $0.layers.upperBound - 1 == i }) else { continue }
                var values = h.data
                if node.activation == .softmax, case .dense(let w) = node.op {
                    values = logits(input.data, w)
                }
                guard node.isWeighted else { continue }
                let lo = values.min() ?? 0, hi = values.max() ?? 0
                let old = ranges[node.name] ?? lo...hi
                ranges[node.name] = Swift.min(old.lowerBound, lo)...Swift.max(old.upperBound, hi)
            }
        }
        return ranges
    }

    private static func logits(_ x: [Float], _ w: DenseWeights) -> [Float] {
        let rows = x.count / w.inputs
        var out = [Float](repeating: 0, count: rows * w.units)
        for r in 0..<rows {
            for i in 0..<w.inputs where x[r * w.inputs + i] != 0 {
                let v = x[r * w.inputs + i]
                for o in 0..<w.units { out[r * w.units + o] += v * w.kernel[i * w.units + o] }
            }
            for o in 0..<w.units { out[r * w.units + o] += w.bias[o] }
        }
        return out
    }
}

extension ExportNode {
    var isWeighted: Bool {
        switch op {
        case .conv, .dense: return true
        default: return false
        }
    }
}
