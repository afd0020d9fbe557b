// Learning-rate schedules, evaluated per optimizer step as Keras's
// LearningRateSchedule objects are.

import Foundation

public enum LearningRateSchedule: Sendable {
    /// The base rate throughout.
    case constant
    /// base · factor^floor(step / every) (Keras ExponentialDecay with staircase).
    case step(every: Int, factor: Float)
    /// base · ½(1 + cos(π · min(step, total) / total)) (Keras CosineDecay, alpha 0).
    case cosine(total: Int)

    /// The rate at `step` (0 for the first update).
    public func rate(base: Float, step: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let every, let factor):
            return base * Foundation.pow(factor, Float(step / max(every, 1)))
        case .cosine(let total):
            let t = Float(min(step, total)) / Float(max(total, 1))
            return base * 0.5 * (1 + Foundation.cos(Float.pi * t))
        }
    }
}
