// LineChart: x–y line plots with nice ticks, grid, several coloured series,
// optional markers and a legend — training curves, precision–recall curves.

public struct Series: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// nil takes the palette colour of the series' position in the chart.
    public var color: RGB?
    /// Line width in pixels at text scale 1 (it grows with the chart's text scale).
    public var lineWidth: Int
    public var marker: Marker?
    /// nil: solid, except that palette-coloured series beyond the first ten
    /// turn dashed (then dotted) so that series sharing a colour stay apart.
    public var style: LineStyle?

    /// Points are (x[i], y[i]); extra values in the longer array are ignored,
    /// and a point with a NaN or infinite coordinate breaks the line.
    public init(name: String, x: [Double], y: [Double], color: RGB? = nil,
                lineWidth: Int = 2, marker: Marker? = nil, style: LineStyle? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.lineWidth = lineWidth
        self.marker = marker
        self.style = style
    }

    /// Values against 1, 2, 3, … (epochs, iterations).
    public init(name: String, y: [Double], color: RGB? = nil, lineWidth: Int = 2,
                marker: Marker? = nil, style: LineStyle? = nil) {
        self.init(name: name, x: y.indices.map { Double($0 + 1) }, y: y, color: color,
                  lineWidth: lineWidth, marker: marker, style: style)
    }

    var points: [(x: Double, y: Double)] { zip(x, y).map { ($0, $1) } }
}

public enum LineStyle: Sendable, CaseIterable {
    case solid, dashed, dotted

    /// The dash pattern for a pen `width` pixels wide.
    func dash(width: Int) -> Dash? {
        switch self {
        case .solid: nil
        case .dashed: Dash(on: 4 * width + 2, off: 2 * width + 2)
        case .dotted: Dash(on: 1, off: 2 * width + 1)
        }
    }
}

public enum LegendPosition: Sendable, CaseIterable {
    case none, topLeft, topRight, bottomLeft, bottomRight
    /// The inside corner covering the fewest data (tried top right, top left,
    /// bottom left, bottom right).
    case best
    /// A column right of the plot area, for long lists of series.
    case outsideRight
}

public struct LineChart: Chart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed axis ranges (e.g. 0...1 for precision and recall); nil fits the data
    /// and widens to the nearest nice ticks.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var showGrid: Bool
    public var legend: LegendPosition
    /// Integer glyph scale for labels (the title uses one more); nil picks by size.
    public var textScale: Int?

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series] = [],
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                showGrid: Bool = true, legend: LegendPosition = .best, textScale: Int? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xRange = xRange
        self.yRange = yRange
        self.showGrid = showGrid
        self.legend = legend
        self.textScale = textScale
    }

    public mutating func add(_ s: Series) { series.append(s) }

    /// Where everything goes for a given target rectangle.
    public struct Layout: Sendable {
        /// The framed data area; its first column is x = xRange.lowerBound and
        /// its last row is y = yRange.lowerBound.
        public let plotArea: PixelRect
        public let xRange: ClosedRange<Double>
        public let yRange: ClosedRange<Double>
        public let xTicks: AxisTicks
        public let yTicks: AxisTicks
        public let textScale: Int
        /// Where the legend goes; nil when there is none.
        public let legendBox: PixelRect?

        /// Pixel position of a data point (may lie outside the plot area).
        public func point(x: Double, y: Double) -> Point {
            let fx = (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
            let fy = (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
            return Point(x: Double(plotArea.x) + fx * Double(plotArea.width - 1),
                         y: Double(plotArea.maxY - 1) - fy * Double(plotArea.height - 1))
        }
    }

    /// Position of series `index` among those without an explicit colour:
    /// the palette is handed out in that order.
    func paletteIndex(_ index: Int) -> Int { series[..<index].filter { $0.color == nil }.count }

    func color(of index: Int) -> RGB { series[index].color ?? Palette.color(paletteIndex(index)) }

    func style(of index: Int) -> LineStyle {
        if let s = series[index].style { return s }
        guard series[index].color == nil else { return .solid }
        return LineStyle.allCases[(paletteIndex(index) / Palette.qualitative.count) % LineStyle.allCases.count]
    }

    /// Axis range: the fixed one if valid, else the finite data widened to nice ticks.
    static func range(fixed: ClosedRange<Double>?, data: [Double]) -> ClosedRange<Double> {
        if let f = fixed, f.lowerBound.isFinite, f.upperBound.isFinite, f.upperBound > f.lowerBound { return f }
        let finite = data.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        return NiceTicks.niceRange(lo, hi)
    }

    public func layout(in rect: PixelRect) -> Layout {
        let s = max(1, textScale ?? autoTextScale(rect))
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xr = LineChart.range(fixed: xRange, data: finite.map(\.x))
        let yr = LineChart.range(fixed: yRange, data: finite.map(\.y))
        let xt = NiceTicks.ticks(from: xr.lowerBound, to: xr.upperBound)
        let yt = NiceTicks.ticks(from: yr.lowerBound, to: yr.upperBound)
        let pad = 6 * s, tick = 4 * s, lineH = BitmapFont.glyphHeight * s
        let yLabelW = yt.labels.map { Canvas.measureText($0, scale: s).width }.max() ?? 0
        let lastXLabelW = xt.labels.last.map { Canvas.measureText($0, scale: s).width } ?? 0
        let top = title.isEmpty ? 2 * pad : 2 * pad + BitmapFont.glyphHeight * (s + 1) + pad
        let left = pad + (yLabel.isEmpty ? 0 : lineH + pad) + yLabelW + tick + pad / 2
        let bottom = tick + pad / 2 + lineH + (xLabel.isEmpty ? 0 : pad + lineH) + pad
        var right = max(2 * pad, lastXLabelW / 2 + pad)
        if legend == .outsideRight, let w = legendSize(scale: s)?.width { right += w + pad }
        let plot = rect.inset(left: left, top: top, right: right, bottom: bottom)
        let partial = Layout(plotArea: plot, xRange: xr, yRange: yr, xTicks: xt, yTicks: yt, textScale: s,
                             legendBox: nil)
        return Layout(plotArea: plot, xRange: xr, yRange: yr, xTicks: xt, yTicks: yt, textScale: s,
                      legendBox: legendBox(partial))
    }

    /// The legend rectangle for the chosen (or, for `.best`, the least crowded) place.
    func legendBox(_ L: Layout) -> PixelRect? {
        guard let (w, h) = legendSize(scale: L.textScale) else { return nil }
        let plot = L.plotArea, m = 6 * L.textScale
        func box(_ p: LegendPosition) -> PixelRect {
            switch p {
            case .topLeft, .none: PixelRect(x: plot.x + m, y: plot.y + m, width: w, height: h)
            case .topRight, .best: PixelRect(x: plot.maxX - m - w, y: plot.y + m, width: w, height: h)
            case .bottomLeft: PixelRect(x: plot.x + m, y: plot.maxY - m - h, width: w, height: h)
            case .bottomRight: PixelRect(x: plot.maxX - m - w, y: plot.maxY - m - h, width: w, height: h)
            case .outsideRight: PixelRect(x: plot.maxX + m, y: plot.y, width: w, height: h)
            }
        }
        guard legend == .best else { return box(legend) }
        let samples = dataSamples(L)
        let candidates: [LegendPosition] = [.topRight, .topLeft, .bottomLeft, .bottomRight]
        let counts = candidates.map { p -> Int in
            let b = box(p).inset(left: -m, top: -m, right: -m, bottom: -m)
            return samples.filter { b.contains(x: $0.x, y: $0.y) }.count
        }
        return box(candidates[counts.firstIndex(of: counts.min()!)!])
    }

    /// Pixels along every drawn line, about 3 px apart, for legend placement.
    func dataSamples(_ L: Layout) -> [(x: Int, y: Int)] {
        var out: [(x: Int, y: Int)] = []
        let area = L.plotArea
        func add(_ p: Point) {
            // Compare as Double first: a far-away point must not reach Int().
            guard p.x >= Double(area.x), p.x < Double(area.maxX), p.y >= Double(area.y), p.y < Double(area.maxY)
            else { return }
            out.append((Int(p.x), Int(p.y)))
        }
        for ser in series {
            let pts = ser.points.map { L.point(x: $0.x, y: $0.y) }
            for (i, p) in pts.enumerated() where p.isFinite {
                add(p)
                guard i + 1 < pts.count, pts[i + 1].isFinite,
                      let (a, b) = Canvas.clipSegment(p, pts[i + 1], to: (Double(area.x), Double(area.y),
                                                                        Double(area.maxX), Double(area.maxY)))
                else { continue }
                let n = Int(min(2000, max(abs(b.x - a.x), abs(b.y - a.y)) / 3))
                for k in 0...n {
                    let t = n == 0 ? 0 : Double(k) / Double(n)
                    add(Point(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y)))
                }
            }
        }
        return out
    }

    public func draw(on canvas: inout Canvas, in rect: PixelRect) {
        let L = layout(in: rect)
        let plot = L.plotArea, s = L.textScale
        let pad = 6 * s, tick = 4 * s, lineH = BitmapFont.glyphHeight * s
        canvas.withClip(rect) { canvas in
            if !title.isEmpty {
                canvas.drawText(title, x: plot.x + plot.width / 2, y: rect.y + pad, scale: s + 1,
                                align: .center)
            }
            guard plot.width > 1, plot.height > 1 else { return }
            let xs = L.xTicks.values.map { L.point(x: $0, y: L.yRange.lowerBound).x.rounded() }
            let ys = L.yTicks.values.map { L.point(x: L.xRange.lowerBound, y: $0).y.rounded() }
            let (left, right) = (Double(plot.x), Double(plot.maxX - 1))
            let (topY, bottomY) = (Double(plot.y), Double(plot.maxY - 1))
            if showGrid {
                for x in xs { canvas.drawLine(from: Point(x: x, y: topY), to: Point(x: x, y: bottomY), .gridGray) }
                for y in ys { canvas.drawLine(from: Point(x: left, y: y), to: Point(x: right, y: y), .gridGray) }
            }
            canvas.strokeRect(plot, .axisGray)
            for (x, label) in zip(xs, L.xTicks.labels) {
                canvas.drawLine(from: Point(x: x, y: bottomY + 1), to: Point(x: x, y: bottomY + Double(tick)),
                                .axisGray, thickness: s)
                canvas.drawText(label, x: Int(x), y: plot.maxY + tick + pad / 2, scale: s, align: .center)
            }
            for (y, label) in zip(ys, L.yTicks.labels) {
                canvas.drawLine(from: Point(x: left - Double(tick), y: y), to: Point(x: left - 1, y: y),
                                .axisGray, thickness: s)
                canvas.drawText(label, x: plot.x - tick - pad / 2, y: Int(y), scale: s,
                                align: .right, verticalAlign: .middle)
            }
            if !xLabel.isEmpty {
                canvas.drawText(xLabel, x: plot.x + plot.width / 2, y: plot.maxY + tick + pad / 2 + lineH + pad,
                                scale: s, align: .center)
            }
            if !yLabel.isEmpty {
                canvas.drawText(yLabel, x: rect.x + pad, y: plot.y + plot.height / 2, scale: s,
                                orientation: .vertical, verticalAlign: .middle)
            }
            canvas.withClip(plot) { canvas in
                for (i, ser) in series.enumerated() {
                    let pts = ser.points.map { L.point(x: $0.x, y: $0.y) }
                    let width = max(1, ser.lineWidth) * s
                    canvas.drawPolyline(pts, color(of: i), thickness: width, dash: style(of: i).dash(width: width))
                    if let m = ser.marker {
                        for p in pts { canvas.drawMarker(m, at: p, size: markerSize(ser, s), color(of: i)) }
                    }
                }
            }
            drawLegend(on: &canvas, L)
        }
    }

    func markerSize(_ ser: Series, _ s: Int) -> Int { (3 + 2 * max(1, ser.lineWidth)) * s }

    var legendEntries: [Int] { series.indices.filter { !series[$0].name.isEmpty } }

    /// Legend box size, nil when there is nothing to show.
    func legendSize(scale s: Int) -> (width: Int, height: Int)? {
        guard legend != .none, !legendEntries.isEmpty else { return nil }
        let nameW = legendEntries.map { Canvas.measureText(series[$0].name, scale: s).width }.max() ?? 0
        let rowH = (BitmapFont.glyphHeight + 4) * s
        return (4 * s + 24 * s + 4 * s + nameW + 4 * s, legendEntries.count * rowH + 4 * s)
    }

    func drawLegend(on canvas: inout Canvas, _ L: Layout) {
        guard let box = L.legendBox else { return }
        let s = L.textScale
        canvas.fillRect(box, .white)
        canvas.strokeRect(box, .gridGray.mixed(with: .black, 0.2))
        let rowH = (BitmapFont.glyphHeight + 4) * s
        for (row, i) in legendEntries.enumerated() {
            let cy = Double(box.y + 2 * s + row * rowH + rowH / 2)
            let x0 = Double(box.x + 4 * s), x1 = Double(box.x + 28 * s)
            let width = max(1, series[i].lineWidth) * s
            canvas.drawLine(from: Point(x: x0, y: cy), to: Point(x: x1, y: cy), color(of: i),
                            thickness: width, dash: style(of: i).dash(width: width))
            if let mk = series[i].marker {
                canvas.drawMarker(mk, at: Point(x: (x0 + x1) / 2, y: cy), size: markerSize(series[i], s), color(of: i))
            }
            canvas.drawText(series[i].name, x: box.x + 32 * s, y: Int(cy), scale: s, verticalAlign: .middle)
        }
    }
}
