// Thread control: one setting for the engine's own parallel loops (im2col,
// pooling, element-wise work over the batch, and the blocks `sgemm` splits
// large products into; OpenBLAS itself runs single-threaded), run on the
// engine's own worker threads (CFoveaKernels/pool.c).

import CFoveaKernels
import COpenBLAS
import Foundation

/// Engine-wide settings.
public enum Engine {
    private final class Settings: @unchecked Sendable {
        let lock = NSLock()
        var threads = ProcessInfo.processInfo.activeProcessorCount
        init() {
            // OpenBLAS itself stays single-threaded: `sgemm` splits large
            // products over the engine's own threads instead. OpenBLAS's
            // threads spin-wait after each call and then competed with the
            // engine's parallel loops for the cores (textbook-cnn training
            // was bimodal, 1,800-3,900 img/s); with one pool it measured
            // about 14% faster and steady.
            openblas_set_num_threads(1)
        }
    }
    private static let settings = Settings()

    /// Developer A/B switch (`fovea bench --ab`): code under experiment reads it.
    nonisolated(unsafe) public static var _experiment = true

    /// Number of threads used by the engine's parallel loops (and so by BLAS).
    public static var threads: Int {
        settings.lock.lock(); defer { settings.lock.unlock() }
        return settings.threads
    }

    /// Sets the thread count (at least 1); the default is all cores.
    public static func setThreads(_ n: Int) {
        let n = max(1, n)
        settings.lock.lock()
        settings.threads = n
        settings.lock.unlock()
        openblas_set_num_threads(1)
    }
}

/// Runs `body(i)` for i in 0..<count, split into at most `Engine.threads`
/// contiguous chunks, on the calling thread and the engine's spinning
/// workers (CFoveaKernels/pool.c). Work smaller than `minimumWork` units
/// (count × cost) stays on the calling thread: a sleeping worker takes tens
/// of microseconds to wake. (A threshold of 16k instead of 128k measured
/// even on one image's latency, within this VM's noise.)
///
/// Measured against libdispatch's concurrentPerform, which this replaced
/// (`fovea bench --ab 4`, one process, medians, 2-core EPYC): one image
/// 1.39 -> 0.77 ms (geron-deep), 0.31 -> 0.16 ms (fovea-emnist), 0.18 ->
/// 0.15 ms (textbook-cnn); fovea-emnist inference of 1024 images 170 ->
/// 120 ms and its training step 67 -> 55 ms; geron-deep's training even.
///
/// `itemChunks`: every item is a chunk of its own, claimed by whichever
/// thread is free, for loops of a few dozen coarse items (the Winograd
/// GEMMs): when another process shares a core, the other thread takes up
/// the slack. Measured with a busy loop pinned to one of the two cores,
/// geron-deep (in-process A/B medians): training step 461 -> 416 ms, a
/// 1024-image call 1130 -> 950 ms; on the quiet machine even (214 vs 218
/// and 529 vs 521 ms). Every loop split that finely measured 2-10% slower
/// when quiet.
@inline(__always)
func parallelFor(_ count: Int, costPerItem: Int = 1, minimumWork: Int = 131_072, itemChunks: Bool = false,
                 _ body: (Range<Int>) -> Void) {
    let threads = Engine.threads
    // Inside another parallel loop (e.g. a GEMM split while the Winograd
    // GEMMs are already spread over the threads) the work runs inline.
    if threads <= 1 || count <= 1 || count * costPerItem < minimumWork || fovea_parallel_depth() > 0 {
        body(0..<count)
        return
    }
    let chunks = itemChunks ? count : min(threads, count)
    withoutActuallyEscaping(body) { body in
        // The chunks touch disjoint ranges; callers guarantee that, which is
        // what the compiler cannot check for raw buffers.
        var job = PoolJob(body: body, count: count, chunks: chunks)
        let status = withUnsafeMutablePointer(to: &job) { job in
            fovea_pool_run(Int32(threads), chunks, { context, chunk in
                let job = context!.assumingMemoryBound(to: PoolJob.self)
                let (count, chunks) = (job.pointee.count, job.pointee.chunks)
                job.pointee.body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
            }, job)
        }
        // Nothing ran (another thread's loop holds the workers): run it here.
        if status != 0 { body(0..<count) }
    }
}

extension Engine {
    /// `body` over 0..<count in contiguous ranges on the engine's threads:
    /// for work outside the engine (e.g. data augmentation between training
    /// steps) that should share its workers rather than wake a second pool
    /// beside them. Ranges must touch disjoint data; work below
    /// `minimumWork` units (count × costPerItem) runs on the calling thread.
    public static func parallel(_ count: Int, costPerItem: Int = 1, minimumWork: Int = 131_072,
                                _ body: (Range<Int>) -> Void) {
        parallelFor(count, costPerItem: costPerItem, minimumWork: minimumWork, body)
    }
}

/// A parallel loop as fovea_pool_run's context: chunk c of `chunks` covers
/// count·c/chunks ..< count·(c+1)/chunks.
private struct PoolJob {
    let body: (Range<Int>) -> Void
    let count: Int
    let chunks: Int
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
