// The training loop: learning a task with a known answer, determinism from
// the seed, callbacks (progress, early stop), frozen layers, bad input.

import XCTest
@testable import FoveaEngine

final class TrainingTests: XCTestCase {
    /// Two Gaussian-free clusters: class = 1 when x0 + x1 > 0.
    private func linearlySeparable(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
        let x = randomTensor([n, 2], seed: seed)
        let y = Tensor(shape: [n], data: (0..<n).map { x.data[2 * $0] + x.data[2 * $0 + 1] > 0 ? 1 : 0 })
        return (x, y)
    }

    private func smallModel(seed: UInt64) throws -> Sequential {
        Engine.seed(seed)
        return try Sequential(inputShape: [2], layers: [
            Dense(units: 8, activation: .relu), Dropout(rate: 0.1), Dense(units: 2, activation: .softmax),
        ])
    }

    func testFitLearnsAndReportsHistory() throws {
        let (x, y) = linearlySeparable(256, seed: 1)
        let (vx, vy) = linearlySeparable(64, seed: 2)
        let model = try smallModel(seed: 5)
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: SoftmaxCrossEntropy(sparse: true))
        let history = try model.fit(x: x, y: y, epochs: 15, batchSize: 32, validation: (vx, vy), seed: 3)
        XCTAssertEqual(history.epochsRun, 15)
        XCTAssertEqual(history.valAccuracy.count, 15)
        XCTAssertLessThan(history.loss.last!, history.loss.first! * 0.5)
        XCTAssertGreaterThan(history.valAccuracy.last!, 0.93)
        let (loss, accuracy) = try model.evaluate(x: vx, y: vy)
        XCTAssertEqual(loss, history.valLoss.last!, accuracy: 1e-5)
        XCTAssertEqual(accuracy!, history.valAccuracy.last!, accuracy: 1e-6)
    }

    func testSameSeedSameRun() throws {
        let (x, y) = linearlySeparable(100, seed: 1)
        var runs: [([Float], [Float])] = []
        for _ in 0..<2 {
            let model = try smallModel(seed: 9)
            try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: SoftmaxCrossEntropy(sparse: true))
            let h = try model.fit(x: x, y: y, epochs: 2, batchSize: 16, seed: 4)
            runs.append((h.loss, model.parameters[0].value.data))
        }
        XCTAssertEqual(runs[0].0, runs[1].0)
        XCTAssertEqual(runs[0].1, runs[1].1)
        let model = try smallModel(seed: 9)
        try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: SoftmaxCrossEntropy(sparse: true))
        XCTAssertNotEqual(try model.fit(x: x, y: y, epochs: 2, batchSize: 16, seed: 5).loss, runs[0].0)
    }

    func testCallbacksAugmentationAndEarlyStop() throws {
        let (x, y) = linearlySeparable(50, seed: 1)
        let model = try smallModel(seed: 1)
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: SoftmaxCrossEntropy(sparse: true))
        var progress: [BatchProgress] = []
        var epochsSeen: [Int] = []
        var augmented = 0
        let history = try model.fit(
            x: x, y: y, epochs: 5, batchSize: 16,
            augment: { batch in augmented += batch.batchCount },
            callbacks: TrainingCallbacks(onBatchEnd: { progress.append($0) },
                                         onEpochEnd: { epochsSeen.append($0.epoch); return $0.epoch == 2 ? .stop : .proceed }))
        XCTAssertEqual(history.epochsRun, 2)
        XCTAssertEqual(epochsSeen, [1, 2])
        XCTAssertEqual(progress.count, 8)  // ceil(50 / 16) = 4 batches per epoch
        XCTAssertEqual(progress.last!.batch, 4)
        XCTAssertEqual(progress.last!.batchCount, 4)
        XCTAssertGreaterThan(progress.last!.imagesPerSecond, 0)
        XCTAssertEqual(augmented, 100)
        XCTAssertEqual(progress[3].loss, history.loss[0], accuracy: 1e-6)
    }

    func testFrozenLayersKeepTheirWeights() throws {
        let (x, y) = linearlySeparable(64, seed: 1)
        let model = try smallModel(seed: 2)
        model.layers[0].trainable = false
        let frozen = model.layers[0].parameters.map(\.value.data)
        let head = model.layers[2].parameters[0].value.data
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: SoftmaxCrossEntropy(sparse: true))
        try model.fit(x: x, y: y, epochs: 2, batchSize: 16)
        XCTAssertEqual(model.layers[0].parameters.map(\.value.data), frozen)
        XCTAssertNotEqual(model.layers[2].parameters[0].value.data, head)
        XCTAssertEqual(model.trainableParameters.count, 2)
    }

    func testBadInputIsAnErrorNotACrash() throws {
        let model = try smallModel(seed: 1)
        let x = Tensor(shape: [4, 2]), y = Tensor(shape: [3])
        XCTAssertThrowsError(try model.fit(x: x, y: Tensor(shape: [4]), epochs: 1))  // not compiled
        try model.compile(optimizer: SGD(), loss: SoftmaxCrossEntropy(sparse: true))
        XCTAssertThrowsError(try model.fit(x: x, y: y, epochs: 1))
        XCTAssertThrowsError(try model.fit(x: Tensor(shape: [4, 3]), y: Tensor(shape: [4]), epochs: 1))
        XCTAssertThrowsError(try model.fit(x: x, y: Tensor(shape: [4], data: [0, 1, 2, 1]), epochs: 1))
        XCTAssertThrowsError(try model.fit(x: x, y: Tensor(shape: [4]), epochs: 1, batchSize: 0))
    }
}
