// BatchRunner: a folder of images through one pipeline into a results file.
//
//   list files → skip those already recorded → reader thread (file bytes)
//   → bounded queue → N workers, each decoding and running its own pipeline → bounded queue
//   → writer (one write per row, one fsync per group, at most one per 20 ms) → progress on stderr.
//
// Memory stays flat in the number of files: only the queues' few files are
// alive at once (the list of paths is the one thing that grows). Decoding is
// the workers' job, not the reader's: with N workers it runs on N threads, so
// a single decoding thread never caps the throughput, and `--jobs N` is N
// threads of CPU work (the reader only waits on the disk).
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public struct BatchConfiguration: Sendable {
    public var folders: [String]
    public var task: BatchTask
    public var output: String
    /// Worker threads, each with its own pipeline.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    public var shard: Shard?
    public var selection = InputSelection()
    /// Annotated PNGs go here, mirroring the folders' tree.
    public var annotateDir: String?
    /// Run again the files whose recorded row is an error.
    public var retryErrors = false
    public var decode = DecodeOptions()
    /// Threads of the engine's loops; nil: all cores with one job, else 1 (the workers are the parallelism).
    public var engineThreads: Int?
    /// Files a worker takes from the queue at once and runs through its
    /// pipeline together (fewer when fewer are waiting; 1: one by one).
    public var batchSize = 32
    /// Files read and waiting for a worker at most; nil: a batch and a half per job.
    public var queueCapacity: Int?
    /// Draw the progress bar on stderr.
    public var progress = true

    public init(folders: [String], task: BatchTask, output: String) {
        self.folders = folders
        self.task = task
        self.output = output
    }
}

public struct BatchSummary: Sendable {
    /// Files selected (in this shard).
    public var selected = 0
    /// Already in the results file, not run again.
    public var skipped = 0
    public var ok = 0
    public var failed = 0
    /// Error rows kept from earlier runs (without --retry-errors).
    public var earlierErrors = 0
    public var failuresByReason: [String: Int] = [:]
    public var seconds = 0.0
    /// Bytes of a torn last line cut off when the results file was opened.
    public var repairedBytes = 0

    public var processed: Int { ok + failed }
    public var filesPerSecond: Double { seconds > 0 ? Double(processed) / seconds : 0 }
    /// True when some selected file's row is an error (exit status 1).
    public var anyFailed: Bool { failed > 0 || earlierErrors > 0 }
}

public enum BatchRunner {
    /// Runs the batch; `log` receives the progress (with "\r" on a terminal) and notes.
    public static func run(_ config: BatchConfiguration, log: @escaping @Sendable (String) -> Void) throws -> BatchSummary {
        var selection = config.selection
        selection.skipPaths += [config.output] + (config.annotateDir.map { [$0] } ?? [])
        var items = try BatchInputs.list(config.folders, selection: selection)
        if let shard = config.shard { items = items.filter { shard.contains($0) } }

        let results = try ResultsFile(path: config.output)
        var summary = BatchSummary()
        summary.selected = items.count
        summary.repairedBytes = results.repairedBytes
        if results.repairedBytes > 0 {
            log("note: \(config.output): cut off a torn last line (\(results.repairedBytes) bytes, a run killed mid-write); that file runs again\n")
        }
        if config.retryErrors { try results.dropErrorRows(of: Set(items.map(\.file))) }
        let todo = items.filter { results.recorded[$0.file] == nil }
        summary.skipped = items.count - todo.count
        summary.earlierErrors = items.filter { results.recorded[$0.file] == false }.count

        // No more pipelines than files to run (none load when everything is recorded).
        let jobs = max(1, min(config.jobs, todo.count))
        Engine.setThreads(config.engineThreads ?? (jobs == 1 ? ProcessInfo.processInfo.activeProcessorCount : 1))
        // Models load before any thread starts, so a missing model is one clear error.
        let workers: [Unchecked<BatchWorker>]
        do {
            workers = try (0..<jobs).map { _ in Unchecked(try config.task.makeWorker()) }
        } catch {
            throw BatchError.cannotLoadPipeline(task: config.task.name, reason: "\(error)")
        }
        if let dir = config.annotateDir { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

        let batchSize = max(1, config.batchSize)
        let state = RunState(items: todo, jobs: jobs, capacity: config.queueCapacity ?? max(2, batchSize * 3 / 2) * jobs,
                             results: results)
        let start = ContinuousClock.now
        startThreads(state, workers: workers, config: config)

        let progress = ProgressLine(total: todo.count, terminal: config.progress && isatty(2) == 1, enabled: config.progress)
        while state.finished.wait(timeout: .now() + 0.25) == .timedOut {
            let (done, errors) = state.counts()
            if let line = progress.line(done: done, errors: errors, seconds: seconds(since: start)) { log(line) }
        }
        summary.seconds = seconds(since: start)
        let (done, errors) = state.counts()
        if let line = progress.final(done: done, errors: errors, seconds: summary.seconds) { log(line) }
        if let failure = state.writeFailure { throw failure }
        summary.ok = done - errors
        summary.failed = errors
        summary.failuresByReason = state.reasons
        return summary
    }

    private static func startThreads(_ state: RunState, workers: [Unchecked<BatchWorker>], config: BatchConfiguration) {
        let decode = config.decode
        spawn {
            while let item = state.nextItem() {
                let begin = ContinuousClock.now
                let bytes: Result<[UInt8], Error> = Result { try Image.fileBytes(item.file) }
                if !state.loaded.push(Loaded(item: item, bytes: bytes, begin: begin)) { break }
            }
            state.loaded.close()
        }
        let annotateDir = config.annotateDir
        let batchSize = max(1, config.batchSize)
        for worker in workers {
            spawn {
                while true {
                    let jobs = state.loaded.pop(upTo: batchSize)
                    if jobs.isEmpty { break }
                    // Files that cannot be read, decoded or given an annotation
                    // path are error rows at once; the rest share one pipeline call.
                    var rows = [Finished?](repeating: nil, count: jobs.count)
                    var inputs = [BatchInput](), positions = [Int]()
                    for (k, job) in jobs.enumerated() {
                        do {
                            let image = try Image(decoding: job.bytes.get(), name: job.item.file, options: decode)
                            let annotation = try annotateDir.map { try annotationPath(job.item, in: $0) }
                            inputs.append(BatchInput(image: image, file: job.item.file, annotation: annotation))
                            positions.append(k)
                        } catch {
                            rows[k] = .failed(error, job)
                        }
                    }
                    for (k, result) in zip(positions, worker.value.process(inputs)) {
                        let job = jobs[k]
                        switch result {
                        case .success(let object):
                            rows[k] = Finished(line: BatchRow.ok(object, file: job.item.file,
                                                                 elapsedMilliseconds: milliseconds(since: job.begin)).text, reason: nil)
                        case .failure(let error):
                            rows[k] = .failed(error, job)
                        }
                    }
                    guard rows.allSatisfy({ state.rows.push($0!) }) else { break }
                }
                if state.workerEnded() { state.rows.close() }
            }
        }
        spawn {
            // Group commit: at most one fsync per `syncInterval`; rows that finish
            // meanwhile wait in the queue and share the next write + fsync (a
            // row counts as done only once its fsync returned, as before).
            var lastSync = ContinuousClock.now - syncInterval
            while true {
                let wait = lastSync + syncInterval - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: wait / .seconds(1)) }
                let group = state.rows.popAll()
                lastSync = ContinuousClock.now
                if group.isEmpty { break }
                do {
                    try state.results.append(group.map(\.line))
                    state.recorded(group)
                } catch {
                    state.fail(error)
                    break
                }
            }
            state.finished.signal()
        }
    }

    /// The shortest time between two fsyncs of the results file: at 2,000 rows/s
    /// one fsync covers about 40 rows instead of one, and a row waits at most this long.
    static let syncInterval = Duration.milliseconds(20)

    /// DIR/relative path with a .png extension; its folders are made.
    static func annotationPath(_ item: BatchItem, in dir: String) throws -> String {
        let relative = URL(fileURLWithPath: item.relative).deletingPathExtension().relativePath + ".png"
        let path = URL(fileURLWithPath: dir).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        return path.path
    }

    private static func spawn(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 8 << 20
        thread.start()
    }
}

private func seconds(since start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start) / .seconds(1) }
private func milliseconds(since start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start) / .milliseconds(1) }

/// A value handed to one thread that alone uses it (a worker's pipeline).
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

struct Loaded: @unchecked Sendable {
    let item: BatchItem
    let bytes: Result<[UInt8], Error>
    let begin: ContinuousClock.Instant
}

struct Finished: Sendable {
    let line: String
    let reason: String?

    static func failed(_ error: Error, _ job: Loaded) -> Finished {
        Finished(line: BatchRow.error(error, file: job.item.file, elapsedMilliseconds: milliseconds(since: job.begin)).text,
                 reason: FailureReason.of(error))
    }
}

/// What the runner's threads share, behind one lock.
final class RunState: @unchecked Sendable {
    let items: [BatchItem]
    let loaded: BoundedQueue<Loaded>
    let rows: BoundedQueue<Finished>
    let results: ResultsFile
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var next = 0
    private var liveWorkers: Int
    private var done = 0, errors = 0
    private var reasonCounts = [String: Int]()
    private var failure: Error?

    init(items: [BatchItem], jobs: Int, capacity: Int, results: ResultsFile) {
        self.items = items
        self.results = results
        liveWorkers = jobs
        loaded = BoundedQueue(capacity: capacity)
        rows = BoundedQueue(capacity: 8 * jobs + 64)  // room for a sync interval's rows
    }

    func nextItem() -> BatchItem? {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil, next < items.count else { return nil }
        next += 1
        return items[next - 1]
    }

    /// True for the last worker to end.
    func workerEnded() -> Bool {
        lock.lock(); defer { lock.unlock() }
        liveWorkers -= 1
        return liveWorkers == 0
    }

    func recorded(_ group: [Finished]) {
        lock.lock(); defer { lock.unlock() }
        done += group.count
        for row in group { if let r = row.reason { errors += 1; reasonCounts[r, default: 0] += 1 } }
    }

    func fail(_ error: Error) {
        lock.lock()
        failure = error
        lock.unlock()
        loaded.close()
        rows.close()
    }

    func counts() -> (done: Int, errors: Int) {
        lock.lock(); defer { lock.unlock() }
        return (done, errors)
    }

    var reasons: [String: Int] { lock.lock(); defer { lock.unlock() }; return reasonCounts }
    var writeFailure: Error? { lock.lock(); defer { lock.unlock() }; return failure }
}
