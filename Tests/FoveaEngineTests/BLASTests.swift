// BLAS bridge: every transpose combination of `sgemm`, including the large
// products split into row or column blocks over two threads and the
// single-row GEMV path, against a plain triple loop in Double.

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
}
