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

    /// parallelFor on the engine's workers: every index runs exactly once,
    /// with a chunk per thread or per item, for many loops back to back
    /// (workers spinning), after a pause long
    /// enough for them to fall asleep (the futex wake-up), for more threads
    /// than cores, and with loops nested inside loops (run inline).
    func testParallelForRunsEveryIndexOnce() {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        for threads in [2, 3, 5] {
            Engine.setThreads(threads)
            for round in 0..<400 {
                let count = 2 + (round * 37) % 300
                var hits = [Int32](repeating: 0, count: count)
                hits.withUnsafeMutableBufferPointer { h in
                    let h = UncheckedSendable(h)
                    // Every other loop one chunk per item (itemChunks).
                    parallelFor(count, minimumWork: 0, itemChunks: round % 2 == 1) { range in
                        for i in range { h.value[i] += 1 }
                    }
                }
                XCTAssertEqual(hits, [Int32](repeating: 1, count: count), "threads \(threads) round \(round)")
                // Now and then, idle past the workers' 200 µs spin.
                if round % 100 == 99 { usleep(2_000) }
            }
            var nested = [Int32](repeating: 0, count: 64 * 8)
            nested.withUnsafeMutableBufferPointer { h in
                let h = UncheckedSendable(h)
                parallelFor(64, minimumWork: 0) { outer in
                    for i in outer {
                        parallelFor(8, minimumWork: 0) { inner in
                            for j in inner { h.value[i * 8 + j] += 1 }
                        }
                    }
                }
            }
            XCTAssertEqual(nested, [Int32](repeating: 1, count: 64 * 8), "nested, threads \(threads)")
        }
    }

    /// Loops submitted from several threads at once (as an HTTP server's
    /// requests would): one holds the workers, the others run inline; none
    /// loses or repeats an index, and none waits forever.
    func testParallelForFromSeveralThreadsAtOnce() {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        Engine.setThreads(2)
        let submitters = 4, rounds = 300, count = 97
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: submitters)
        failures.initialize(repeating: 0, count: submitters)
        defer { failures.deallocate() }
        let box = UncheckedSendable(failures)
        DispatchQueue.concurrentPerform(iterations: submitters) { s in
            var hits = [Int32](repeating: 0, count: count)
            for _ in 0..<rounds {
                hits.withUnsafeMutableBufferPointer { h in
                    let h = UncheckedSendable(h)
                    // Every other submitter one chunk per item (itemChunks).
                    parallelFor(count, minimumWork: 0, itemChunks: s % 2 == 1) { range in
                        for i in range { h.value[i] += 1 }
                    }
                }
            }
            if hits != [Int32](repeating: Int32(rounds), count: count) { box.value[s] += 1 }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: failures, count: submitters)), [0, 0, 0, 0])
    }
}
