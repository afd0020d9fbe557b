// Dense: a fully connected layer, y = act(x·W + b) on the last axis, as one
// GEMM plus a fused bias/activation pass. Kernel layout is Keras's [in, units].

public final class Dense: ActivatedLayer {
    public var name: String
    public var trainable = true
    public var typeName: String { "Dense" }
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    public var fusedSoftmaxGradient = false
    /// See Conv2D.computesInputGradient.
    var computesInputGradient = true

    public private(set) var kernel = Parameter(name: "kernel", value: Tensor(shape: [0]))
    public private(set) var bias: Parameter?
    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

    private var inputUnits = 0
    private var input: Tensor?
    private var output: Tensor?

    public init(units: Int, activation: Activation = .linear, useBias: Bool = true, name: String? = nil) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard let last = inputShape.last, last > 0 else {
            throw EngineError.shapeMismatch("\(name) (Dense) needs a non-empty input shape, got \(inputShape)")
        }
        guard units > 0 else {
            throw EngineError.invalidArgument("\(name) (Dense): units must be positive, got \(units)")
        }
        inputUnits = last
        _ = Allocator.tuned
        kernel = Parameter(name: "kernel", value: glorotUniform([last, units], fanIn: last, fanOut: units))
        bias = useBias ? Parameter(name: "bias", value: Tensor(shape: [units])) : nil
        return Array(inputShape.dropLast()) + [units]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let rows = input.count / inputUnits
        let out = Tensor(uninitializedShape: Array(input.shape.dropLast()) + [units])
        input.data.withUnsafeBufferPointer { x in
            kernel.value.data.withUnsafeBufferPointer { w in
                out.data.withUnsafeMutableBufferPointer { y in
                    sgemm(m: rows, n: units, k: inputUnits, a: x.baseAddress!, lda: inputUnits,
                          b: w.baseAddress!, ldb: units, c: y.baseAddress!, ldc: units)
                    if let bias {
                        bias.value.data.withUnsafeBufferPointer { b in
                            activation.applyInPlace(y.baseAddress!, rows: rows, width: units, bias: b.baseAddress!)
                        }
                    } else {
                        activation.applyInPlace(y.baseAddress!, rows: rows, width: units, bias: nil)
                    }
                }
            }
        }
        self.input = input
        self.output = out
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input, let output else { preconditionFailure("\(name): backward before forward") }
        let rows = input.count / inputUnits
        let dx = computesInputGradient ? Tensor(uninitializedShape: input.shape) : Tensor(shape: [0])
        output.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeMutableBufferPointer { g in
                activation.backwardInPlace(output: y.baseAddress!, grad: g.baseAddress!, rows: rows,
                                           width: units, fusedSoftmax: fusedSoftmaxGradient)
            }
        }
        gradOutput.data.withUnsafeBufferPointer { g in
            if let bias {
                bias.grad.data.withUnsafeMutableBufferPointer { bg in
                    addColumnSums(g.baseAddress!, rows: rows, width: units, into: bg.baseAddress!)
                }
            }
            input.data.withUnsafeBufferPointer { x in
                kernel.grad.data.withUnsafeMutableBufferPointer { wg in
                    sgemm(transA: true, m: inputUnits, n: units, k: rows, a: x.baseAddress!, lda: inputUnits,
                          b: g.baseAddress!, ldb: units, beta: 1, c: wg.baseAddress!, ldc: units)
                }
            }
            if computesInputGradient {
                kernel.value.data.withUnsafeBufferPointer { w in
                    dx.data.withUnsafeMutableBufferPointer { d in
                        sgemm(transB: true, m: rows, n: inputUnits, k: units, a: g.baseAddress!, lda: units,
                              b: w.baseAddress!, ldb: units, c: d.baseAddress!, ldc: inputUnits)
                    }
                }
            }
        }
        return dx
    }
}
