// `fovea bench --model-file`: one model file's inference timed on given
// inputs, at one image a call and in batches (FoveaEngine's InferenceBench).
// The file is a float32 Fovea model (a classifier, the detector, a
// multi-output model such as face-crop) or an int8 model from
// `fovea quantize`; a fully convolutional model is rebuilt for the inputs'
// size. Tools/bench_export.py reads the JSON and times ONNX Runtime and
// LiteRT on the same inputs with the same plan.
import FoveaEngine
import FoveaExport
import Foundation

enum ModelBenchError: Error, CustomStringConvertible {
    case unreadableModel(path: String, reason: String)
    case inputsDoNotFit(model: String, inputs: String, reason: String)

    var description: String {
        switch self {
        case .unreadableModel(let p, let r): return "\(p): cannot load the model to benchmark: \(r)"
        case .inputsDoNotFit(let m, let i, let r): return "\(i): these inputs do not fit \(m): \(r)"
        }
    }
}

/// A loaded model as the call to time.
struct BenchTarget {
    /// "float32" (the float engine) or "int8" (Fovea's int8 kernels).
    let precision: String
    let infer: (Tensor) -> Void

    /// Loads `path` for inputs of `sampleShape` (one input's shape, no batch).
    static func load(_ path: String, inputsPath: String, sampleShape: [Int]) throws -> BenchTarget {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelBenchError.unreadableModel(path: path, reason: "no such file")
        }
        func fit(_ expected: [Int], resizable: Bool) throws {
            guard sampleShape != expected else { return }
            let same = sampleShape.count == expected.count && sampleShape.last == expected.last
            if !resizable || !same {
                throw ModelBenchError.inputsDoNotFit(model: path, inputs: inputsPath,
                                                     reason: "each input is \(sampleShape), the model takes \(expected)")
            }
        }
        if QuantizedModelFile.isQuantized(path) {
            let graph: QuantizedGraph
            do { graph = try QuantizedModelFile.read(path) } catch {
                throw ModelBenchError.unreadableModel(path: path, reason: "\(error)")
            }
            try fit(graph.inputShape, resizable: false)
            return BenchTarget(precision: "int8") { _ = graph.predict($0) }
        }
        let weights: SafetensorsFile
        do { weights = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelBenchError.unreadableModel(path: path, reason: "\(error)")
        }
        if ModelFile.architectureClass(of: weights) == "FoveaMultiOutput" {
            let model: MultiOutputModel
            do { model = try MultiOutputModelFile(file: weights, source: path).model } catch {
                throw ModelBenchError.unreadableModel(path: path, reason: "\(error)")
            }
            try fit(model.trunk.inputShape, resizable: false)
            return BenchTarget(precision: "float32") { _ = model.predict($0, batchSize: $0.batchCount) }
        }
        let file: ModelFile
        do { file = try ModelFile(file: weights, source: path) } catch {
            throw ModelBenchError.unreadableModel(path: path, reason: "\(error)")
        }
        try fit(file.model.inputShape, resizable: true)
        let model: Sequential
        do { model = try file.model.resized(inputShape: sampleShape) } catch {
            throw ModelBenchError.inputsDoNotFit(model: path, inputs: inputsPath,
                                                 reason: "each input is \(sampleShape), the model takes \(file.model.inputShape) (\(error))")
        }
        return BenchTarget(precision: "float32") { _ = model.predict($0, batchSize: $0.batchCount) }
    }
}

struct ModelBenchReport: Codable {
    var machine: MachineInfo
    var threads: Int
    /// "release" or "debug": debug figures are not worth quoting.
    var build: String
    var model: String
    var precision: String
    var inputs: String
    var inputShape: [Int]
    var plan: InferenceBenchPlan
    var timing: InferenceTiming

    enum CodingKeys: String, CodingKey {
        case machine, threads, build, model, precision, inputs, plan, timing
        case inputShape = "input_shape"
    }

    /// Measures `model` on the inputs in `inputsPath` with the engine at `threads`.
    static func measure(model: String, inputsPath: String, threads: Int, plan: InferenceBenchPlan) throws -> ModelBenchReport {
        let machine = MachineInfo.current()
        Engine.setThreads(threads)
        let inputs = try NPY.read(inputsPath)
        guard inputs.shape.count >= 2, inputs.batchCount >= 1 else {
            throw ModelBenchError.inputsDoNotFit(model: model, inputs: inputsPath,
                                                 reason: "shape \(inputs.shape); expected [K, ...] with K >= 1 inputs")
        }
        let target = try BenchTarget.load(model, inputsPath: inputsPath, sampleShape: Array(inputs.shape.dropFirst()))
        let timing = try InferenceBench.measure(inputs: inputs, plan: plan, target.infer)
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return ModelBenchReport(machine: machine, threads: threads, build: build, model: model, precision: target.precision,
                                inputs: inputsPath, inputShape: inputs.shape, plan: plan, timing: timing)
    }

    var text: String {
        let load = machine.loadAverage.map { String(format: "; load average at start %.2f", $0) } ?? ""
        return """
            \(model) (\(precision)) on \(inputs) \(inputShape); threads: \(threads); build: \(build)
            CPU: \(machine.cpu), \(machine.cores) cores (kernels: \(machine.kernels))\(load)
            """ + "\n" + String(format: "single image: median %.3f ms, p90 %.3f ms (%d calls after %d warm-up)\n",
                                timing.singleMedianMilliseconds, timing.singleP90Milliseconds, plan.runs, plan.warmup)
            + String(format: "batch of %d: median %.2f ms, %.0f images/s (%d calls after %d warm-up)",
                     plan.batch, timing.batchMedianMilliseconds, timing.batchImagesPerSecond, plan.batchRuns, plan.batchWarmup)
    }
}
