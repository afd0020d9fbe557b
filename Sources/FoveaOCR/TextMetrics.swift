// Character error rate as the OCR figures count it: Levenshtein edits over
// the ground truth's characters, spaces included, after the ByMerge folding
// (the merged letters c i j k l m o p s u v w x y z compared in upper case)
// and with runs of spaces collapsed and the ends trimmed.
import Foundation

public enum TextMetrics {
    static let merged = Set("cijklmopsuvwxyz")

    /// The text as it is compared: merged letters upper-cased, spaces collapsed.
    public static func canonical(_ text: String) -> [Character] {
        var out = [Character]()
        for ch in text {
            if ch.isWhitespace {
                if let last = out.last, last != " " { out.append(" ") }
                continue
            }
            out.append(merged.contains(ch) ? Character(ch.uppercased()) : ch)
        }
        if out.last == " " { out.removeLast() }
        return out
    }

    /// Edit distance (insertions, deletions, substitutions, each 1).
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// Edits and ground-truth characters summed over pairs (truth, read):
    /// CER = edits / characters.
    public static func errors(truth: String, read: String) -> (edits: Int, characters: Int) {
        let t = canonical(truth)
        return (editDistance(t, canonical(read)), t.count)
    }
}
