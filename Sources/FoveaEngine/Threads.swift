// Thread control: one setting for the engine's own parallel loops (im2col,
// pooling, element-wise work over the batch, and the blocks `sgemm` splits
// large products into; OpenBLAS itself runs single-threaded).

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
/// contiguous chunks. Work smaller than `minimumWork` units (count × cost)
/// stays on the calling thread: waking a second thread costs tens of
/// microseconds, which single-image inference cannot amortise.
@inline(__always)
func parallelFor(_ count: Int, costPerItem: Int = 1, minimumWork: Int = 131_072,
                 _ body: (Range<Int>) -> Void) {
    let threads = Engine.threads
    // Inside another parallel loop (e.g. a GEMM split while the Winograd
    // GEMMs are already spread over the threads) the work runs inline.
    if threads <= 1 || count <= 1 || count * costPerItem < minimumWork || fovea_parallel_depth() > 0 {
        body(0..<count)
        return
    }
    let chunks = min(threads, count)
    withoutActuallyEscaping(body) { body in
        // The chunks touch disjoint ranges; callers guarantee that, which is
        // what the compiler cannot check for raw buffers.
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = count * c / chunks
            let end = count * (c + 1) / chunks
            fovea_set_parallel_depth(1)
            box.value(start..<end)
            fovea_set_parallel_depth(0)
        }
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
