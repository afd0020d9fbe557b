// Bench: the engine's speed on the built-in architectures, measured the way
// Tools/bench_keras.py measures Keras so the two can be compared figure for
// figure: training images/s (optimizer steps on batches of 128), inference
// images/s (batches of 1024) and single-image latency (median of many calls),
// all on synthetic data.
import Foundation

public struct BenchConfig: Codable, Sendable, Equatable {
    public var trainBatch = 128
    public var trainWarmup = 3
    public var trainBatches = 20
    public var inferBatch = 1024
    public var inferWarmup = 1
    public var inferBatches = 5
    public var latencyWarmup = 10
    public var latencyCalls = 200

    public static let standard = BenchConfig()
    /// A smoke run: enough to see the order of magnitude, too short to quote.
    public static let quick = BenchConfig(trainWarmup: 1, trainBatches: 4, inferWarmup: 1, inferBatches: 1,
                                          latencyWarmup: 3, latencyCalls: 30)

    enum CodingKeys: String, CodingKey {
        case trainBatch = "train_batch", trainWarmup = "train_warmup", trainBatches = "train_batches"
        case inferBatch = "infer_batch", inferWarmup = "infer_warmup", inferBatches = "infer_batches"
        case latencyWarmup = "latency_warmup", latencyCalls = "latency_calls"
    }
}

/// What a benchmark figure was measured on.
public struct MachineInfo: Codable, Sendable {
    public var cpu: String
    public var cores: Int

    public static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return MachineInfo(cpu: model ?? "unknown CPU", cores: ProcessInfo.processInfo.activeProcessorCount)
    }
}

public struct BenchResult: Codable, Sendable {
    public var model: String
    public var params: Int
    public var trainImagesPerSecond: Double
    public var inferImagesPerSecond: Double
    /// Median single-image forward time.
    public var latencyMilliseconds: Double
    /// 90th percentile, to show how noisy the median is.
    public var latencyP90Milliseconds: Double
    public var finalLoss: Float

    enum CodingKeys: String, CodingKey {
        case model, params
        case trainImagesPerSecond = "train_images_per_s", inferImagesPerSecond = "infer_images_per_s"
        case latencyMilliseconds = "latency_ms", latencyP90Milliseconds = "latency_p90_ms"
        case finalLoss = "final_loss"
    }
}

public struct BenchReport: Codable, Sendable {
    public var machine: MachineInfo
    public var threads: Int
    /// "release" or "debug": debug figures are not worth quoting.
    public var build: String
    public var config: BenchConfig
    public var models: [BenchResult]

    public init(machine: MachineInfo, threads: Int, config: BenchConfig, models: [BenchResult]) {
        self.machine = machine
        self.threads = threads
        #if DEBUG
        build = "debug"
        #else
        build = "release"
        #endif
        self.config = config
        self.models = models
    }
}

public enum Bench {
    /// The models `fovea bench` measures by default; all with 47 classes
    /// (EMNIST balanced), the shape they are trained on in Fovea.
    public static let defaultModels: [Architecture] = [.textbookCNN, .geronDeep, .foveaEMNIST]

    /// Measures one architecture. `progress` receives a line per phase.
    public static func run(_ architecture: Architecture, classes: Int = 47, config: BenchConfig = .standard,
                           seed: UInt64 = 1, progress: (String) -> Void = { _ in }) throws -> BenchResult {
        Engine.seed(seed)
        let model = try architecture.make(classes: classes)
        var rng = SplitMix64(seed: seed)
        func images(_ n: Int) -> Tensor {
            let t = Tensor(shape: [n] + model.inputShape)
            t.data.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] = rng.nextUnitFloat() }
            }
            return t
        }
        let x = images(config.trainBatch)
        let y = Tensor(shape: [config.trainBatch], data: (0..<config.trainBatch).map { _ in
            Float(Int(rng.next() % UInt64(classes)))
        })
        try model.compile(optimizer: Adam(), loss: SoftmaxCrossEntropy(sparse: true))

        progress("\(architecture.rawValue): training, \(config.trainWarmup) warm-up + \(config.trainBatches) timed batches of \(config.trainBatch)")
        var lastLoss: Float = 0
        for _ in 0..<config.trainWarmup {
            lastLoss = try model.trainStep(x: x, y: y).loss
        }
        let clock = ContinuousClock()
        let trainTime = try clock.measure {
            for _ in 0..<config.trainBatches {
                lastLoss = try model.trainStep(x: x, y: y).loss
            }
        }

        progress("\(architecture.rawValue): inference, \(config.inferBatches) timed batches of \(config.inferBatch)")
        let xi = images(config.inferBatch)
        for _ in 0..<config.inferWarmup { _ = model.predict(xi, batchSize: config.inferBatch) }
        let inferTime = clock.measure {
            for _ in 0..<config.inferBatches { _ = model.predict(xi, batchSize: config.inferBatch) }
        }

        progress("\(architecture.rawValue): single-image latency, median of \(config.latencyCalls) calls")
        let x1 = images(1)
        for _ in 0..<config.latencyWarmup { _ = model.predict(x1, batchSize: 1) }
        var times: [Double] = []
        for _ in 0..<config.latencyCalls {
            times.append(seconds(clock.measure { _ = model.predict(x1, batchSize: 1) }))
        }
        times.sort()

        return BenchResult(
            model: architecture.rawValue,
            params: model.parameters.reduce(0) { $0 + $1.value.count },
            trainImagesPerSecond: Double(config.trainBatch * config.trainBatches) / seconds(trainTime),
            inferImagesPerSecond: Double(config.inferBatch * config.inferBatches) / seconds(inferTime),
            latencyMilliseconds: 1000 * times[times.count / 2],
            latencyP90Milliseconds: 1000 * times[times.count * 9 / 10],
            finalLoss: lastLoss)
    }

    private static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
