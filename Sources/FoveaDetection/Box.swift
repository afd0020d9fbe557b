// Axis-aligned boxes: corner, COCO and centre forms, area, clipping, scaling,
// IoU of a pair, IoU matrices and GIoU. Double throughout so evaluation agrees
// with float64 references bit for bit where the inputs are exact.

/// An axis-aligned box in corner form, continuous pixel coordinates with no +1:
/// it spans x1..x2 and y1..y2.
public struct Box: Hashable, Sendable, CustomStringConvertible {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2
    }

    /// From COCO form `[x, y, width, height]`.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.init(x1: x, y1: y, x2: x + width, y2: y + height)
    }

    /// From centre form `(cx, cy, width, height)`.
    public init(centerX: Double, centerY: Double, width: Double, height: Double) {
        self.init(x1: centerX - width / 2, y1: centerY - height / 2,
                  x2: centerX + width / 2, y2: centerY + height / 2)
    }

    public var width: Double { x2 - x1 }
    public var height: Double { y2 - y1 }
    public var centerX: Double { (x1 + x2) / 2 }
    public var centerY: Double { (y1 + y2) / 2 }

    /// `[x1, y1, x2, y2]`.
    public var corners: [Double] { [x1, y1, x2, y2] }
    /// `[x, y, width, height]` as COCO stores boxes.
    public var coco: [Double] { [x1, y1, width, height] }
    /// `[cx, cy, width, height]`.
    public var center: [Double] { [centerX, centerY, width, height] }

    /// Width times height; zero for a box with no extent in either direction,
    /// and zero rather than negative for an inverted box.
    public var area: Double { max(0, width) * max(0, height) }

    /// The part of the box inside an image of the given size (coordinates 0...width, 0...height).
    public func clipped(width imageWidth: Double, height imageHeight: Double) -> Box {
        Box(x1: min(max(x1, 0), imageWidth), y1: min(max(y1, 0), imageHeight),
            x2: min(max(x2, 0), imageWidth), y2: min(max(y2, 0), imageHeight))
    }

    /// The box in an image resized by `sx` horizontally and `sy` vertically.
    public func scaled(x sx: Double, y sy: Double) -> Box {
        Box(x1: x1 * sx, y1: y1 * sy, x2: x2 * sx, y2: y2 * sy)
    }

    /// Intersection over union as pycocotools and torchvision compute it: no +1,
    /// and 0 whenever the overlap has no width or no height, so a zero-area box
    /// has IoU 0 with everything, itself included.
    @inlinable
    public func iou(_ other: Box) -> Double {
        let iw = min(x2, other.x2) - max(x1, other.x1)
        let ih = min(y2, other.y2) - max(y1, other.y1)
        if iw <= 0 || ih <= 0 { return 0 }
        let inter = iw * ih
        return inter / ((x2 - x1) * (y2 - y1) + (other.x2 - other.x1) * (other.y2 - other.y1) - inter)
    }

    /// Generalized IoU (Rezatofighi et al. 2019): IoU minus the fraction of the
    /// smallest enclosing box not covered by the union. In [-1, 1]; unlike IoU it
    /// still ranks disjoint boxes by how far apart they are.
    public func giou(_ other: Box) -> Double {
        let iw = max(0, min(x2, other.x2) - max(x1, other.x1))
        let ih = max(0, min(y2, other.y2) - max(y1, other.y1))
        let inter = iw * ih
        let union = area + other.area - inter
        let hull = (max(x2, other.x2) - min(x1, other.x1)) * (max(y2, other.y2) - min(y1, other.y1))
        // Degenerate boxes (a point on a point) have no union and no hull: treat as no overlap.
        guard hull > 0 else { return 0 }
        let iou = union > 0 ? inter / union : 0
        return iou - (hull - union) / hull
    }

    public var description: String { "Box(\(x1), \(y1), \(x2), \(y2))" }
}

/// The IoU of every box in `a` with every box in `b`, row-major `a.count × b.count`.
public func iouMatrix(_ a: [Box], _ b: [Box]) -> [Double] {
    var out = [Double](repeating: 0, count: a.count * b.count)
    out.withUnsafeMutableBufferPointer { m in
        for i in a.indices {
            let row = i * b.count
            for j in b.indices { m[row + j] = a[i].iou(b[j]) }
        }
    }
    return out
}
