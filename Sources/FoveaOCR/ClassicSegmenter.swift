// ClassicSegmenter: the classical baseline and fallback for finding
// characters: Otsu threshold, 8-connected components, merging pieces of one
// broken character (overlapping columns), and splitting touching characters
// at the weakest column of their vertical projection.
import FoveaDetection
import Foundation

public struct ClassicSegmenter: Sendable {
    public init() {}

    struct Component {
        var x0: Int, y0: Int, x1: Int, y1: Int, area: Int
        var width: Int { x1 - x0 + 1 }
        var height: Int { y1 - y0 + 1 }
    }

    /// Character boxes (image pixels), each scored 1.
    public func segment(_ input: LineInput) -> [(box: Box, score: Double)] {
        guard input.hasInk else { return [] }
        let plane = input.plane
        let (w, h) = (plane.width, plane.height)
        let t = max(plane.otsuThreshold(), 0.25)
        var ink = plane.values.map { $0 > t }
        var components = [Component]()
        var stack = [Int]()
        for start in 0..<(w * h) where ink[start] {
            ink[start] = false
            stack.append(start)
            var c = Component(x0: w, y0: h, x1: -1, y1: -1, area: 0)
            while let i = stack.popLast() {
                let x = i % w, y = i / w
                c.x0 = min(c.x0, x); c.x1 = max(c.x1, x); c.y0 = min(c.y0, y); c.y1 = max(c.y1, y); c.area += 1
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < w, ny < h else { continue }
                        let j = ny * w + nx
                        if ink[j] { ink[j] = false; stack.append(j) }
                    }
                }
            }
            components.append(c)
        }
        guard let tallest = components.map(\.height).max() else { return [] }
        // Specks: far smaller than the largest strokes.
        let minArea = max(3, Int(Double(tallest * tallest) * 0.01))
        components = components.filter { $0.area >= minArea && $0.height >= max(2, tallest / 6) }
            .sorted { $0.x0 < $1.x0 }
        // Merge pieces whose columns mostly overlap.
        var merged = [Component]()
        for c in components {
            if var last = merged.last {
                let overlap = min(last.x1, c.x1) - max(last.x0, c.x0) + 1
                if Double(overlap) >= 0.5 * Double(min(last.width, c.width)) {
                    last.x0 = min(last.x0, c.x0); last.x1 = max(last.x1, c.x1)
                    last.y0 = min(last.y0, c.y0); last.y1 = max(last.y1, c.y1); last.area += c.area
                    merged[merged.count - 1] = last
                    continue
                }
            }
            merged.append(c)
        }
        guard !merged.isEmpty else { return [] }
        let heights = merged.map(\.height).sorted()
        let typical = Double(heights[heights.count / 2])
        var boxes = [Box]()
        for c in merged {
            let pieces = Double(c.width) > 1.25 * typical ? max(2, Int((Double(c.width) / (0.85 * typical)).rounded())) : 1
            for (x0, x1) in split(c, into: pieces, plane: plane, threshold: t) {
                boxes.append(tighten(Box(x1: Double(x0), y1: Double(c.y0), x2: Double(x1 + 1), y2: Double(c.y1 + 1)),
                                     plane: plane, threshold: t))
            }
        }
        return boxes.filter { $0.width > 0 && $0.height > 0 }.map { ($0, 1.0) }
    }

    /// Column ranges of `pieces` parts of a component, cut at the columns
    /// with the least ink near each even division.
    private func split(_ c: Component, into pieces: Int, plane: Plane, threshold t: Float) -> [(Int, Int)] {
        guard pieces > 1 else { return [(c.x0, c.x1)] }
        var profile = [Int](repeating: 0, count: c.width)
        for y in c.y0...c.y1 {
            for x in c.x0...c.x1 where plane.values[y * plane.width + x] > t { profile[x - c.x0] += 1 }
        }
        var cuts = [Int]()
        let step = Double(c.width) / Double(pieces)
        for k in 1..<pieces {
            let centre = Int(step * Double(k))
            let radius = max(1, Int(step * 0.3))
            let range = max(1, centre - radius)...min(c.width - 2, centre + radius)
            guard !range.isEmpty else { continue }
            cuts.append(range.min { profile[$0] < profile[$1] }! + c.x0)
        }
        var ranges = [(Int, Int)]()
        var start = c.x0
        for cut in cuts where cut > start {
            ranges.append((start, cut - 1))
            start = cut
        }
        ranges.append((start, c.x1))
        return ranges
    }

    /// Shrinks a box to the rows holding ink within its columns.
    private func tighten(_ box: Box, plane: Plane, threshold t: Float) -> Box {
        var y0 = Int(box.y2), y1 = Int(box.y1) - 1
        for y in Int(box.y1)..<Int(box.y2) {
            for x in Int(box.x1)..<Int(box.x2) where plane.values[y * plane.width + x] > t {
                y0 = min(y0, y); y1 = max(y1, y)
                break
            }
        }
        guard y1 >= y0 else { return box }
        return Box(x1: box.x1, y1: Double(y0), x2: box.x2, y2: Double(y1 + 1))
    }
}
