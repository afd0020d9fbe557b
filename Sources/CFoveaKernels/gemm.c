// Row-major C = A · B (or C += A · B) for the products between Winograd's
// transformed tiles and kernels: a few hundred to a few thousand rows, 3 to
// 256 deep, 4 to 256 columns. OpenBLAS packs both operands on every call,
// which at these depths cost about a quarter of its time here; this loop
// reads them where they are. It keeps an 8-row x 32-column block of C in
// vector registers (16 accumulators) and walks the depth once per block:
// per step two loads of B and eight broadcasts of A feed sixteen FMAs.
// Blocks run column panel by column panel, so one panel of B (depth x 32)
// stays in cache while every row block of A passes it.
#include "fovea_kernels.h"
#include "vector.h"
#include <string.h>


#define NB 32
#ifndef KC
#define KC 256
#endif

// One block of `rows` (1..8, a constant after inlining) rows and 32 columns:
// acc[r] = A[r][0..k) · B[0..k)[0..32), A[r][p] being a[r * ars + p * aps]
// (A or a transposed matrix). `b` points at the panel's first column, `ldb`
// floats between its rows.
INLINE void block(int rows, long k, const float *restrict a, long ars, long aps, const float *restrict b, long ldb,
                  float *restrict c, long ldc, int accumulate) {
    v16 a0[8], a1[8];
    for (int r = 0; r < rows; r++) { a0[r] = (v16){0}; a1[r] = (v16){0}; }
    for (long p = 0; p < k; p++) {
        const v16 b0 = LOAD(b + p * ldb), b1 = LOAD(b + p * ldb + 16);
        for (int r = 0; r < rows; r++) {
            const float v = a[r * ars + p * aps];
            a0[r] += v * b0;
            a1[r] += v * b1;
        }
    }
    for (int r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        if (accumulate) {
            STORE(out, LOAD(out) + a0[r]);
            STORE(out + 16, LOAD(out + 16) + a1[r]);
        } else {
            STORE(out, a0[r]);
            STORE(out + 16, a1[r]);
        }
    }
}

// Rows of one 32-column panel, in blocks of 8 and a 4/2/1 tail.
INLINE void panel(long m, long k, const float *a, long ars, long aps, const float *b, long ldb, float *c, long ldc,
                  int accumulate) {
    long i = 0;
    for (; i + 8 <= m; i += 8) block(8, k, a + i * ars, ars, aps, b, ldb, c + i * ldc, ldc, accumulate);
    if (m - i >= 4) { block(4, k, a + i * ars, ars, aps, b, ldb, c + i * ldc, ldc, accumulate); i += 4; }
    if (m - i >= 2) { block(2, k, a + i * ars, ars, aps, b, ldb, c + i * ldc, ldc, accumulate); i += 2; }
    if (m - i >= 1) block(1, k, a + i * ars, ars, aps, b, ldb, c + i * ldc, ldc, accumulate);
}

// C (m x n) = or += op(A) · B with op(A)[r][p] = a[r * ars + p * aps].
INLINE int gemm(long m, long n, long k, const float *restrict a, long ars, long aps, const float *restrict b,
                long ldb, float *restrict c, long ldc, int accumulate, float *scratch) {
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return 0;
    }
    const long whole = n / NB * NB;
    if (whole != n && !scratch) return -1;
    // Deep products go KC at a time, so the panel's slice of B stays in L1.
    for (long j = 0; j < whole; j += NB)
        for (long p = 0; p < k; p += KC)
            panel(m, k - p < KC ? k - p : KC, a + p * aps, ars, aps, b + p * ldb + j, ldb, c + j, ldc,
                  accumulate || p > 0);
    if (whole == n) return 0;
    // The last columns: a zero-padded copy of B's panel, and C through a
    // 32-wide staging area (scratch: k * 32 + 8 * 32 floats).
    const long rest = n - whole;
    float *bp = scratch, *cp = scratch + k * NB;
    for (long p = 0; p < k; p++) {
        memcpy(bp + p * NB, b + p * ldb + whole, (size_t)rest * sizeof(float));
        memset(bp + p * NB + rest, 0, (size_t)(NB - rest) * sizeof(float));
    }
    for (long i = 0; i < m; i += 8) {
        const long rows = m - i < 8 ? m - i : 8;
        for (long r = 0; r < rows; r++) {
            if (accumulate) memcpy(cp + r * NB, c + (i + r) * ldc + whole, (size_t)rest * sizeof(float));
            else memset(cp + r * NB, 0, NB * sizeof(float));
        }
        panel(rows, k, a + i * ars, ars, aps, bp, NB, cp, NB, 1);
        for (long r = 0; r < rows; r++)
            memcpy(c + (i + r) * ldc + whole, cp + r * NB, (size_t)rest * sizeof(float));
    }
    return 0;
}

CLONES
int fovea_gemm_nn(long m, long n, long k, const float *restrict a, long lda, const float *restrict b, long ldb,
                  float *restrict c, long ldc, int accumulate, float *scratch) {
    return gemm(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate, scratch);
}

CLONES
int fovea_gemm_tn(long m, long n, long k, const float *restrict a, long lda, const float *restrict b, long ldb,
                  float *restrict c, long ldc, int accumulate, float *scratch) {
    return gemm(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate, scratch);
}
