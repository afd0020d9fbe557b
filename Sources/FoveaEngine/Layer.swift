// Layer and Parameter: the contract every layer type implements.
// One layer type lives in one file (forward, backward, parameters); adding a
// layer touches that file and LayerRegistry.swift, nothing else.

/// A trainable array and the gradient accumulated for it by `backward`.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    public let grad: Tensor
    /// Parameters such as BatchNormalization's moving statistics are state,
    /// saved with the weights but never updated by an optimizer.
    public let isState: Bool

    public init(name: String, value: Tensor, isState: Bool = false) {
        self.name = name
        self.value = value
        self.grad = Tensor(shape: value.shape)
        self.isState = isState
    }
}

/// A layer of a model. Shapes exclude the batch dimension; tensors passed to
/// `forward` and `backward` carry it first.
public protocol Layer: AnyObject {
    /// Unique within a model, as in Keras ("conv2d", "conv2d_1", …).
    var name: String { get set }
    /// When false the layer's parameters are frozen: gradients still flow
    /// through the layer but its parameters are not updated.
    var trainable: Bool { get set }
    /// Keras class name, for summaries and weight files ("Conv2D", "Dense", …).
    var typeName: String { get }
    /// Creates the parameters for an input shape and returns the output shape.
    func build(inputShape: [Int]) throws -> [Int]
    /// Computes the output and keeps what `backward` needs.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Given dLoss/dOutput for the last `forward`, adds dLoss/dParameter into
    /// each parameter's `grad` and returns dLoss/dInput. The layer may use
    /// `gradOutput`'s buffer as scratch (and may return it): pass a tensor you
    /// no longer need.
    func backward(_ gradOutput: Tensor) -> Tensor
    /// Weights first, then state (moving statistics), in Keras order.
    var parameters: [Parameter] { get }
}

public enum EngineError: Error, CustomStringConvertible {
    case shapeMismatch(String)
    case invalidArgument(String)
    case weightFile(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .weightFile(let m): return "weight file: \(m)"
        }
    }
}
