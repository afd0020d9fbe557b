// Allocator tuning. Layer outputs are fresh multi-megabyte arrays every
// batch; glibc serves those with mmap and unmaps them on free, so each batch
// page-faults and zero-fills tens of megabytes again (about 10% of textbook-cnn
// training time measured with perf). Keeping large blocks on the heap lets
// freed buffers be reused directly.

// glibc's mallopt (malloc.h is not part of Swift's Glibc module).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

enum Allocator {
    private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
    private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
    /// Blocks up to this size come from the heap; see `Sequential.predict`,
    /// which keeps its internal batches under it.
    static let largestHeapBlock: Int32 = 32 << 20

    /// Applied once, when the first model or weighted layer is built.
    static let tuned: Bool = {
        #if os(Linux)
        // 32 MiB is the largest mmap threshold glibc accepts; larger values are refused.
        _ = glibcMallopt(mmapThreshold, largestHeapBlock)
        _ = glibcMallopt(trimThreshold, 4 * largestHeapBlock)
        #endif
        return true
    }()
}
