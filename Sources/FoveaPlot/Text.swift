// Text: drawing and measuring strings with `BitmapFont` on a `Canvas`,
// horizontally or rotated 90° counter-clockwise (for y-axis titles).

public enum TextOrientation: Sendable {
    case horizontal
    /// Rotated 90° counter-clockwise: reads bottom to top, glyph tops face left.
    case vertical
}

public enum HorizontalAlignment: Sendable {
    case left, center, right
}

public enum VerticalAlignment: Sendable {
    case top, middle, bottom
}

extension Canvas {
    /// On-screen size of `text`; vertical text swaps width and height.
    public static func measureText(_ text: String, scale: Int = 1,
                                   orientation: TextOrientation = .horizontal) -> (width: Int, height: Int) {
        let (w, h) = BitmapFont.measure(text, scale: clampScale(scale))
        return orientation == .horizontal ? (w, h) : (h, w)
    }

    /// Draws `text` so that its on-screen bounding box is aligned on (x, y):
    /// `align` picks which edge (or the centre) of the box sits at x,
    /// `verticalAlign` the same for y. Returns the box.
    @discardableResult
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGB = .black,
                                  orientation: TextOrientation = .horizontal,
                                  align: HorizontalAlignment = .left,
                                  verticalAlign: VerticalAlignment = .top) -> PixelRect {
        let s = Canvas.clampScale(scale)
        let (bw, bh) = Canvas.measureText(text, scale: s, orientation: orientation)
        let bx: Int = switch align {
        case .left: x
        case .center: x - bw / 2
        case .right: x - bw
        }
        let by: Int = switch verticalAlign {
        case .top: y
        case .middle: y - bh / 2
        case .bottom: y - bh
        }
        let box = PixelRect(x: bx, y: by, width: bw, height: bh)
        guard !box.intersection(clip).isEmpty else { return box }
        // Length of the text along its reading direction, in font units.
        let lengthUnits = (orientation == .horizontal ? bw : bh) / s
        for (i, ch) in text.enumerated() {
            let glyph = BitmapFont.glyph(for: ch)
            for row in 0..<glyph.rows.count where glyph.rows[row] != 0 {
                for col in 0..<BitmapFont.glyphWidth where glyph.isInk(column: col, row: row) {
                    let u = i * BitmapFont.advance + col
                    let cell = orientation == .horizontal
                        ? PixelRect(x: bx + u * s, y: by + row * s, width: s, height: s)
                        : PixelRect(x: bx + row * s, y: by + (lengthUnits - 1 - u) * s, width: s, height: s)
                    fillRect(cell, color)
                }
            }
        }
        return box
    }

    static func clampScale(_ scale: Int) -> Int { max(1, min(scale, 64)) }
}
