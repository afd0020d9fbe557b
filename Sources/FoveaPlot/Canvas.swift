// Canvas: an RGB raster to draw charts on, with the drawing primitives
// (pixels, rectangles, lines, polylines, circles, markers, scaled image blits).
// Every primitive clips to `clip` and silently skips NaN or infinite
// coordinates, because chart data routinely contains both.

import FoveaImage

public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// width * height * 3 bytes, RGB interleaved, top row first.
    public private(set) var pixels: [UInt8]
    /// Drawing outside this rectangle (or outside the canvas) is discarded.
    public var clip: PixelRect {
        didSet { clip = clip.intersection(bounds) }
    }

    /// Largest width or height a canvas takes; bigger requests are cut to it.
    public static let maxSide = 16384

    /// A canvas filled with `background`. Negative sizes give an empty canvas
    /// and sides are capped at `maxSide`, so no size can exhaust memory or overflow.
    public init(width: Int, height: Int, background: RGB = .white) {
        let w = min(max(0, width), Canvas.maxSide), h = min(max(0, height), Canvas.maxSide)
        self.width = w
        self.height = h
        self.clip = PixelRect(x: 0, y: 0, width: w, height: h)
        if background.r == background.g && background.g == background.b {
            pixels = [UInt8](repeating: background.r, count: w * h * 3)
        } else {
            pixels = [UInt8](repeating: 0, count: w * h * 3)
            fillRect(bounds, background)
        }
    }

    /// A canvas holding a copy of `image` converted to RGB (gray replicated,
    /// alpha composited over black), so overlays such as boxes can be drawn on
    /// a photo. Images wider or taller than `maxSide` are squeezed to fit.
    public init(image: Image) {
        self.init(width: image.width, height: image.height, background: .black)
        blit(image, into: bounds)
    }

    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    /// The drawing as a 3-channel `Image`, ready for FoveaImage's encoders.
    public var image: Image {
        Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// The colour at (x, y), or nil outside the canvas.
    public func pixel(x: Int, y: Int) -> RGB? {
        guard bounds.contains(x: x, y: y) else { return nil }
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    public mutating func setPixel(x: Int, y: Int, _ color: RGB) {
        guard clip.contains(x: x, y: y) else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }

    /// Runs `body` with drawing restricted to `rect` (within the current clip).
    public mutating func withClip(_ rect: PixelRect, _ body: (inout Canvas) -> Void) {
        let saved = clip
        clip = saved.intersection(rect)
        body(&self)
        clip = saved
    }

    // MARK: Rectangles

    public mutating func fillRect(_ rect: PixelRect, _ color: RGB) {
        let r = rect.intersection(clip)
        guard !r.isEmpty else { return }
        let w = width
        pixels.withUnsafeMutableBufferPointer { buf in
            for y in r.y..<r.maxY {
                var i = (y * w + r.x) * 3
                for _ in 0..<r.width {
                    buf[i] = color.r
                    buf[i + 1] = color.g
                    buf[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// An outline drawn inside `rect`, `thickness` pixels wide.
    public mutating func strokeRect(_ rect: PixelRect, _ color: RGB, thickness: Int = 1) {
        guard !rect.isEmpty else { return }
        let t = max(1, min(thickness, rect.width, rect.height))
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), color)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), color)
        fillRect(PixelRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height), color)
    }

    // MARK: Lines

    /// A straight line; thickness 1 is a Bresenham line, thicker lines stamp a
    /// round pen of that diameter along it (so joints of polylines stay closed).
    /// With `dash`, the pen is down for `on` steps and up for `off` steps.
    public mutating func drawLine(from a: Point, to b: Point, _ color: RGB, thickness: Int = 1, dash: Dash? = nil) {
        var phase = 0
        stroke(from: a, to: b, color, thickness: thickness, dash: dash, phase: &phase)
    }

    /// Connected segments through `points`; a non-finite point leaves a gap.
    /// A dash pattern runs on across vertices rather than restarting.
    public mutating func drawPolyline(_ points: [Point], _ color: RGB, thickness: Int = 1, dash: Dash? = nil) {
        var phase = 0
        guard points.count > 1 else {
            if let p = points.first { stroke(from: p, to: p, color, thickness: thickness, dash: nil, phase: &phase) }
            return
        }
        for i in 1..<points.count where points[i - 1].isFinite && points[i].isFinite {
            stroke(from: points[i - 1], to: points[i], color, thickness: thickness, dash: dash, phase: &phase)
        }
    }

    private mutating func stroke(from a: Point, to b: Point, _ color: RGB, thickness: Int, dash: Dash?,
                                 phase: inout Int) {
        let t = max(1, min(thickness, 64))
        let margin = Double(t + 1)
        let box = (x0: Double(clip.x) - margin, y0: Double(clip.y) - margin,
                   x1: Double(clip.maxX) + margin, y1: Double(clip.maxY) + margin)
        guard !clip.isEmpty, let (p, q) = Canvas.clipSegment(a, b, to: box) else { return }
        let pen = Canvas.pen(diameter: t)
        let period = dash.map { max(1, $0.on) + max(0, $0.off) } ?? 1
        let on = dash.map { max(1, $0.on) } ?? 1
        var x = Int(p.x.rounded()), y = Int(p.y.rounded())
        let x1 = Int(q.x.rounded()), y1 = Int(q.y.rounded())
        let dx = abs(x1 - x), dy = -abs(y1 - y)
        let sx = x < x1 ? 1 : -1, sy = y < y1 ? 1 : -1
        var err = dx + dy
        while true {
            if phase % period < on {
                for o in pen { setPixel(x: x + o.dx, y: y + o.dy, color) }
            }
            if x == x1 && y == y1 { break }
            phase += 1
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Pixel offsets covered by a round pen whose diameter is `d` pixels.
    /// Even diameters are centred half a pixel up-left so that width stays exact.
    static func pen(diameter d: Int) -> [(dx: Int, dy: Int)] {
        if d == 1 { return [(0, 0)] }
        let c = d % 2 == 1 ? 0.0 : -0.5
        let r2 = Double(d * d) / 4 + 1e-9
        var out: [(dx: Int, dy: Int)] = []
        for dy in -(d / 2)...((d - 1) / 2) {
            for dx in -(d / 2)...((d - 1) / 2) {
                let fx = Double(dx) - c, fy = Double(dy) - c
                if fx * fx + fy * fy <= r2 { out.append((dx, dy)) }
            }
        }
        return out
    }

    /// Liang–Barsky clipping of segment a–b to a box; nil when nothing is left.
    /// Done in floating point before any Int conversion, so 1e300 cannot trap.
    /// A clipped end is placed on the box edge it crossed (rather than at
    /// a + t·(b − a)), which stays exact even when the segment is astronomically
    /// longer than the box.
    static func clipSegment(_ a: Point, _ b: Point,
                            to box: (x0: Double, y0: Double, x1: Double, y1: Double)) -> (Point, Point)? {
        guard a.isFinite, b.isFinite else { return nil }
        let dx = b.x - a.x, dy = b.y - a.y
        guard dx.isFinite, dy.isFinite else { return nil }
        // Each check: p·t ≤ q, and the edge it stands for (vertical edge at x, or horizontal at y).
        let checks: [(p: Double, q: Double, edgeX: Double?, edgeY: Double?)] = [
            (-dx, a.x - box.x0, box.x0, nil), (dx, box.x1 - a.x, box.x1, nil),
            (-dy, a.y - box.y0, nil, box.y0), (dy, box.y1 - a.y, nil, box.y1),
        ]
        var t0 = 0.0, t1 = 1.0
        var enter: (x: Double?, y: Double?) = (nil, nil), exit: (x: Double?, y: Double?) = (nil, nil)
        for c in checks {
            if c.p == 0 {
                if c.q < 0 { return nil }
            } else {
                let r = c.q / c.p
                if c.p < 0, r > t0 { (t0, enter) = (r, (c.edgeX, c.edgeY)) }
                if c.p > 0, r < t1 { (t1, exit) = (r, (c.edgeX, c.edgeY)) }
                if t0 > t1 { return nil }
            }
        }
        func onEdge(_ edge: (x: Double?, y: Double?), _ t: Double) -> Point {
            if let x = edge.x { return Point(x: x, y: dy == 0 ? a.y : a.y + (x - a.x) * (dy / dx)) }
            if let y = edge.y { return Point(x: dx == 0 ? a.x : a.x + (y - a.y) * (dx / dy), y: y) }
            return Point(x: a.x + t * dx, y: a.y + t * dy)
        }
        let p = t0 == 0 ? a : onEdge(enter, t0), q = t1 == 1 ? b : onEdge(exit, t1)
        guard p.isFinite, q.isFinite else { return nil }
        // Rounding in the edge formulas must not push an end far outside the box.
        func clamp(_ v: Point) -> Point {
            Point(x: min(max(v.x, box.x0), box.x1), y: min(max(v.y, box.y0), box.y1))
        }
        return (clamp(p), clamp(q))
    }

    // MARK: Circles and markers

    /// Every pixel whose centre lies within `radius` of `center`.
    public mutating func fillCircle(center: Point, radius: Double, _ color: RGB) {
        fillShape(center: center, extent: radius, color) { dx, dy in dx * dx + dy * dy <= radius * radius + 1e-9 }
    }

    /// A one-pixel ring: pixels whose centre lies within half a pixel of the circle.
    public mutating func strokeCircle(center: Point, radius: Double, _ color: RGB) {
        fillShape(center: center, extent: radius + 1, color) { dx, dy in
            abs((dx * dx + dy * dy).squareRoot() - radius) <= 0.5
        }
    }

    /// A data-point marker about `size` pixels across, centred on `at`.
    public mutating func drawMarker(_ marker: Marker, at p: Point, size: Int, _ color: RGB) {
        let r = Double(max(1, size)) / 2
        switch marker {
        case .circle:
            fillCircle(center: p, radius: r, color)
        case .square:
            fillShape(center: p, extent: r, color) { dx, dy in abs(dx) <= r && abs(dy) <= r }
        case .diamond:
            fillShape(center: p, extent: r, color) { dx, dy in abs(dx) + abs(dy) <= r }
        case .triangle:
            // Apex up; the base spans the full width at dy = r/2... r.
            fillShape(center: p, extent: r, color) { dx, dy in
                dy <= r * 0.75 && dy >= -r && abs(dx) <= (dy + r) * 0.577 + 0.5
            }
        case .plus:
            fillShape(center: p, extent: r, color) { dx, dy in
                (abs(dx) <= 0.5 && abs(dy) <= r) || (abs(dy) <= 0.5 && abs(dx) <= r)
            }
        case .cross:
            fillShape(center: p, extent: r, color) { dx, dy in
                abs(abs(dx) - abs(dy)) <= 0.71 && abs(dx) <= r
            }
        }
    }

    private mutating func fillShape(center: Point, extent: Double, _ color: RGB,
                                    _ inside: (Double, Double) -> Bool) {
        guard center.isFinite, extent.isFinite, extent >= 0, !clip.isEmpty else { return }
        let lo = (x: center.x - extent, y: center.y - extent), hi = (x: center.x + extent, y: center.y + extent)
        guard hi.x >= Double(clip.x) - 1, lo.x <= Double(clip.maxX),
              hi.y >= Double(clip.y) - 1, lo.y <= Double(clip.maxY) else { return }
        let x0 = max(clip.x, Int(lo.x.rounded(.down))), x1 = min(clip.maxX - 1, Int(hi.x.rounded(.up)))
        let y0 = max(clip.y, Int(lo.y.rounded(.down))), y1 = min(clip.maxY - 1, Int(hi.y.rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 where inside(Double(x) - center.x, Double(y) - center.y) {
                setPixel(x: x, y: y, color)
            }
        }
    }

    // MARK: Images

    /// Draws `image` scaled with nearest neighbour to fill `rect`. Gray images
    /// are replicated to RGB; alpha channels blend over what is already there.
    public mutating func blit(_ image: Image, into rect: PixelRect) {
        let target = rect.intersection(clip)
        guard !target.isEmpty, image.width > 0, image.height > 0 else { return }
        let iw = image.width, ih = image.height, ch = image.channels
        let sx = (target.x..<target.maxX).map { tx in
            min(iw - 1, Int((Double(tx) - Double(rect.x) + 0.5) * Double(iw) / Double(rect.width)))
        }
        let w = width
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for ty in target.y..<target.maxY {
                    let sy = Int((Double(ty) - Double(rect.y) + 0.5) * Double(ih) / Double(rect.height))
                    let syRow = min(ih - 1, sy) * iw
                    var d = (ty * w + target.x) * 3
                    for sxv in sx {
                        let s = (syRow + sxv) * ch
                        let (r, g, b): (UInt8, UInt8, UInt8) = ch < 3
                            ? (src[s], src[s], src[s]) : (src[s], src[s + 1], src[s + 2])
                        if ch == 2 || ch == 4 {
                            let a = UInt16(src[s + ch - 1])
                            func over(_ fg: UInt8, _ bg: UInt8) -> UInt8 {
                                UInt8((UInt16(fg) * a + UInt16(bg) * (255 - a) + 127) / 255)
                            }
                            dst[d] = over(r, dst[d])
                            dst[d + 1] = over(g, dst[d + 1])
                            dst[d + 2] = over(b, dst[d + 2])
                        } else {
                            dst[d] = r
                            dst[d + 1] = g
                            dst[d + 2] = b
                        }
                        d += 3
                    }
                }
            }
        }
    }
}

/// A dash pattern in pen steps (one step = one pixel along the line's major axis).
public struct Dash: Sendable, Equatable {
    public var on: Int
    public var off: Int

    public init(on: Int, off: Int) {
        self.on = on
        self.off = off
    }
}

/// Shapes for data-point markers.
public enum Marker: Sendable, CaseIterable {
    case circle, square, diamond, triangle, plus, cross
}
