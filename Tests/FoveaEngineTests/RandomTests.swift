// SplitMix64: reference outputs and the shapes of derived draws.

import XCTest
@testable import FoveaEngine

final class RandomTests: XCTestCase {
    func testMatchesReferenceSequence() {
        // splitmix64.c (Vigna) seeded with 1234567: first three outputs.
        var rng = SplitMix64(seed: 1_234_567)
        XCTAssertEqual([rng.next(), rng.next(), rng.next()],
                       [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
    }

    func testPermutationAndUniformRange() {
        var rng = SplitMix64(seed: 3)
        let p = rng.permutation(100)
        XCTAssertEqual(p.sorted(), Array(0..<100))
        XCTAssertNotEqual(p, Array(0..<100))
        let u = (0..<1000).map { _ in rng.uniform(-2, 3) }
        XCTAssertGreaterThanOrEqual(u.min()!, -2)
        XCTAssertLessThan(u.max()!, 3)
        XCTAssertEqual(Double(u.reduce(0, +)) / 1000, 0.5, accuracy: 0.15)
    }
}
