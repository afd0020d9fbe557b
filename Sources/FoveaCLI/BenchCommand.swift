// `fovea bench`: training and inference speed of the engine on the built-in
// architectures, or (--model-file) the inference speed of one model file on
// given inputs, with the machine and thread count the figures belong to.
import ArgumentParser
import FoveaEngine
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training images/s, inference images/s and single-image latency on synthetic data, or one model file's inference on given inputs.",
        discussion: """
            Build fovea in release mode first, or the figures mean nothing:
              swift build -c release --product fovea

            Training: Adam steps on batches of 128 after warm-up batches. \
            Inference: batches of 1024. Latency: median of many single-image forward passes.

            Tools/bench_keras.sh runs the same models in Keras and prints both side by side.

            --model-file times one model file (float32, or int8 from `fovea quantize`) on the \
            preprocessed inputs of --inputs: single-image latency (median and p90 of --runs calls after \
            --warmup, call j on input j mod K, warm-ups counted) and batch throughput (median of --batch-runs calls \
            of --batch images after 2 untimed). Tools/bench_export.sh times ONNX Runtime and LiteRT the same way.
            """)

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Option(help: "Threads for BLAS and the engine's parallel loops (default: all cores).")
    var threads: Int?

    @Flag(help: "Few timed batches: a quick smoke run, too noisy to quote.")
    var quick = false

    @Flag(help: "Also time each layer's forward and backward pass, the loss and the update (one training batch), and each step of an inference call of the inference batch and of one image.")
    var profile = false

    @Option(name: .customLong("model"),
            help: "Architecture to measure; repeat for several (default: textbook-cnn, geron-deep, fovea-emnist).")
    var models: [String] = []

    @Option(help: .hidden)
    var ab: Int?

    @Option(help: "Time this model file's inference instead: a Fovea model (float32) or an int8 model from `fovea quantize`; needs --inputs.")
    var modelFile: String?

    @Option(help: "With --model-file: the inputs, a float32 .npy array [K, ...] already preprocessed (as `fovea export-reference` writes them).")
    var inputs: String?

    @Option(help: "With --model-file: images in one batch call, the inputs repeated when fewer (default 256).")
    var batch: Int?

    @Option(help: "With --model-file: timed single-image calls (default 200).")
    var runs: Int?

    @Option(help: "With --model-file: untimed single-image calls before them (default 20).")
    var warmup: Int?

    @Option(help: "With --model-file: timed batch calls, after 2 untimed (default 10).")
    var batchRuns: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let ab, ab < 1 { throw ValidationError("--ab must be at least 1, got \(ab)") }
        let classifiers = Architecture.allCases.filter(\.isClassifier).map(\.rawValue)
        let planOptions: [(String, Int?, Int)] = [("--batch", batch, 1), ("--runs", runs, 1), ("--warmup", warmup, 0),
                                                  ("--batch-runs", batchRuns, 1)]
        if modelFile == nil {
            if inputs != nil || planOptions.contains(where: { $0.1 != nil }) {
                throw ValidationError("--inputs, --batch, --runs, --warmup and --batch-runs go with --model-file")
            }
        } else {
            if inputs == nil { throw ValidationError("--model-file needs --inputs, a float32 .npy array of preprocessed inputs") }
            if !models.isEmpty || profile || quick || ab != nil {
                throw ValidationError("--model-file does not go with --model, --profile, --quick or --ab")
            }
            for (name, value, least) in planOptions {
                if let value, value < least { throw ValidationError("\(name) must be at least \(least), got \(value)") }
            }
        }
        for m in models where !classifiers.contains(m) {
            throw ValidationError("cannot benchmark '\(m)'; expected a classifier: \(classifiers.joined(separator: ", "))")
        }
    }

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this fovea is a debug build; its figures are not representative. Build with: swift build -c release --product fovea\n".utf8))
        #endif
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        if let modelFile, let inputs {
            let defaults = InferenceBenchPlan()
            let plan = InferenceBenchPlan(batch: batch ?? defaults.batch, warmup: warmup ?? defaults.warmup,
                                          runs: runs ?? defaults.runs, batchRuns: batchRuns ?? defaults.batchRuns)
            let report = try ModelBenchReport.measure(model: modelFile, inputsPath: inputs, threads: threadCount, plan: plan)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
            return
        }
        let machine = MachineInfo.current()
        Engine.setThreads(threadCount)
        let config: BenchConfig = quick ? .quick : .standard
        if let ab {
            try runAB(rounds: ab)
            return
        }
        let archs = models.isEmpty ? Bench.defaultModels : models.compactMap(Architecture.init(rawValue:))
        var results: [BenchResult] = []
        for arch in archs {
            results.append(try Bench.run(arch, config: config) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            })
        }
        var profiles: [String: [StepTiming]]?
        var inferenceProfiles: [String: [StepTiming]]?
        var latencyProfiles: [String: [StepTiming]]?
        if profile {
            profiles = [:]
            inferenceProfiles = [:]
            latencyProfiles = [:]
            for arch in archs {
                FileHandle.standardError.write(Data("\(arch.rawValue): profiling a training step, inference and one image layer by layer\n".utf8))
                profiles?[arch.rawValue] = try Bench.profile(arch, batch: config.trainBatch, iterations: quick ? 2 : 5)
                inferenceProfiles?[arch.rawValue] = try Bench.inferenceProfile(arch, batch: config.inferBatch,
                                                                               iterations: quick ? 2 : 5)
                latencyProfiles?[arch.rawValue] = try Bench.inferenceProfile(arch, batch: 1, warmup: 10,
                                                                             iterations: quick ? 30 : 200)
            }
        }
        let report = BenchReport(machine: machine, threads: threadCount, config: config, models: results,
                                 profiles: profiles, inferenceProfiles: inferenceProfiles,
                                 latencyProfiles: latencyProfiles)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let load = machine.loadAverage.map { String(format: "; load average at start %.2f", $0) } ?? ""
        print("CPU: \(machine.cpu), \(machine.cores) cores (kernels: \(machine.kernels)); threads: \(threadCount); build: \(report.build)\(load)")
        print("model           params     train img/s  infer img/s  latency ms (median / p90)")
        for r in results {
            let name = r.model.padding(toLength: 14, withPad: " ", startingAt: 0)
            print(name + " " + pad(String(r.params), 9) + pad(String(format: "%.0f", r.trainImagesPerSecond), 14)
                  + pad(String(format: "%.0f", r.inferImagesPerSecond), 13)
                  + pad(String(format: "%.3f / %.3f", r.latencyMilliseconds, r.latencyP90Milliseconds), 20))
        }
        print("train: batch \(config.trainBatch), \(config.trainBatches) timed batches; infer: batch \(config.inferBatch), \(config.inferBatches) batches; latency: \(config.latencyCalls) calls")
        for arch in archs {
            guard let parts = profiles?[arch.rawValue] else { continue }
            let total = parts.reduce(0) { $0 + $1.forwardMilliseconds + $1.backwardMilliseconds }
            print("\n\(arch.rawValue): one training step of \(config.trainBatch) images, \(String(format: "%.1f", total)) ms"
                  + " (a Conv2D fused with the MaxPooling2D after it carries the pair's time)")
            print("part                    type                  forward ms  backward ms  share")
            for p in parts {
                let share = 100 * (p.forwardMilliseconds + p.backwardMilliseconds) / max(total, 1e-9)
                print(p.part.padding(toLength: 23, withPad: " ", startingAt: 0) + " "
                      + p.type.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + pad(String(format: "%.2f", p.forwardMilliseconds), 12)
                      + pad(String(format: "%.2f", p.backwardMilliseconds), 13)
                      + pad(String(format: "%.1f%%", share), 7))
            }
            for (title, batch, table) in [("inference", config.inferBatch, inferenceProfiles),
                                          ("single-image inference", 1, latencyProfiles)] {
                guard let steps = table?[arch.rawValue] else { continue }
                let total = steps.reduce(0) { $0 + $1.forwardMilliseconds }
                print("\n\(arch.rawValue): \(title), one call of \(batch) image\(batch == 1 ? "" : "s"), "
                      + String(format: "%.3f ms", total) + " (a fused group of layers shows as one step)")
                print("step                                      ms   share")
                for p in steps {
                    print(p.part.padding(toLength: 36, withPad: " ", startingAt: 0)
                          + pad(String(format: "%.3f", p.forwardMilliseconds), 9)
                          + pad(String(format: "%.1f%%", 100 * p.forwardMilliseconds / max(total, 1e-12)), 8))
                }
            }
        }
    }

    /// `--ab N` (hidden, for developers): N rounds alternating
    /// Engine._experiment false and true in this one process, for code
    /// under trial that reads the switch; medians per setting, and per
    /// step of a single-image call.
    private func runAB(rounds ab: Int) throws {
        let archs = models.isEmpty ? Bench.defaultModels : models.compactMap(Architecture.init(rawValue:))
        for arch in archs {
            var figures: [Bool: [[Double]]] = [true: [[], [], []], false: [[], [], []]]
            var stepTimes: [Bool: [String: [Double]]] = [:]
            var stepOrder: [String] = []
            // One round first, not counted: the first pays for starting the
            // worker threads and first-touch allocations.
            _ = try Bench.profile(arch, iterations: 1)
            _ = try Bench.inferenceProfile(arch, batch: 1024, warmup: 0, iterations: 1)
            for round in 0..<(2 * ab) {
                let setting = round % 2 == 0
                Engine._experiment = setting
                let train = try Bench.profile(arch, iterations: 3).reduce(0) { $0 + $1.forwardMilliseconds + $1.backwardMilliseconds }
                let infer = try Bench.inferenceProfile(arch, batch: 1024, warmup: 1, iterations: 2).reduce(0) { $0 + $1.forwardMilliseconds }
                let singleSteps = try Bench.inferenceProfile(arch, batch: 1, warmup: 10, iterations: 100)
                let single = singleSteps.reduce(0) { $0 + $1.forwardMilliseconds }
                for s in singleSteps { stepTimes[setting, default: [:]][s.part, default: []].append(s.forwardMilliseconds) }
                if stepOrder.isEmpty { stepOrder = singleSteps.map(\.part) }
                figures[setting]![0].append(train)
                figures[setting]![1].append(infer)
                figures[setting]![2].append(single)
            }
            for setting in [false, true] {
                let f = figures[setting]!.map { $0.sorted() }
                print("\(arch.rawValue) experiment=\(setting): " + zip(["train step", "infer 1024", "single"], f).map { name, v in
                    String(format: "%@ min %.3f med %.3f", name, v[0], v[v.count / 2])
                }.joined(separator: "  "))
            }
            for part in stepOrder {
                let med = [false, true].map { setting -> String in
                    let v = (stepTimes[setting]?[part] ?? []).sorted()
                    return v.isEmpty ? "-" : String(format: "%.3f", v[v.count / 2])
                }
                print("  single \(part.prefix(36).padding(toLength: 36, withPad: " ", startingAt: 0)) off \(med[0])  on \(med[1])")
            }
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
