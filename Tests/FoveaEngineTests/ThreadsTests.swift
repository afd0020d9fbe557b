// Threads: results do not depend on the thread count.

import XCTest
@testable import FoveaEngine

final class ThreadsTests: XCTestCase {
    func testOneAndTwoThreadsAgree() throws {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        var outputs: [[Float]] = []
        for threads in [1, 2] {
            Engine.setThreads(threads)
            XCTAssertEqual(Engine.threads, threads)
            Engine.seed(5)
            let model = try Sequential(inputShape: [12, 12, 3], layers: [
                Conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .relu), BatchNormalization(),
                MaxPooling2D(), Flatten(), Dense(units: 4, activation: .softmax),
            ])
            try model.compile(optimizer: Adam(), loss: SoftmaxCrossEntropy(sparse: true))
            let x = randomTensor([64, 12, 12, 3], seed: 1)
            let y = Tensor(shape: [64], data: (0..<64).map { Float($0 % 4) })
            try model.fit(x: x, y: y, epochs: 1, batchSize: 32, seed: 2)
            outputs.append(model.predict(x, batchSize: 64).data)
        }
        for (a, b) in zip(outputs[0], outputs[1]) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        Engine.setThreads(0)
        XCTAssertEqual(Engine.threads, 1, "thread counts below 1 are clamped")
    }
}
