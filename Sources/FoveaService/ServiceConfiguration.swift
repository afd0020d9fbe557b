// ServiceConfiguration: everything `fovea serve` can be told — where it
// listens, the limits it enforces on every request, how inference is queued
// and batched, and which models it loads.
import Foundation

public struct ServiceConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed when the server is up).
    public var port = 8080
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 20 * 1024 * 1024
    /// Largest decoded image, width × height (413 beyond), checked from the header before decoding.
    public var maxPixels = 40_000_000
    /// Inference workers per route, each with its own copy of the pipeline.
    public var maxConcurrent = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Requests that may wait per route beyond the busy workers (503 with Retry-After beyond).
    public var maxQueue = 64
    /// A request not answered within this time gets 503 with Retry-After.
    public var timeoutMilliseconds = 10_000
    /// Requests for the same model gathered into one batched inference; 1 turns micro-batching off.
    public var maxBatch = 8
    /// How long a worker holding one request waits for more to batch with it.
    public var batchWindowMilliseconds = 2.0
    /// Model files; nil takes the committed ones (ModelLocator).
    public var detectorPath: String?
    public var classifierPath: String?
    public var faceModelPath: String?
    public var faceDetectorPath: String?

    public init() {}

    /// A description of what is wrong, or nil when every value is usable.
    public func problem() -> String? {
        if !(0...65535).contains(port) { return "--port must be in 0...65535, got \(port)" }
        if maxBodyBytes < 1 { return "--max-body-bytes must be at least 1, got \(maxBodyBytes)" }
        if maxPixels < 1 { return "--max-pixels must be at least 1, got \(maxPixels)" }
        if maxConcurrent < 1 { return "--max-concurrent must be at least 1, got \(maxConcurrent)" }
        if maxQueue < 0 { return "--max-queue must be at least 0, got \(maxQueue)" }
        if timeoutMilliseconds < 1 { return "--timeout-ms must be at least 1, got \(timeoutMilliseconds)" }
        if maxBatch < 1 { return "--max-batch must be at least 1, got \(maxBatch)" }
        if !(batchWindowMilliseconds >= 0) { return "--batch-window-ms must be at least 0, got \(batchWindowMilliseconds)" }
        return nil
    }
}
