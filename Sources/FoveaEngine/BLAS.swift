// The bridge to OpenBLAS: row-major single-precision GEMM with transposes
// expressed as flags, so callers never materialise a transposed copy, split
// over the engine's threads when large.

import COpenBLAS

/// C = alpha * op(A) * op(B) + beta * C, all row-major.
/// op(A) is m×k, op(B) is k×n, C is m×n. Large products are split over
/// `Engine.threads` (OpenBLAS runs single-threaded, see Engine) by rows of C,
/// or by columns when C is wider than tall, so that the operand each thread
/// packs again is the smaller one; `threaded: false` keeps it on the caller's
/// thread (callers already running GEMMs in parallel).
func sgemm(transA: Bool = false, transB: Bool = false,
           m: Int, n: Int, k: Int,
           alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0,
           c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = true) {
    if m == 0 || n == 0 { return }
    let threads = threaded ? Engine.threads : 1
    // Below about a million multiply-adds (tens of microseconds) waking a
    // second thread costs more than it saves.
    if threads > 1 && m > 1 && m * n * k >= 1 << 20 && max(m, n) >= 32 {
        let byRows = m >= n
        let size = byRows ? m : n
        // Parts in multiples of 16 rows/columns, the GEMM kernel's blocking.
        let parts = min(threads, (size + 15) / 16)
        parallelFor(parts, minimumWork: 0) { range in
            for part in range {
                let lo = (size * part / parts) & ~15, hi = part == parts - 1 ? size : (size * (part + 1) / parts) & ~15
                if lo >= hi { continue }
                if byRows {
                    sgemm(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                          a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb, beta: beta,
                          c: c + lo * ldc, ldc: ldc, threaded: false)
                } else {
                    sgemm(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha,
                          a: a, lda: lda, b: transB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta,
                          c: c + lo, ldc: ldc, threaded: false)
                }
            }
        }
        return
    }
    if m == 1 && !transA {
        // One row (single-image inference): GEMV streams the matrix once
        // and skips GEMM's packing, which dominates at this size. The output
        // may be uninitialised memory, and 0 · NaN is NaN: clear it for beta 0.
        if beta == 0 { c.update(repeating: 0, count: n) }
        // The one product OpenBLAS threads itself: a GEMV takes tens of
        // microseconds, about what waking one of the engine's threads costs,
        // while OpenBLAS's worker, still spinning from its previous call,
        // starts at once (textbook-cnn single-image latency 0.12 ms this
        // way, 0.20-0.27 ms with the product split over the engine's threads).
        let useThreads = threads > 1 && n * k >= 1 << 20
        if useThreads { openblas_set_num_threads(Int32(threads)) }
        cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                    Int32(transB ? n : k), Int32(transB ? k : n),
                    alpha, b, Int32(ldb), a, 1, beta, c, 1)
        if useThreads { openblas_set_num_threads(1) }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}
