// ConfusionMatrix: counts of (true class, predicted class) pairs, and the
// figures read from it: accuracy, per-class accuracy, most confused pairs.

public struct ConfusionMatrix: Sendable, Equatable {
    public let classes: Int
    /// Row = true class, column = predicted class, row-major.
    public private(set) var counts: [Int]

    public init(classes: Int) {
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    public init(classes: Int, truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count, "\(truth.count) labels but \(predicted.count) predictions")
        self.init(classes: classes)
        for (t, p) in zip(truth, predicted) { add(truth: t, predicted: p) }
    }

    public mutating func add(truth: Int, predicted: Int) {
        precondition(truth >= 0 && truth < classes && predicted >= 0 && predicted < classes,
                     "class index outside 0..<\(classes): truth \(truth), predicted \(predicted)")
        counts[truth * classes + predicted] += 1
    }

    public subscript(truth: Int, predicted: Int) -> Int { counts[truth * classes + predicted] }

    public var total: Int { counts.reduce(0, +) }

    public var correct: Int { (0..<classes).reduce(0) { $0 + self[$1, $1] } }

    /// Fraction right, 0 when empty.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Samples of class `c` in the truth.
    public func support(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + self[c, $1] } }

    /// Recall of class `c`; nil when the class has no samples.
    public func accuracy(ofClass c: Int) -> Double? {
        let n = support(c)
        return n == 0 ? nil : Double(self[c, c]) / Double(n)
    }

    /// Off-diagonal cells with the largest counts, largest first (ties: lower
    /// true class, then lower predicted class, first).
    public func mostConfused(_ limit: Int) -> [(truth: Int, predicted: Int, count: Int)] {
        var cells = [(truth: Int, predicted: Int, count: Int)]()
        for t in 0..<classes {
            for p in 0..<classes where p != t && self[t, p] > 0 { cells.append((t, p, self[t, p])) }
        }
        cells.sort { a, b in
            a.count != b.count ? a.count > b.count : (a.truth != b.truth ? a.truth < b.truth : a.predicted < b.predicted)
        }
        return Array(cells.prefix(limit))
    }
}
