// Ticks: "nice" axis ticks on a 1-2-5 ladder (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …)
// and their labels, printed with just enough decimals for the step.

import Foundation

public struct AxisTicks: Sendable, Equatable {
    /// Tick positions in data units, ascending.
    public let values: [Double]
    /// Distance between ticks (0 when there are none).
    public let step: Double
    /// One printed label per value.
    public let labels: [String]
}

public enum NiceTicks {
    /// A 1, 2 or 5 times a power of ten step, the smallest such that `span`
    /// needs at most `target` steps. Returned as mantissa and exponent so tick
    /// values can be formed without accumulating rounding error.
    static func step(span: Double, target: Int) -> (mantissa: Int, exponent: Int)? {
        let raw = span / Double(max(1, target))
        guard raw.isFinite, raw > 0 else { return nil }
        var exponent = Int(log10(raw).rounded(.down))
        let residual = raw / pow(10, Double(exponent))
        let eps = 1e-9
        let mantissa: Int
        if residual <= 1 + eps {
            mantissa = 1
        } else if residual <= 2 + eps {
            mantissa = 2
        } else if residual <= 5 + eps {
            mantissa = 5
        } else {
            mantissa = 1
            exponent += 1
        }
        return (mantissa, exponent)
    }

    /// i * mantissa * 10^exponent, dividing for negative exponents so that
    /// values like 0.6 come out as the closest Double rather than 0.6000000000000001.
    static func value(_ i: Int, _ s: (mantissa: Int, exponent: Int)) -> Double {
        let v = s.exponent >= 0 ? Double(i * s.mantissa) * pow(10, Double(s.exponent))
                                : Double(i * s.mantissa) / pow(10, Double(-s.exponent))
        return v == 0 ? 0 : v
    }

    /// Ticks lying inside [lo, hi] with a nice step giving about `target` intervals.
    /// Empty for non-finite or empty ranges.
    public static func ticks(from lo: Double, to hi: Double, target: Int = 5) -> AxisTicks {
        let empty = AxisTicks(values: [], step: 0, labels: [])
        guard lo.isFinite, hi.isFinite, hi > lo, let s = step(span: hi - lo, target: target) else { return empty }
        let stepValue = value(1, s)
        let first = (lo / stepValue - 1e-9).rounded(.up), last = (hi / stepValue + 1e-9).rounded(.down)
        guard first.magnitude < 1e15, last.magnitude < 1e15, first <= last else { return empty }
        let values = (Int(first)...Int(last)).map { value($0, s) }
        return AxisTicks(values: values, step: stepValue, labels: values.map { format($0, exponent: s.exponent) })
    }

    /// The range widened outwards to the nearest ticks, so that data never
    /// touches the frame at an odd value. A single value gets a unit-wide range.
    public static func niceRange(_ lo: Double, _ hi: Double, target: Int = 5) -> ClosedRange<Double> {
        guard lo.isFinite, hi.isFinite else { return 0...1 }
        var (a, b) = (min(lo, hi), max(lo, hi))
        if a == b {
            let half = a == 0 ? 0.5 : abs(a) * 0.1
            (a, b) = (a - half, b + half)
        }
        guard let s = step(span: b - a, target: target) else { return a...b }
        let stepValue = value(1, s)
        let first = (a / stepValue + 1e-9).rounded(.down), last = (b / stepValue - 1e-9).rounded(.up)
        guard first.magnitude < 1e15, last.magnitude < 1e15 else { return a...b }
        return value(Int(first), s)...value(Int(last), s)
    }

    /// A tick label for a multiple of a step of order 10^exponent: fixed-point
    /// with as many decimals as the step needs; for very large or very small
    /// steps, exponent notation with the significant digits down to the step
    /// (so 1.000001 and 1.000002 stay distinct).
    public static func format(_ v: Double, exponent: Int) -> String {
        guard exponent > 5 || exponent < -5 else { return String(format: "%.*f", max(0, -exponent), v) }
        let magnitude = v == 0 ? exponent : Int(log10(abs(v)).rounded(.down))
        return String(format: "%.*g", min(17, max(1, magnitude - exponent + 1)), v)
    }
}
