// Geometry: the two coordinate types of FoveaPlot — `Point` (continuous, in
// pixels, may be NaN or infinite when it comes from data) and `PixelRect`
// (integer pixel rectangles for layout and clipping).

/// A position in canvas pixels; (0, 0) is the centre of the top-left pixel.
public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public var isFinite: Bool { x.isFinite && y.isFinite }
}

/// An axis-aligned rectangle of whole pixels: columns x..<x+width, rows y..<y+height.
public struct PixelRect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }
    /// One past the last column (saturating, so huge rectangles never overflow).
    public var maxX: Int { x.addingReportingOverflow(width).overflow ? Int.max : x + width }
    /// One past the last row.
    public var maxY: Int { y.addingReportingOverflow(height).overflow ? Int.max : y + height }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public func intersection(_ other: PixelRect) -> PixelRect {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    /// The rectangle shrunk by the given margins (never below zero size).
    public func inset(left: Int = 0, top: Int = 0, right: Int = 0, bottom: Int = 0) -> PixelRect {
        PixelRect(x: x + left, y: y + top,
                  width: max(0, width - left - right), height: max(0, height - top - bottom))
    }
}
