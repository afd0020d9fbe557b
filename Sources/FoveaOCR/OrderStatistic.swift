// The k-th smallest of a list without sorting it: the line normaliser's
// percentiles (median per band, 20th and 99th of the line) were full sorts,
// a fifth of the OCR pipeline's time. Quickselect gives exactly sorted()[k].

extension Array where Element == Float {
    /// The value `sorted()[k]` would hold, in expected linear time; reorders the array.
    mutating func selectKthSmallest(_ k: Int) -> Float {
        precondition(k >= 0 && k < count, "k \(k) outside 0..<\(count)")
        return withUnsafeMutableBufferPointer { a in
            var lo = 0, hi = a.count - 1
            while lo < hi {
                // Median of three as the pivot, then Hoare's partition.
                let mid = lo + (hi - lo) / 2
                if a[mid] < a[lo] { a.swapAt(mid, lo) }
                if a[hi] < a[lo] { a.swapAt(hi, lo) }
                if a[hi] < a[mid] { a.swapAt(hi, mid) }
                let pivot = a[mid]
                var i = lo, j = hi
                while i <= j {
                    while a[i] < pivot { i += 1 }
                    while pivot < a[j] { j -= 1 }
                    if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
                }
                // Now a[lo...j] <= pivot <= a[i...hi], and a[j+1..<i] == pivot.
                if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
            }
            return a[k]
        }
    }

    /// `sorted()[k]` without changing the array.
    func kthSmallest(_ k: Int) -> Float {
        var copy = self
        return copy.selectKthSmallest(k)
    }
}
