// The benchmark's bookkeeping on a tiny configuration: the first training
// loss on random labels is the chance level ln(classes), figures are finite
// and positive, and the JSON keys are the ones Tools/bench_keras.py reads.
import Foundation
import XCTest
@testable import FoveaEngine

final class BenchTests: XCTestCase {
    private let tiny = BenchConfig(trainBatch: 16, trainWarmup: 0, trainBatches: 1, inferBatch: 8, inferWarmup: 0,
                                   inferBatches: 1, latencyWarmup: 0, latencyCalls: 3)

    func testTinyRunOnLeNet5() throws {
        let r = try Bench.run(.lenet5, classes: 47, config: tiny)
        // One step, so the reported loss is the loss before any update: with
        // Glorot weights the softmax is near uniform, loss near ln 47 = 3.85.
        XCTAssertEqual(r.finalLoss, Float(log(47.0)), accuracy: 0.5)
        XCTAssertEqual(r.params, 61_706 - 850 + 84 * 47 + 47)
        for figure in [r.trainImagesPerSecond, r.inferImagesPerSecond, r.latencyMilliseconds, r.latencyP90Milliseconds] {
            XCTAssertTrue(figure.isFinite && figure > 0, "\(figure)")
        }
        XCTAssertLessThanOrEqual(r.latencyMilliseconds, r.latencyP90Milliseconds)
    }

    func testProfileTimesEveryLayerTheLossAndTheUpdate() throws {
        let parts = try Bench.profile(.lenet5, classes: 10, batch: 8, warmup: 0, iterations: 1)
        let names = try Architecture.lenet5.make().layers.map(\.name)
        XCTAssertEqual(parts.map(\.part), names + ["loss", "update"])
        XCTAssertEqual(parts.first?.type, "Conv2D")
        XCTAssertTrue(parts.allSatisfy { $0.forwardMilliseconds >= 0 && $0.backwardMilliseconds >= 0 })
        // Convolutions and the update do real work every step.
        XCTAssertGreaterThan(parts[0].forwardMilliseconds, 0)
        XCTAssertGreaterThan(parts.last!.backwardMilliseconds, 0)
        // The first Conv2D computes no input gradient, yet its weight gradient costs time.
        XCTAssertGreaterThan(parts[0].backwardMilliseconds, 0)
    }

    func testProfileCountsAFusedConvolutionAndPoolingOnTheConvolution() throws {
        let parts = try Bench.profile(.cholletConvnet, classes: 10, batch: 4, warmup: 0, iterations: 1)
        XCTAssertEqual(parts.map(\.type), ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten",
                                          "Dense", "Dense", "SoftmaxCrossEntropy", "Adam"])
        for i in [1, 3] {
            XCTAssertEqual(parts[i].forwardMilliseconds + parts[i].backwardMilliseconds, 0, "fused into \(parts[i - 1].part)")
        }
        XCTAssertGreaterThan(parts[2].forwardMilliseconds, 0)
        XCTAssertGreaterThan(parts[2].backwardMilliseconds, 0)
    }

    func testInferenceProfileCoversEveryLayerOnceInFusedSteps() throws {
        let steps = try Bench.inferenceProfile(.foveaEMNIST, batch: 2, warmup: 0, iterations: 1)
        let layers = try Architecture.foveaEMNIST.make().layers
        // Each step names its layers in order; together they are the model.
        let covered = steps.flatMap { $0.part.split(separator: "+").map(String.init) }
        XCTAssertEqual(covered, layers.map(\.name))
        // Conv + BN + ReLU (+ pooling) run as one folded step.
        XCTAssertEqual(steps.first?.type, "Conv2D+BatchNormalization+Activation")
        XCTAssertEqual(steps[1].type, "Conv2D+BatchNormalization+Activation+MaxPooling2D")
        XCTAssertTrue(steps.allSatisfy { $0.forwardMilliseconds >= 0 && $0.backwardMilliseconds == 0 })
        XCTAssertGreaterThan(steps[0].forwardMilliseconds, 0)
        XCTAssertThrowsError(try Bench.inferenceProfile(.lenet5, batch: 0))
    }

    func testRefusesAModelWithoutAClassifier() {
        XCTAssertThrowsError(try Bench.profile(.cholletConvBase, batch: 2, warmup: 0, iterations: 1))
        XCTAssertThrowsError(try Bench.run(.cholletConvBase, config: tiny))
    }

    func testRefusesAConfigurationWithNothingToTime() {
        var config = tiny
        config.latencyCalls = 0
        XCTAssertThrowsError(try Bench.run(.lenet5, config: config))
    }

    func testReportJSONHasTheKeysThePeerScriptReads() throws {
        let result = BenchResult(model: "m", params: 1, trainImagesPerSecond: 2, inferImagesPerSecond: 3,
                                 latencyMilliseconds: 4, latencyP90Milliseconds: 5, finalLoss: 6)
        let report = BenchReport(machine: MachineInfo(cpu: "cpu", cores: 2, loadAverage: 0.5, kernels: "avx512"), threads: 2, config: .standard, models: [result])
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["machine", "threads", "build", "config", "models"])
        XCTAssertEqual((object["machine"] as? [String: Any])?["load_average"] as? Double, 0.5)
        let model = (object["models"] as! [[String: Any]])[0]
        XCTAssertEqual(model["train_images_per_s"] as? Double, 2)
        XCTAssertEqual(model["infer_images_per_s"] as? Double, 3)
        XCTAssertEqual(model["latency_ms"] as? Double, 4)
        let config = object["config"] as! [String: Any]
        XCTAssertEqual(config["train_batch"] as? Int, 128)
        XCTAssertEqual(config["infer_batch"] as? Int, 1024)
        XCTAssertNotNil(config["latency_calls"])
    }

    func testMachineInfoReadsTheCPUModel() {
        let m = MachineInfo.current()
        XCTAssertGreaterThanOrEqual(m.cores, 1)
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), cpuinfo.contains("model name") {
            XCTAssertTrue(cpuinfo.contains(m.cpu), m.cpu)
        }
    }
}
