// LineChart: x–y line plots with nice ticks, grid, several coloured series,
// optional markers and a legend — training curves, precision–recall curves.

public struct Series: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// nil takes the palette colour of the series' position in the chart.
    public var color: RGB?
    public var lineWidth: Int
    public var marker: Marker?

    /// Points are (x[i], y[i]); extra values in the longer array are ignored,
    /// and a point with a NaN or infinite coordinate breaks the line.
    public init(name: String, x: [Double], y: [Double], color: RGB? = nil,
                lineWidth: Int = 2, marker: Marker? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.lineWidth = lineWidth
        self.marker = marker
    }

    var points: [(x: Double, y: Double)] { zip(x, y).map { ($0, $1) } }
}

public enum LegendPosition: Sendable {
    case none, topLeft, topRight, bottomLeft, bottomRight
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
                showGrid: Bool = true, legend: LegendPosition = .topRight, textScale: Int? = nil) {
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

        /// Pixel position of a data point (may lie outside the plot area).
        public func point(x: Double, y: Double) -> Point {
            let fx = (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
            let fy = (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
            return Point(x: Double(plotArea.x) + fx * Double(plotArea.width - 1),
                         y: Double(plotArea.maxY - 1) - fy * Double(plotArea.height - 1))
        }
    }

    func color(of index: Int) -> RGB { series[index].color ?? Palette.color(index) }

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
        return Layout(plotArea: plot, xRange: xr, yRange: yr, xTicks: xt, yTicks: yt, textScale: s)
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
                    canvas.drawPolyline(pts, color(of: i), thickness: ser.lineWidth * s)
                    if let m = ser.marker {
                        for p in pts { canvas.drawMarker(m, at: p, size: markerSize(ser, s), color(of: i)) }
                    }
                }
            }
            drawLegend(on: &canvas, plot: plot, scale: s)
        }
    }

    func markerSize(_ ser: Series, _ s: Int) -> Int { (3 + 2 * max(1, ser.lineWidth)) * s }

    var legendEntries: [Int] { series.indices.filter { !series[$0].name.isEmpty } }

    /// Legend box size, nil when there is nothing to show.
    func legendSize(scale s: Int) -> (width: Int, height: Int)? {
        guard legend != .none, !legendEntries.isEmpty else { return nil }
        let nameW = legendEntries.map { Canvas.measureText(series[$0].name, scale: s).width }.max() ?? 0
        let rowH = (BitmapFont.glyphHeight + 4) * s
        return (4 * s + 20 * s + 4 * s + nameW + 4 * s, legendEntries.count * rowH + 4 * s)
    }

    func drawLegend(on canvas: inout Canvas, plot: PixelRect, scale s: Int) {
        guard let (w, h) = legendSize(scale: s) else { return }
        let m = 6 * s
        let x: Int, y: Int
        switch legend {
        case .none: return
        case .topLeft: (x, y) = (plot.x + m, plot.y + m)
        case .topRight: (x, y) = (plot.maxX - m - w, plot.y + m)
        case .bottomLeft: (x, y) = (plot.x + m, plot.maxY - m - h)
        case .bottomRight: (x, y) = (plot.maxX - m - w, plot.maxY - m - h)
        case .outsideRight: (x, y) = (plot.maxX + m, plot.y)
        }
        let box = PixelRect(x: x, y: y, width: w, height: h)
        canvas.fillRect(box, .white)
        canvas.strokeRect(box, .gridGray.mixed(with: .black, 0.2))
        let rowH = (BitmapFont.glyphHeight + 4) * s
        for (row, i) in legendEntries.enumerated() {
            let cy = Double(y + 2 * s + row * rowH + rowH / 2)
            let x0 = Double(x + 4 * s), x1 = Double(x + 24 * s)
            canvas.drawLine(from: Point(x: x0, y: cy), to: Point(x: x1, y: cy), color(of: i),
                            thickness: series[i].lineWidth * s)
            if let mk = series[i].marker {
                canvas.drawMarker(mk, at: Point(x: (x0 + x1) / 2, y: cy), size: markerSize(series[i], s), color(of: i))
            }
            canvas.drawText(series[i].name, x: x + 28 * s, y: Int(cy), scale: s, verticalAlign: .middle)
        }
    }
}
