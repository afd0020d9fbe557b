// Tests of the inference queue: each request gets its own answer, requests
// arriving together share one batch (and only with their own batch key),
// a full queue refuses at once, and a request past its timeout is dropped.
import Foundation
import XCTest
@testable import FoveaService

private struct Job: Batchable {
    var value: Int
    var key = "a"
    var batchKey: String { key }
}

/// Batches seen by a worker.
private final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [[Int]] = []
    func add(_ batch: [Int]) { lock.lock(); sizes.append(batch); lock.unlock() }
    var batches: [[Int]] { lock.lock(); defer { lock.unlock() }; return sizes }
}

final class InferenceQueueTests: XCTestCase {
    private func queue(workers: Int = 1, maxQueue: Int = 64, maxBatch: Int, window: Double, delay: Double = 0, log: Log)
        -> InferenceQueue<Job, Int> {
        InferenceQueue(name: "test", workers: workers, maxQueue: maxQueue, maxBatch: maxBatch, windowMilliseconds: window) {
            { jobs in
                log.add(jobs.map(\.value))
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                return jobs.map { $0.value * 10 }
            }
        }
    }

    /// Waits (at most 10 s, then fails) until the queue's worker is computing.
    private func waitUntilInferring(_ q: InferenceQueue<Job, Int>) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while q.inferring == 0 {
            guard ContinuousClock.now < deadline else { throw QueueRefusal.timedOut }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func testRequestsArrivingTogetherShareABatchAndEachGetsItsOwnAnswer() async throws {
        let log = Log()
        let q = queue(maxBatch: 8, window: 300, log: log)
        defer { q.stop() }
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 1...6 { group.addTask { (i, try await q.submit(Job(value: i), timeout: .seconds(10))) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        XCTAssertEqual(answers, Dictionary(uniqueKeysWithValues: (1...6).map { ($0, $0 * 10) }))
        XCTAssertEqual(log.batches.count, 1, "six requests within the window should be one batch: \(log.batches)")
        XCTAssertEqual(log.batches.first?.sorted(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(q.largestBatchSoFar, 6)
    }

    func testMaxBatchOneNeverBatchesAndKeysNeverMix() async throws {
        let log = Log()
        let single = queue(maxBatch: 1, window: 300, log: log)
        defer { single.stop() }
        _ = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 1...4 { group.addTask { try await single.submit(Job(value: i), timeout: .seconds(10)) } }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(log.batches.map(\.count), [1, 1, 1, 1])

        let mixedLog = Log()
        let mixed = queue(maxBatch: 8, window: 300, log: mixedLog)
        defer { mixed.stop() }
        _ = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 1...6 { group.addTask { try await mixed.submit(Job(value: i, key: i % 2 == 0 ? "even" : "odd"), timeout: .seconds(10)) } }
            return try await group.reduce(0, +)
        }
        for batch in mixedLog.batches {
            XCTAssertEqual(Set(batch.map { $0 % 2 }).count, 1, "a batch mixed keys: \(batch)")
        }
        XCTAssertEqual(mixedLog.batches.flatMap { $0 }.sorted(), [1, 2, 3, 4, 5, 6])
    }

    func testAFullQueueRefusesAtOnce() async throws {
        let log = Log()
        // One worker, no waiting room: while the worker is busy, a second request is refused.
        let q = queue(maxQueue: 0, maxBatch: 1, window: 0, delay: 0.5, log: log)
        defer { q.stop() }
        let first = Task { try await q.submit(Job(value: 1), timeout: .seconds(10)) }
        try await waitUntilInferring(q)
        let start = ContinuousClock.now
        do {
            _ = try await q.submit(Job(value: 2), timeout: .seconds(10))
            XCTFail("a request beyond the queue's bound was accepted")
        } catch QueueRefusal.full {
            XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(250), "refusal should not wait for the worker")
        }
        let firstAnswer = try await first.value
        XCTAssertEqual(firstAnswer, 10)
    }

    func testARequestPastItsTimeoutIsDroppedFromTheQueue() async throws {
        let log = Log()
        let q = queue(maxBatch: 1, window: 0, delay: 0.6, log: log)
        defer { q.stop() }
        let busy = Task { try await q.submit(Job(value: 1), timeout: .seconds(10)) }
        try await waitUntilInferring(q)
        do {
            _ = try await q.submit(Job(value: 2), timeout: .milliseconds(100))
            XCTFail("a request waiting past its timeout was answered")
        } catch QueueRefusal.timedOut {}
        XCTAssertEqual(q.queueLength, 0, "the timed-out request should leave the queue")
        _ = try await busy.value
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(log.batches, [[1]], "the dropped request must not be computed")
    }
}
