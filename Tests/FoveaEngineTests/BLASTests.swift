// BLAS bridge: every transpose combination of `sgemm`, including the large
// products split into row or column blocks over two threads and the
// single-row GEMV path, and Fovea's own GEMM loops, against a plain triple
// loop in Double.

import CFoveaKernels
import XCTest
@testable import FoveaEngine

final class BLASTests: XCTestCase {
    func testSplitProductsMatchNaiveLoops() {
        let saved = Engine.threads
        defer { Engine.setThreads(saved) }
        Engine.setThreads(2)
        // (m, n, k): rows split, columns split, one row over a large matrix
        // (GEMV split by columns), one small product left whole.
        for (m, n, k) in [(203, 150, 80), (40, 333, 200), (1, 1100, 1000), (5, 7, 3)] {
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                let label = "\(m)x\(n)x\(k) transA \(transA) transB \(transB)"
                let a = randomTensor([m * k], seed: 1).data, b = randomTensor([k * n], seed: 2).data
                let c0 = randomTensor([m * n], seed: 3).data
                let lda = transA ? m : k, ldb = transB ? k : n
                var c = c0
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                  a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                  beta: 2, c: cp.baseAddress!, ldc: n)
                        }
                    }
                }
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let av = transA ? a[p * lda + i] : a[i * lda + p]
                            let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                            s += Double(av) * Double(bv)
                        }
                        let expected = 0.5 * s + 2 * Double(c0[i * n + j])
                        worst = max(worst, abs(Double(c[i * n + j]) - expected) / max(1, abs(expected)))
                    }
                }
                XCTAssertLessThan(worst, 1e-4, label)
            }
        }
    }

    /// Fovea's own GEMM loops (gemm.c) for C = A·B and C = Aᵀ·B, overwrite
    /// and accumulate: row counts off the 8-row block (tails of 4, 2, 1),
    /// column counts off the 32-column panel (the zero-padded staging path),
    /// depths past one 256-deep slice, and leading dimensions wider than
    /// the matrices.
    func testOwnGemmLoopsMatchNaiveLoops() {
        for (m, n, k) in [(8, 32, 8), (15, 64, 3), (1, 32, 300), (37, 96, 513), (4, 256, 256), (13, 45, 20), (3, 7, 5)] {
            for transposed in [false, true] {
                for accumulate in [false, true] {
                    let label = "\(m)x\(n)x\(k) transposed \(transposed) accumulate \(accumulate)"
                    // Leading dimensions 3 wider than needed.
                    let lda = (transposed ? m : k) + 3, ldb = n + 3, ldc = n + 3
                    let a = randomTensor([(transposed ? k : m) * lda], seed: 11).data
                    let b = randomTensor([k * ldb], seed: 12).data
                    let c0 = randomTensor([m * ldc], seed: 13).data
                    var c = c0
                    var scratch = [Float](repeating: 0, count: k * 32 + 256)
                    let status = a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                scratch.withUnsafeMutableBufferPointer { sp in
                                    (transposed ? fovea_gemm_tn : fovea_gemm_nn)(
                                        m, n, k, ap.baseAddress!, lda, bp.baseAddress!, ldb,
                                        cp.baseAddress!, ldc, accumulate ? 1 : 0, sp.baseAddress!)
                                }
                            }
                        }
                    }
                    XCTAssertEqual(status, 0, label)
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<ldc {
                            let at = i * ldc + j
                            guard j < n else {
                                // Padding columns of C are never touched.
                                XCTAssertEqual(c[at], c0[at], "\(label): wrote outside C at \(i), \(j)")
                                continue
                            }
                            var s = accumulate ? Double(c0[at]) : 0
                            for p in 0..<k {
                                let av = transposed ? a[p * lda + i] : a[i * lda + p]
                                s += Double(av) * Double(b[p * ldb + j])
                            }
                            worst = max(worst, abs(Double(c[at]) - s) / max(1, abs(s)))
                        }
                    }
                    XCTAssertLessThan(worst, 1e-4, label)
                }
            }
        }
    }

    /// Without scratch space an n off the 32-column panel is refused, not
    /// written half-way.
    func testOwnGemmRefusesARaggedProductWithoutScratch() {
        let a = [Float](repeating: 1, count: 4 * 4), b = [Float](repeating: 1, count: 4 * 40)
        var c = [Float](repeating: 7, count: 4 * 40)
        let status = fovea_gemm_nn(4, 40, 4, a, 4, b, 40, &c, 40, 0, nil)
        XCTAssertEqual(status, -1)
        XCTAssertEqual(c[35], 7)
    }
}
