// InferenceQueue: a bounded queue in front of a few inference workers, with
// micro-batching. Each worker is a thread with its own pipeline object (the
// engine's layers keep scratch buffers, so one object never runs two
// inferences at once). A worker that takes a request waits up to `window`
// for more with the same batch key and runs them as one batched inference;
// under load the queue already holds them and nobody waits. A full queue
// refuses at once (the caller answers 503 with Retry-After); a request not
// answered within its timeout is dropped from the queue, or its late result
// discarded.
import Foundation

/// Why a request was not answered.
enum QueueRefusal: Error {
    case full
    case timedOut
    case stopped
}

protocol Batchable: Sendable {
    /// Requests with equal keys can share a batch (same model and options).
    var batchKey: String { get }
}

final class InferenceQueue<Job: Batchable, Output: Sendable>: @unchecked Sendable {
    /// One request waiting for its answer; resumed exactly once.
    private final class Entry: @unchecked Sendable {
        let job: Job
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Output, Error>?

        init(_ job: Job) { self.job = job }

        func attach(_ c: CheckedContinuation<Output, Error>) {
            lock.lock(); continuation = c; lock.unlock()
        }

        func resume(_ result: Result<Output, Error>) {
            lock.lock()
            let c = continuation
            continuation = nil
            lock.unlock()
            c?.resume(with: result)
        }
    }

    let maxQueue: Int
    let maxBatch: Int
    let window: TimeInterval
    private let condition = NSCondition()
    private var pending: [Entry] = []
    private var running = 0
    private var stopped = false
    private var largestBatch = 0

    /// Starts `workers` threads; `makeWorker` is called once per thread and
    /// returns the function that answers a batch of jobs (one output each, in order).
    init(name: String, workers: Int, maxQueue: Int, maxBatch: Int, windowMilliseconds: Double,
         makeWorker: () throws -> @Sendable ([Job]) -> [Output]) rethrows {
        self.maxQueue = maxQueue
        self.maxBatch = max(1, maxBatch)
        self.window = windowMilliseconds / 1000
        // Counted before the threads start: a request arriving before a thread
        // first runs must still see its worker (else a zero-length queue refuses it).
        workerCount = max(1, workers)
        for i in 0..<max(1, workers) {
            let work = try makeWorker()
            let thread = Thread { [self] in self.serve(work) }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    /// Requests waiting for a worker.
    var queueLength: Int {
        condition.lock(); defer { condition.unlock() }
        return pending.count
    }

    /// Requests being computed now.
    var inferring: Int {
        condition.lock(); defer { condition.unlock() }
        return running
    }

    /// The most requests answered by one inference so far.
    var largestBatchSoFar: Int {
        condition.lock(); defer { condition.unlock() }
        return largestBatch
    }

    /// Answers `job`, or throws a QueueRefusal.
    func submit(_ job: Job, timeout: Duration) async throws -> Output {
        let entry = Entry(job)
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(entry)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { c in
            entry.attach(c)
            condition.lock()
            if stopped {
                condition.unlock()
                entry.resume(.failure(QueueRefusal.stopped))
            } else if pending.count >= maxQueue + idleWorkers() {
                condition.unlock()
                entry.resume(.failure(QueueRefusal.full))
            } else {
                pending.append(entry)
                // All: a worker gathering a batch of another key must not be the only one woken.
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Lets the workers finish what is queued, then end.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private var workerCount = 0
    private var busyWorkers = 0

    /// Called with the lock held: workers waiting for work take requests
    /// straight away, so they do not count against the queue's bound.
    private func idleWorkers() -> Int { max(0, workerCount - busyWorkers) }

    private func expire(_ entry: Entry) {
        condition.lock()
        if let i = pending.firstIndex(where: { $0 === entry }) { pending.remove(at: i) }
        condition.unlock()
        entry.resume(.failure(QueueRefusal.timedOut))
    }

    private func serve(_ work: @Sendable ([Job]) -> [Output]) {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                return
            }
            busyWorkers += 1
            var batch = [pending.removeFirst()]
            let key = batch[0].job.batchKey
            let deadline = Date(timeIntervalSinceNow: window)
            while batch.count < maxBatch {
                if let i = pending.firstIndex(where: { $0.job.batchKey == key }) {
                    batch.append(pending.remove(at: i))
                } else if stopped || window <= 0 || !condition.wait(until: deadline) {
                    break
                }
            }
            running += batch.count
            largestBatch = max(largestBatch, batch.count)
            condition.unlock()

            let outputs = work(batch.map(\.job))
            for (entry, output) in zip(batch, outputs) { entry.resume(.success(output)) }

            condition.lock()
            running -= batch.count
            busyWorkers -= 1
            condition.unlock()
        }
    }
}
