// Dropout: inverted dropout, active only in training. Kept values are
// scaled by 1/(1 - rate) so inference needs no rescaling.

public final class Dropout: Layer {
    public var name: String
    public var trainable = true
    public var typeName: String { "Dropout" }
    public let rate: Float
    public var parameters: [Parameter] { [] }
    /// A fixed keep-mask (1 = keep, 0 = drop) of the input's shape, used
    /// instead of random draws; for tests and reproducing a reference run.
    public var fixedMask: Tensor?
    private var scaledMask: [Float] = []

    public init(rate: Float, name: String? = nil) {
        self.rate = rate
        self.name = name ?? ""
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard rate >= 0, rate < 1 else {
            throw EngineError.invalidArgument("\(name) (Dropout): rate must be in [0, 1), got \(rate)")
        }
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training, rate > 0 || fixedMask != nil else {
            scaledMask = []
            return input
        }
        let scale = 1 / (1 - rate)
        if let fixedMask {
            precondition(fixedMask.count == input.count, "\(name): fixed mask has \(fixedMask.count) values, input \(input.count)")
            scaledMask = fixedMask.data.map { $0 * scale }
        } else {
            let keep = 1 - rate
            scaledMask = EngineRandom.shared.with { rng in
                (0..<input.count).map { _ in rng.nextUnitFloat() < keep ? scale : 0 }
            }
        }
        let out = Tensor(uninitializedShape: input.shape)
        input.data.withUnsafeBufferPointer { x in
            scaledMask.withUnsafeBufferPointer { m in
                out.data.withUnsafeMutableBufferPointer { y in
                    for i in 0..<y.count { y[i] = x[i] * m[i] }
                }
            }
        }
        return out
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        if scaledMask.isEmpty { return gradOutput }
        scaledMask.withUnsafeBufferPointer { m in
            gradOutput.data.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] *= m[i] }
            }
        }
        return gradOutput
    }
}
