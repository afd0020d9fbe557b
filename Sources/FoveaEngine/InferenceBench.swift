// InferenceBench: single-image latency and batch throughput of any inference
// call (a float model, an int8 graph) on given, already preprocessed inputs,
// for `fovea bench --model-file`. Tools/bench_export.py times ONNX Runtime
// and LiteRT the same way, call for call, so the figures compare directly.
import Foundation

/// How many calls `InferenceBench.measure` makes.
public struct InferenceBenchPlan: Codable, Sendable, Equatable {
    /// Images in one batch call (the inputs are repeated when fewer).
    public var batch = 256
    /// Untimed single-image calls before the timed ones.
    public var warmup = 20
    /// Timed single-image calls.
    public var runs = 200
    /// Untimed, then timed, batch calls.
    public var batchWarmup = 2
    public var batchRuns = 10

    public init(batch: Int = 256, warmup: Int = 20, runs: Int = 200, batchWarmup: Int = 2, batchRuns: Int = 10) {
        (self.batch, self.warmup, self.runs, self.batchWarmup, self.batchRuns) = (batch, warmup, runs, batchWarmup, batchRuns)
    }

    enum CodingKeys: String, CodingKey {
        case batch, warmup, runs
        case batchWarmup = "batch_warmup", batchRuns = "batch_runs"
    }
}

public struct InferenceTiming: Codable, Sendable {
    /// One image a call, image i mod K of the inputs: median and 90th percentile.
    public var singleMedianMilliseconds: Double
    public var singleP90Milliseconds: Double
    /// A call of `plan.batch` images: median call time and images per second from it.
    public var batchMedianMilliseconds: Double
    public var batchImagesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case singleMedianMilliseconds = "single_median_ms", singleP90Milliseconds = "single_p90_ms"
        case batchMedianMilliseconds = "batch_median_ms", batchImagesPerSecond = "batch_images_per_s"
    }
}

public enum InferenceBench {
    /// Times `infer` on `inputs` ([K] + sample shape). Every input tensor
    /// (each single image, the batch) is cut before the clock starts, so only
    /// the call itself is timed; preprocessing is not part of it.
    public static func measure(inputs: Tensor, plan: InferenceBenchPlan, _ infer: (Tensor) -> Void) throws -> InferenceTiming {
        guard plan.batch >= 1, plan.runs >= 1, plan.batchRuns >= 1, plan.warmup >= 0, plan.batchWarmup >= 0 else {
            throw EngineError.invalidArgument("bench: batch and timed runs must be at least 1, warm-ups at least 0; got \(plan)")
        }
        let k = inputs.batchCount
        guard k >= 1 else { throw EngineError.invalidArgument("bench: no inputs to time") }
        let sampleShape = Array(inputs.shape.dropFirst())
        let sample = sampleShape.reduce(1, *)
        func images(_ indices: [Int]) -> Tensor {
            var data = [Float](repeating: 0, count: indices.count * sample)
            inputs.data.withUnsafeBufferPointer { src in
                data.withUnsafeMutableBufferPointer { dst in
                    for (j, i) in indices.enumerated() {
                        (dst.baseAddress! + j * sample).update(from: src.baseAddress! + i * sample, count: sample)
                    }
                }
            }
            return Tensor(shape: [indices.count] + sampleShape, data: data)
        }
        let singles = (0..<min(k, plan.warmup + plan.runs)).map { images([$0]) }
        let batch = images((0..<plan.batch).map { $0 % k })
        let clock = ContinuousClock()

        for i in 0..<plan.warmup { infer(singles[i % singles.count]) }
        var single: [Double] = []
        for i in 0..<plan.runs {
            let x = singles[(plan.warmup + i) % singles.count]
            single.append(seconds(clock.measure { infer(x) }))
        }
        for _ in 0..<plan.batchWarmup { infer(batch) }
        var batched: [Double] = []
        for _ in 0..<plan.batchRuns { batched.append(seconds(clock.measure { infer(batch) })) }

        single.sort()
        batched.sort()
        let batchMedian = batched[batched.count / 2]
        return InferenceTiming(singleMedianMilliseconds: 1000 * single[single.count / 2],
                               singleP90Milliseconds: 1000 * single[single.count * 9 / 10],
                               batchMedianMilliseconds: 1000 * batchMedian,
                               batchImagesPerSecond: Double(plan.batch) / batchMedian)
    }

    private static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
