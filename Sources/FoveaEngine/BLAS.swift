// The bridge to OpenBLAS: row-major single-precision GEMM with transposes
// expressed as flags, so callers never materialise a transposed copy.

import COpenBLAS

/// C = alpha * op(A) * op(B) + beta * C, all row-major.
/// op(A) is m×k, op(B) is k×n, C is m×n.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false,
           m: Int, n: Int, k: Int,
           alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0,
           c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if m == 1 && !transA {
        // One row (single-image inference): GEMV streams the matrix once
        // and skips GEMM's packing, which dominates at this size. The output
        // may be uninitialised memory, and 0 · NaN is NaN: clear it for beta 0.
        if beta == 0 { c.update(repeating: 0, count: n) }
        cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                    Int32(transB ? n : k), Int32(transB ? k : n),
                    alpha, b, Int32(ldb), a, 1, beta, c, 1)
        return
    }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}
