// ExportGraph: a Fovea model as the format writers see it, in NHWC terms
// like the engine: a list of nodes (convolution, dense, pooling, reshape,
// per-channel affine, activation, spatial soft-argmax), each reading and writing named tensors,
// with inference-time simplifications already made (BatchNormalization
// folded into the Conv2D or Dense before it, a following Activation fused,
// Dropout gone). The ONNX and TFLite writers translate it node by node.
import FoveaEngine

/// One dimension of a tensor: its size for a nominal input, and the name of
/// the run-time parameter it follows when it is not fixed (nil when fixed).
public struct Dim: Equatable, Sendable, CustomStringConvertible {
    public var size: Int
    public var parameter: String?

    public static func fixed(_ size: Int) -> Dim { Dim(size: size, parameter: nil) }
    public static func dynamic(_ parameter: String, nominal: Int) -> Dim { Dim(size: nominal, parameter: parameter) }
    public var isDynamic: Bool { parameter != nil }
    public var description: String { parameter ?? "\(size)" }
}

/// Convolution weights in the engine's layout: kernel [kh, kw, in, out].
public struct ConvWeights: Sendable {
    public var kernel: [Float]
    public var bias: [Float]
    public var kernelHeight: Int, kernelWidth: Int, inChannels: Int, filters: Int
    public var stride: Int
    public var same: Bool
}

/// Dense weights in the engine's layout: kernel [in, out].
public struct DenseWeights: Sendable {
    public var kernel: [Float]
    public var bias: [Float]
    public var inputs: Int, units: Int
}

public struct PoolWindow: Sendable {
    public var size: Int, stride: Int
    public var same: Bool
}

/// A SpatialSoftArgmax's grid: the x of each column and the y of each row
/// of its [H, W, C] input.
public struct SoftArgmaxGrid: Sendable {
    public var x: [Float], y: [Float]
    public var channels: Int

    /// [H·W, 2]: cell k = (row k / W, column k % W) → its x, y.
    public var cellCoordinates: [Float] {
        (0..<(x.count * y.count)).flatMap { [x[$0 % x.count], y[$0 / x.count]] }
    }
}

public enum ExportOp: Sendable {
    case conv(ConvWeights)
    case dense(DenseWeights)
    case maxPool(PoolWindow)
    case averagePool(PoolWindow)
    /// Mean over height and width: [N, H, W, C] → [N, C].
    case globalAveragePool
    /// To [N] + shape (row-major over NHWC, as the engine's Flatten/Reshape).
    case reshape([Int])
    /// y = x · scale[c] + shift[c] over the last axis (a BatchNormalization
    /// that follows no Conv2D or Dense).
    case affine(scale: [Float], shift: [Float])
    /// relu, sigmoid, tanh or softmax (over the last axis).
    case activation(Activation)
    /// [N, H, W, C] → [N, 2C]: per channel, the softmax over the H·W cells
    /// times the grid, as x0, y0, x1, y1, ….
    case spatialSoftArgmax(SoftArgmaxGrid)

    public var kind: String {
        switch self {
        case .conv: return "Conv2D"
        case .dense: return "Dense"
        case .maxPool: return "MaxPooling2D"
        case .averagePool: return "AveragePooling2D"
        case .globalAveragePool: return "GlobalAveragePooling2D"
        case .reshape: return "Reshape"
        case .affine: return "BatchNormalization"
        case .activation(let a): return a.rawValue
        case .spatialSoftArgmax: return "SpatialSoftArgmax"
        }
    }
}

public struct ExportNode: Sendable {
    /// The Fovea layer it comes from (or `layer/part` when one layer became several nodes).
    public var name: String
    public var op: ExportOp
    /// Applied to the op's result (conv and dense only; .linear for none).
    public var activation: Activation
    public var input: String
    public var output: String
    /// With the batch axis first.
    public var outputShape: [Dim]
    /// The engine layers it stands for (indices in its Sequential), for calibration.
    var layers: Range<Int> = 0..<0
}

public struct ExportTensor: Sendable {
    public var name: String
    public var shape: [Dim]
}

public struct ExportGraph: Sendable {
    public var name: String
    public var inputs: [ExportTensor]
    public var outputs: [ExportTensor]
    public var nodes: [ExportNode]
    /// Written as ONNX metadata_props and TFLite metadata: labels (JSON), kind, preprocessing, …
    public var metadata: [(key: String, value: String)]

    public func node(producing tensor: String) -> ExportNode? { nodes.last { $0.output == tensor } }
}

/// Turns engine layers into export nodes, one Sequential at a time.
struct GraphBuilder {
    var nodes: [ExportNode] = []
    private var count = 0

    /// Appends `model`'s layers reading `input` (shape with batch); returns
    /// the name and shape of the last tensor.
    mutating func append(_ model: Sequential, input: String, shape: [Dim]) throws -> (String, [Dim]) {
        var current = input, shape = shape
        let layers = model.layers
        var i = 0
        while i < layers.count {
            let layer = layers[i]
            var next = i + 1
            var activation = Activation.linear
            let op: ExportOp
            switch layer {
            case let conv as Conv2D:
                var w = ConvWeights(kernel: conv.kernel.value.data, bias: conv.bias?.value.data ?? zeros(conv.filters),
                                    kernelHeight: conv.kernelSize.height, kernelWidth: conv.kernelSize.width,
                                    inChannels: conv.kernel.value.shape[2], filters: conv.filters,
                                    stride: conv.strides.height, same: conv.padding == .same)
                activation = conv.activation
                if activation == .linear, next < layers.count, let bn = layers[next] as? BatchNormalization {
                    fold(bn, kernel: &w.kernel, bias: &w.bias, columns: w.filters)
                    next += 1
                }
                op = .conv(w)
            case let dense as Dense:
                var w = DenseWeights(kernel: dense.kernel.value.data, bias: dense.bias?.value.data ?? zeros(dense.units),
                                     inputs: dense.kernel.value.shape[0], units: dense.units)
                activation = dense.activation
                if activation == .linear, next < layers.count, let bn = layers[next] as? BatchNormalization {
                    fold(bn, kernel: &w.kernel, bias: &w.bias, columns: w.units)
                    next += 1
                }
                op = .dense(w)
            case let pool as MaxPooling2D:
                op = .maxPool(PoolWindow(size: pool.poolSize, stride: pool.strides, same: pool.padding == .same))
            case let pool as AveragePooling2D:
                op = .averagePool(PoolWindow(size: pool.poolSize, stride: pool.strides, same: pool.padding == .same))
            case is GlobalAveragePooling2D:
                op = .globalAveragePool
            case is Flatten, is Reshape:
                if let d = shape.dropFirst().first(where: \.isDynamic) {
                    throw ExportError.unsupported(
                        layer: layer.name, reason: "it flattens or reshapes a map whose size '\(d)' is only known at run time; export with a fixed input size")
                }
                op = .reshape(model.outputShapes[i])
            case let bn as BatchNormalization:
                let (scale, shift) = affine(bn)
                op = .affine(scale: scale, shift: shift)
            case let a as ActivationLayer:
                if a.activation == .linear { i = next; continue }
                op = .activation(a.activation)
            case let argmax as SpatialSoftArgmax:
                if let d = shape.dropFirst().first(where: \.isDynamic) {
                    throw ExportError.unsupported(
                        layer: layer.name, reason: "its grid needs the map's size, and '\(d)' is only known at run time; export with a fixed input size")
                }
                let grid = argmax.grid(height: shape[1].size, width: shape[2].size)
                op = .spatialSoftArgmax(SoftArgmaxGrid(x: grid.x, y: grid.y, channels: shape[3].size))
            case is Dropout:
                i = next; continue
            default:
                throw ExportError.unsupported(layer: layer.name, reason: "layer type \(layer.typeName) has no export")
            }
            // A separate Activation after a linear conv or dense runs fused with it.
            if activation == .linear, next < layers.count, let a = layers[next] as? ActivationLayer {
                switch op {
                case .conv, .dense:
                    activation = a.activation
                    next += 1
                default: break
                }
            }
            shape = Self.outputShape(op, input: shape, engine: model.outputShapes[next - 1])
            let output = "t\(count)_\(layer.name)"
            count += 1
            nodes.append(ExportNode(name: layer.name, op: op, activation: activation, input: current, output: output,
                                    outputShape: shape, layers: i..<next))
            current = output
            i = next
        }
        return (current, shape)
    }

    /// The engine's nominal output shape, with dynamic height and width carried
    /// through convolutions and poolings.
    static func outputShape(_ op: ExportOp, input: [Dim], engine: [Int]) -> [Dim] {
        var out = [input[0]] + engine.map(Dim.fixed)
        switch op {
        case .conv(let w):
            for axis in 1...2 where input[axis].isDynamic {
                out[axis].parameter = w.stride == 1 && (w.same || w.kernelHeight == 1 && w.kernelWidth == 1)
                    ? input[axis].parameter : derived(input[axis].parameter!, stride: w.stride, same: w.same)
            }
        case .maxPool(let p), .averagePool(let p):
            for axis in 1...2 where input[axis].isDynamic {
                out[axis].parameter = derived(input[axis].parameter!, stride: p.stride, same: p.same || p.size == p.stride)
            }
        case .dense, .affine, .activation:
            for axis in 1..<(out.count - 1) where input[axis].isDynamic { out[axis] = input[axis] }
        case .globalAveragePool, .reshape, .spatialSoftArgmax:
            break
        }
        return out
    }

    /// The name of a run-time size after a stride: "width" → "width_div2"
    /// → "width_div4" while windows tile it exactly, else "width_out".
    static func derived(_ parameter: String, stride: Int, same: Bool) -> String {
        guard same else { return parameter.hasSuffix("_out") ? parameter : "\(parameter)_out" }
        if let r = parameter.range(of: "_div"), let d = Int(parameter[r.upperBound...]) {
            return "\(parameter[..<r.lowerBound])_div\(d * stride)"
        }
        return parameter.hasSuffix("_out") ? parameter : "\(parameter)_div\(stride)"
    }

    /// Output channel j of the kernel (columns, last axis) scaled by
    /// γ_j/√(σ²_j+ε), the bias shifted: BatchNormalization at inference.
    private func fold(_ bn: BatchNormalization, kernel: inout [Float], bias: inout [Float], columns: Int) {
        let (scale, shift) = affine(bn)
        for r in 0..<(kernel.count / columns) {
            for j in 0..<columns { kernel[r * columns + j] *= scale[j] }
        }
        for j in 0..<columns { bias[j] = bias[j] * scale[j] + shift[j] }
    }

    private func affine(_ bn: BatchNormalization) -> (scale: [Float], shift: [Float]) {
        let g = bn.gamma.value.data, b = bn.beta.value.data
        let m = bn.movingMean.value.data, v = bn.movingVariance.value.data
        let scale = zip(g, v).map { $0 / ($1 + bn.epsilon).squareRoot() }
        return (scale, (0..<g.count).map { b[$0] - m[$0] * scale[$0] })
    }

    private func zeros(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
}
