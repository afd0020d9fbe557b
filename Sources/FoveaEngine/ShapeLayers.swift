// Layers that only change the shape: Flatten and Reshape. Both share the
// input's buffer (copy-on-write), so they cost nothing per batch.

public final class Flatten: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "Flatten" }
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []

    public init(name: String? = nil) { self.name = name ?? "" }

    public func build(inputShape: [Int]) throws -> [Int] {
        [inputShape.reduce(1, *)]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        return input.reshaped([input.batchCount, input.count / max(1, input.batchCount)])
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        gradOutput.reshape(inputShape)
        return gradOutput
    }
}

/// Keras Reshape: the target shape excludes the batch axis and may hold one -1.
public final class Reshape: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "Reshape" }
    public let targetShape: [Int]
    public var parameters: [Parameter] { [] }
    private var resolved: [Int] = []
    private var inputShape: [Int] = []

    public init(_ targetShape: [Int], name: String? = nil) {
        self.targetShape = targetShape
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        let count = inputShape.reduce(1, *)
        let unknown = targetShape.filter { $0 == -1 }.count
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
        guard unknown <= 1, targetShape.allSatisfy({ $0 == -1 || $0 > 0 }) else {
            throw EngineError.invalidArgument("\(name) (Reshape): target \(targetShape) may hold positive sizes and at most one -1")
        }
        guard unknown == 1 ? count % known == 0 : count == known else {
            throw EngineError.shapeMismatch("\(name) (Reshape): cannot reshape \(inputShape) (\(count) values) to \(targetShape)")
        }
        resolved = targetShape.map { $0 == -1 ? count / known : $0 }
        return resolved
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        return input.reshaped([input.batchCount] + resolved)
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        gradOutput.reshape(inputShape)
        return gradOutput
    }
}
