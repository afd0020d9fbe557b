// Random numbers for the engine: one seeded generator (SplitMix64) shared by
// weight initialisation, shuffling and dropout masks, so that a run is
// reproducible from a single seed.

import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): tiny state, passes BigCrush, and
/// trivially seedable from one 64-bit value.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits (all a Float can hold).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// A Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }
}

/// The engine-wide generator. Layers draw from it when they build (weights)
/// and when they train (dropout); `fit(seed:)` and `Engine.seed` reset it.
final class EngineRandom: @unchecked Sendable {
    static let shared = EngineRandom()
    private let lock = NSLock()
    private var generator = SplitMix64(seed: 0x5EED)

    func reseed(_ seed: UInt64) {
        lock.lock(); defer { lock.unlock() }
        generator = SplitMix64(seed: seed)
    }

    /// Runs `body` with exclusive access to the generator.
    func with<T>(_ body: (inout SplitMix64) -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body(&generator)
    }
}

extension Engine {
    /// Resets the engine's generator; models built afterwards get the same
    /// initial weights for the same seed.
    public static func seed(_ seed: UInt64) {
        EngineRandom.shared.reseed(seed)
    }
}
