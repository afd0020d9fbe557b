// The bridge to OpenBLAS: row-major single-precision GEMM with transposes
// expressed as flags, so callers never materialise a transposed copy. Large
// products are split into row (or column) blocks over the engine's threads,
// each block one single-threaded OpenBLAS call.

import CFoveaKernels
import COpenBLAS

/// C = op(A) · B (beta 0) or C += op(A) · B (beta 1), row-major,
/// single-threaded, op(A) = A or Aᵀ (A then stored k x m): Fovea's own loop
/// (CFoveaKernels/gemm.c) when n is a whole number of 32-column panels and
/// op(A) has 8+ rows (A·B: 8+ deep), else OpenBLAS. For the Winograd
/// products (hundreds of rows, 32 to 256 deep) it skips OpenBLAS's packing
/// of both operands; measured on this 2-core EPYC, one thread, operands in
/// cache: A·B 111-114 vs 96-103 GFLOP/s at 512 x 128..256 x 64..256, 105 vs
/// 98 at 16 x 128 x 128; Aᵀ·B (the kernel gradient's 64..256 x 128..256,
/// 512-2048 deep) 107-113 vs 86-101.
/// The loop is tuned for AVX-512 (16 accumulators of 16 floats). Its AVX2
/// clone spills them: measured on this EPYC with the clone forced, 24-27
/// GFLOP/s against OpenBLAS's 73-106, so without AVX-512 OpenBLAS does the
/// products.
let ownGemmPays = String(cString: fovea_kernels_isa()) == "avx512"

@inline(__always)
func panelGemm(transA: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
               b: UnsafePointer<Float>, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    precondition(beta == 0 || beta == 1, "panelGemm: beta must be 0 or 1")
    guard ownGemmPays && n % 32 == 0 && (transA ? m : k) >= 8 else {
        sgemm(transA: transA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    let accumulate: Int32 = beta == 1 ? 1 : 0
    if transA {
        _ = fovea_gemm_tn(m, n, k, a, lda, b, ldb, c, ldc, accumulate, nil)
    } else {
        _ = fovea_gemm_nn(m, n, k, a, lda, b, ldb, c, ldc, accumulate, nil)
    }
}

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
        // A matrix of 128k values or more (fovea-emnist's 3136x256 Dense,
        // 3.2 MB) is streamed by both threads, half of the outputs each:
        // fovea-emnist's single-image latency measured 0.50 vs 0.65 ms with
        // the split starting at 1M values.
        let parts = n * k >= 1 << 17 ? min(Engine.threads, n / 64) : 1
        let box = UncheckedSendable((a, b, c))
        parallelFor(max(1, parts), costPerItem: 1, minimumWork: 2) { range in
            let (a, b, c) = box.value
            let parts = max(1, parts)
            for part in range {
                let lo = n * part / parts / 16 * 16
                let hi = part == parts - 1 ? n : n * (part + 1) / parts / 16 * 16
                if hi <= lo { continue }
                cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                            Int32(transB ? hi - lo : k), Int32(transB ? k : hi - lo),
                            alpha, transB ? b + lo * ldb : b + lo, Int32(ldb), a, 1, beta, c + lo, 1)
            }
        }
        return
    }
    let threads = Engine.threads
    let parts = min(threads, max(m, n) / 32)
    if parts <= 1 || m * n * k < 1 << 21 {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
        return
    }
    // OpenBLAS runs single-threaded (see Engine); the engine's own threads
    // take a block of C's rows (or columns) each.
    let splitRows = m >= n
    let total = splitRows ? m : n
    let box = UncheckedSendable((a, b, c))
    parallelFor(parts, costPerItem: 1, minimumWork: 2) { range in
        let (a, b, c) = box.value
        for part in range {
            let lo = total * part / parts / 16 * 16
            let hi = part == parts - 1 ? total : total * (part + 1) / parts / 16 * 16
            if hi <= lo { continue }
            if splitRows {
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(hi - lo), Int32(n), Int32(k), alpha, transA ? a + lo : a + lo * lda, Int32(lda),
                            b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
            } else {
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(hi - lo), Int32(k), alpha, a, Int32(lda),
                            transB ? b + lo * ldb : b + lo, Int32(ldb), beta, c + lo, Int32(ldc))
            }
        }
    }
}
