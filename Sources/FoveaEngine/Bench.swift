// Bench: the engine's speed on the built-in architectures, measured the way
// Tools/bench_keras.py measures Keras so the two can be compared figure for
// figure: training images/s (optimizer steps on batches of 128), inference
// images/s (batches of 1024) and single-image latency (median of many calls),
// all on synthetic data.
import CFoveaKernels
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
    /// 1-minute load average when the benchmark started: above the core count
    /// other work was competing for the CPU and the figures are pessimistic.
    public var loadAverage: Double?
    /// The instruction set Fovea's own C kernels run with ("avx512", "avx2", "generic").
    public var kernels: String

    enum CodingKeys: String, CodingKey {
        case cpu, cores, kernels
        case loadAverage = "load_average"
    }

    public static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .flatMap { $0.split(separator: " ").first }.flatMap { Double($0) }
        return MachineInfo(cpu: model ?? "unknown CPU", cores: ProcessInfo.processInfo.activeProcessorCount,
                           loadAverage: load, kernels: String(cString: fovea_kernels_isa()))
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

/// One part of a training step and its time, for `Bench.profile`.
public struct StepTiming: Codable, Sendable {
    /// A layer name, or "loss" / "update".
    public var part: String
    public var type: String
    public var forwardMilliseconds: Double
    public var backwardMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case part, type
        case forwardMilliseconds = "forward_ms", backwardMilliseconds = "backward_ms"
    }
}

public struct BenchReport: Codable, Sendable {
    public var machine: MachineInfo
    public var threads: Int
    /// "release" or "debug": debug figures are not worth quoting.
    public var build: String
    public var config: BenchConfig
    public var models: [BenchResult]
    /// Per-model training-step breakdown, when asked for.
    public var profiles: [String: [StepTiming]]?
    /// Per-model inference breakdowns at the inference batch size and for
    /// one image, when asked for.
    public var inferenceProfiles: [String: [StepTiming]]?
    public var latencyProfiles: [String: [StepTiming]]?

    public init(machine: MachineInfo, threads: Int, config: BenchConfig, models: [BenchResult],
                profiles: [String: [StepTiming]]? = nil, inferenceProfiles: [String: [StepTiming]]? = nil,
                latencyProfiles: [String: [StepTiming]]? = nil) {
        self.machine = machine
        self.threads = threads
        #if DEBUG
        build = "debug"
        #else
        build = "release"
        #endif
        self.config = config
        self.models = models
        self.profiles = profiles
        self.inferenceProfiles = inferenceProfiles
        self.latencyProfiles = latencyProfiles
    }
}

public enum Bench {
    /// The models `fovea bench` measures by default; all with 47 classes
    /// (EMNIST balanced), the shape they are trained on in Fovea.
    public static let defaultModels: [Architecture] = [.textbookCNN, .geronDeep, .foveaEMNIST]

    /// Measures one architecture. `progress` receives a line per phase.
    public static func run(_ architecture: Architecture, classes: Int = 47, config: BenchConfig = .standard,
                           seed: UInt64 = 1, progress: (String) -> Void = { _ in }) throws -> BenchResult {
        guard [config.trainBatch, config.trainBatches, config.inferBatch, config.inferBatches, config.latencyCalls]
                .allSatisfy({ $0 >= 1 }),
              [config.trainWarmup, config.inferWarmup, config.latencyWarmup].allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalidArgument("bench: batch sizes and timed counts must be at least 1, warm-ups at least 0; got \(config)")
        }
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

    /// Where a training step's time goes: each layer's forward (training mode)
    /// and backward, the loss and the optimizer update, in milliseconds per
    /// step, averaged over `iterations` steps on one synthetic batch. The step
    /// is the one `Sequential.trainStep` takes, split open to time each part
    /// (a fused Conv2D + MaxPooling2D pair counts on the Conv2D).
    public static func profile(_ architecture: Architecture, classes: Int = 47, batch: Int = 128,
                               warmup: Int = 1, iterations: Int = 5, seed: UInt64 = 1) throws -> [StepTiming] {
        guard batch >= 1, iterations >= 1, warmup >= 0 else {
            throw EngineError.invalidArgument("profile: batch and iterations must be at least 1, warm-up at least 0")
        }
        var (model, x, rng) = try seededModel(architecture, classes: classes, batch: batch, seed: seed)
        let y = Tensor(shape: [batch], data: (0..<batch).map { _ in Float(Int(rng.next() % UInt64(classes))) })
        let loss = SoftmaxCrossEntropy(sparse: true)
        let optimizer = Adam()
        // Checks, as for training, that the model ends in a softmax.
        try model.compile(optimizer: optimizer, loss: loss)
        let layers = model.layers
        var forward = [Double](repeating: 0, count: layers.count)
        var backward = [Double](repeating: 0, count: layers.count)
        var lossTime = 0.0, updateTime = 0.0
        let clock = ContinuousClock()
        // As in Sequential.backwardForTraining: no input gradient below the
        // first layer with weights.
        let stop = layers.firstIndex { $0.trainable && $0.parameters.contains { !$0.isState } } ?? layers.count
        if stop < layers.count { setComputesInputGradient(layers[stop], false) }
        defer { if stop < layers.count { setComputesInputGradient(layers[stop], true) } }
        let last = layers.last as? ActivatedLayer
        last?.fusedSoftmaxGradient = true
        defer { last?.fusedSoftmaxGradient = false }

        for step in 0..<(warmup + iterations) {
            let timed = step >= warmup
            for p in model.parameters { p.grad.fill(0) }
            var h = x.reshaped([batch] + model.inputShape)
            var i = 0
            while i < layers.count {
                // A training step runs a Conv2D and the MaxPooling2D after it
                // fused, forward and backward; so does this, and the pair's
                // time goes on the Conv2D row.
                if i + 1 < layers.count, let conv = layers[i] as? Conv2D, let pool = layers[i + 1] as? MaxPooling2D {
                    let t = clock.measure {
                        h = conv.forwardPooled(h, pool: pool, poolOutputShape: model.outputShapes[i + 1], training: true)
                    }
                    if timed { forward[i] += seconds(t) }
                    i += 2
                    continue
                }
                let t = clock.measure { h = layers[i].forward(h, training: true) }
                if timed { forward[i] += seconds(t) }
                i += 1
            }
            var g = h
            let t = clock.measure { g = loss.compute(prediction: h, target: y).grad }
            if timed { lossTime += seconds(t) }
            var j = layers.count - 1
            while j >= stop {
                if j - 1 >= stop, let pool = layers[j] as? MaxPooling2D, let conv = layers[j - 1] as? Conv2D {
                    let t = clock.measure { g = conv.backwardPooled(g, pool: pool) }
                    if timed { backward[j - 1] += seconds(t) }
                    j -= 2
                    continue
                }
                let t = clock.measure { g = layers[j].backward(g) }
                if timed { backward[j] += seconds(t) }
                j -= 1
            }
            let u = clock.measure { optimizer.step(model.trainableParameters) }
            if timed { updateTime += seconds(u) }
        }
        let ms = 1000 / Double(iterations)
        return zip(layers, zip(forward, backward)).map { layer, fb in
            StepTiming(part: layer.name, type: layer.typeName, forwardMilliseconds: fb.0 * ms,
                       backwardMilliseconds: fb.1 * ms)
        } + [StepTiming(part: "loss", type: "SoftmaxCrossEntropy", forwardMilliseconds: lossTime * ms, backwardMilliseconds: 0),
             StepTiming(part: "update", type: "Adam", forwardMilliseconds: 0, backwardMilliseconds: updateTime * ms)]
    }

    /// Where inference time goes: each step of `Sequential.predict` (a layer,
    /// or a fused group such as Conv2D + BatchNormalization + ReLU + pooling,
    /// named by its layers joined with "+"), in milliseconds per call of
    /// `batch` images, averaged over `iterations` calls after `warmup`.
    public static func inferenceProfile(_ architecture: Architecture, classes: Int = 47, batch: Int,
                                        warmup: Int = 2, iterations: Int = 10,
                                        seed: UInt64 = 1) throws -> [StepTiming] {
        guard batch >= 1, iterations >= 1, warmup >= 0 else {
            throw EngineError.invalidArgument("profile: batch and iterations must be at least 1, warm-up at least 0")
        }
        let (model, x, _) = try seededModel(architecture, classes: classes, batch: batch, seed: seed)
        var steps: [Range<Int>] = []
        var times: [Double] = []
        var timed = false
        model.stepTimer = { range, duration in
            guard timed else { return }
            if let k = steps.firstIndex(of: range) {
                times[k] += seconds(duration)
            } else {
                steps.append(range)
                times.append(seconds(duration))
            }
        }
        defer { model.stepTimer = nil }
        for _ in 0..<warmup { _ = model.predict(x, batchSize: batch) }
        timed = true
        for _ in 0..<iterations { _ = model.predict(x, batchSize: batch) }
        let ms = 1000 / Double(iterations)
        return zip(steps, times).map { range, t in
            let layers = model.layers[range]
            return StepTiming(part: layers.map(\.name).joined(separator: "+"),
                              type: layers.map(\.typeName).joined(separator: "+"),
                              forwardMilliseconds: t * ms, backwardMilliseconds: 0)
        }
    }

    /// A model of `architecture` built after seeding the engine, a batch of
    /// `batch` uniform random images for it, and the generator that made
    /// them (for labels), all from `seed`.
    private static func seededModel(_ architecture: Architecture, classes: Int, batch: Int,
                                    seed: UInt64) throws -> (Sequential, Tensor, SplitMix64) {
        Engine.seed(seed)
        let model = try architecture.make(classes: classes)
        var rng = SplitMix64(seed: seed)
        let x = Tensor(shape: [batch] + model.inputShape)
        x.data.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = rng.nextUnitFloat() }
        }
        return (model, x, rng)
    }

    private static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
