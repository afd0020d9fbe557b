// Thread control: one setting shared by OpenBLAS and the engine's own
// parallel loops (im2col, pooling, element-wise work over the batch).

import COpenBLAS
import Foundation

/// Engine-wide settings.
public enum Engine {
    private final class Settings: @unchecked Sendable {
        let lock = NSLock()
        var threads = ProcessInfo.processInfo.activeProcessorCount
    }
    private static let settings = Settings()

    /// Number of threads used by BLAS and by the engine's parallel loops.
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
        openblas_set_num_threads(Int32(n))
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
    if threads <= 1 || count <= 1 || count * costPerItem < minimumWork {
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
            box.value(start..<end)
        }
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
