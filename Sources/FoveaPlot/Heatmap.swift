// Heatmap: a matrix of coloured cells (confusion matrices) with row and column
// labels, axis titles, a colour bar with ticks and, when they fit, cell values.

import Foundation

public struct Heatmap: Chart {
    /// values[row][column]; ragged rows are padded with NaN (drawn in the bad colour).
    public var values: [[Double]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var title: String
    /// Title under the column labels.
    public var xLabel: String
    /// Title left of the row labels, drawn vertically.
    public var yLabel: String
    public var colormap: Colormap
    /// Values mapped to colormap(0) and colormap(1); nil uses the finite min and max.
    public var valueRange: ClosedRange<Double>?
    /// Print values in cells: nil prints them when they fit, true/false forces.
    public var showValues: Bool?
    /// Decimals of printed values; nil prints integers when every value is whole, else 2.
    public var valueDecimals: Int?
    public var textScale: Int?

    public init(values: [[Double]], rowLabels: [String] = [], columnLabels: [String] = [],
                title: String = "", xLabel: String = "predicted", yLabel: String = "true",
                colormap: Colormap = .viridis, valueRange: ClosedRange<Double>? = nil,
                showValues: Bool? = nil, valueDecimals: Int? = nil, textScale: Int? = nil) {
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.colormap = colormap
        self.valueRange = valueRange
        self.showValues = showValues
        self.valueDecimals = valueDecimals
        self.textScale = textScale
    }

    /// A confusion matrix (counts[true][predicted]) with the same labels on both
    /// axes; `normalize` divides each row by its total so cells show recall.
    public static func confusionMatrix(_ counts: [[Int]], labels: [String], normalize: Bool = false,
                                       title: String = "Confusion matrix",
                                       colormap: Colormap = .viridis) -> Heatmap {
        let values = counts.map { row -> [Double] in
            let total = row.reduce(0, +)
            return row.map { normalize ? (total > 0 ? Double($0) / Double(total) : 0) : Double($0) }
        }
        return Heatmap(values: values, rowLabels: labels, columnLabels: labels, title: title,
                       colormap: colormap, valueRange: normalize ? 0...1 : nil)
    }

    public var rowCount: Int { values.count }
    public var columnCount: Int { values.map(\.count).max() ?? 0 }

    func value(_ r: Int, _ c: Int) -> Double { c < values[r].count ? values[r][c] : .nan }

    /// The range mapped onto the colour map; never empty.
    public var effectiveRange: ClosedRange<Double> {
        if let f = valueRange, f.lowerBound.isFinite, f.upperBound.isFinite, f.upperBound > f.lowerBound { return f }
        let finite = values.joined().filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        return hi > lo ? lo...hi : lo...(lo + 1)
    }

    public struct Layout: Sendable {
        /// The cells; cell (r, c) is at matrix.x + c * cellSize, matrix.y + r * cellSize.
        public let matrix: PixelRect
        public let cellSize: Int
        public let colorBar: PixelRect
        public let colorBarTicks: AxisTicks
        /// Column labels are rotated when they are wider than a cell.
        public let verticalColumnLabels: Bool
        public let textScale: Int

        public func cell(row: Int, column: Int) -> PixelRect {
            PixelRect(x: matrix.x + column * cellSize, y: matrix.y + row * cellSize, width: cellSize, height: cellSize)
        }
    }

    public func layout(in rect: PixelRect) -> Layout {
        let s = max(1, textScale ?? autoTextScale(rect))
        let pad = 6 * s, tick = 4 * s, lineH = BitmapFont.glyphHeight * s
        let (rows, cols) = (rowCount, columnCount)
        let rowLabelW = rowLabels.prefix(rows).map { Canvas.measureText($0, scale: s).width }.max() ?? 0
        let colLabelW = columnLabels.prefix(cols).map { Canvas.measureText($0, scale: s).width }.max() ?? 0
        let range = effectiveRange
        let ticks = NiceTicks.ticks(from: range.lowerBound, to: range.upperBound)
        let tickLabelW = ticks.labels.map { Canvas.measureText($0, scale: s).width }.max() ?? 0
        let barW = 12 * s

        let top = title.isEmpty ? pad : 2 * pad + BitmapFont.glyphHeight * (s + 1)
        let left = pad + (yLabel.isEmpty ? 0 : lineH + pad) + rowLabelW + pad / 2
        let right = 2 * pad + barW + tick + pad / 2 + tickLabelW + pad
        func fit(columnLabelHeight: Int) -> (cell: Int, bottom: Int) {
            let bottom = pad / 2 + columnLabelHeight + (xLabel.isEmpty ? 0 : pad + lineH) + pad
            let area = rect.inset(left: left, top: top, right: right, bottom: bottom)
            guard rows > 0, cols > 0 else { return (0, bottom) }
            return (max(0, min(area.width / cols, area.height / rows)), bottom)
        }
        var vertical = false
        var (cell, _) = fit(columnLabelHeight: colLabelW == 0 ? 0 : lineH)
        if colLabelW > cell - 2 && colLabelW > 0 {
            vertical = true
            cell = fit(columnLabelHeight: colLabelW).cell
        }
        // Centre the block (row labels, matrix, colour bar) horizontally.
        let blockW = left + cols * cell + right
        let x0 = rect.x + max(0, (rect.width - blockW) / 2)
        let matrix = PixelRect(x: x0 + left, y: rect.y + top, width: cols * cell, height: rows * cell)
        let bar = PixelRect(x: matrix.maxX + 2 * pad, y: matrix.y, width: barW, height: matrix.height)
        return Layout(matrix: matrix, cellSize: cell, colorBar: bar, colorBarTicks: ticks,
                      verticalColumnLabels: vertical, textScale: s)
    }

    /// Decimals for printed values: the caller's choice, else 0 when every value is whole, else 2.
    var decimals: Int {
        max(0, min(valueDecimals ?? (values.joined().allSatisfy { !$0.isFinite || $0 == $0.rounded() } ? 0 : 2), 10))
    }

    func format(_ v: Double, decimals: Int) -> String {
        v.isFinite ? String(format: "%.*f", decimals, v) : ""
    }

    public func draw(on canvas: inout Canvas, in rect: PixelRect) {
        let L = layout(in: rect)
        let s = L.textScale, pad = 6 * s, tick = 4 * s
        canvas.withClip(rect) { canvas in
            if !title.isEmpty {
                canvas.drawText(title, x: L.matrix.x + L.matrix.width / 2, y: rect.y + pad, scale: s + 1,
                                align: .center)
            }
            guard L.cellSize > 0 else { return }
            drawCells(on: &canvas, L)
            drawLabels(on: &canvas, L, rect: rect)
            // Colour bar: top row is the maximum, bottom row the minimum.
            let bar = L.colorBar
            for y in bar.y..<bar.maxY {
                let t = bar.height > 1 ? 1 - Double(y - bar.y) / Double(bar.height - 1) : 1
                canvas.fillRect(PixelRect(x: bar.x, y: y, width: bar.width, height: 1), colormap.color(t))
            }
            canvas.strokeRect(bar.inset(left: -1, top: -1, right: -1, bottom: -1), .axisGray)
            let range = effectiveRange
            for (v, label) in zip(L.colorBarTicks.values, L.colorBarTicks.labels) {
                let f = (v - range.lowerBound) / (range.upperBound - range.lowerBound)
                let y = Int((Double(bar.maxY - 1) - f * Double(bar.height - 1)).rounded())
                canvas.fillRect(PixelRect(x: bar.maxX + 1, y: y - s / 2, width: tick, height: s), .axisGray)
                canvas.drawText(label, x: bar.maxX + 1 + tick + pad / 2, y: y, scale: s, verticalAlign: .middle)
            }
        }
    }

    func drawCells(on canvas: inout Canvas, _ L: Layout) {
        // Values use the label scale when they fit, else the smallest scale.
        let decimals = self.decimals, range = effectiveRange
        let longest = values.joined().filter(\.isFinite).map { format($0, decimals: decimals).count }.max() ?? 0
        func fits(_ s: Int) -> Bool {
            BitmapFont.measure(String(repeating: "0", count: longest), scale: s).width <= L.cellSize - 2
                && BitmapFont.glyphHeight * s <= L.cellSize - 2
        }
        let s = fits(L.textScale) ? L.textScale : 1
        let printValues = showValues ?? fits(s)
        let cols = columnCount
        for r in 0..<rowCount {
            for c in 0..<cols {
                let v = value(r, c), cell = L.cell(row: r, column: c)
                let color = colormap.color((v - range.lowerBound) / (range.upperBound - range.lowerBound))
                canvas.fillRect(cell, color)
                if printValues && v.isFinite {
                    canvas.drawText(format(v, decimals: decimals), x: cell.x + cell.width / 2,
                                    y: cell.y + cell.height / 2, scale: s,
                                    color: color.luminance < 0.5 ? .white : .black,
                                    align: .center, verticalAlign: .middle)
                }
            }
        }
    }

    /// Row and column labels (every k-th one when cells are smaller than a
    /// line of text) and the two axis titles.
    func drawLabels(on canvas: inout Canvas, _ L: Layout, rect: PixelRect) {
        let s = L.textScale, pad = 6 * s, lineH = BitmapFont.glyphHeight * s
        let rowStep = max(1, Int((Double(lineH + s) / Double(L.cellSize)).rounded(.up)))
        for r in stride(from: 0, to: min(rowCount, rowLabels.count), by: rowStep) {
            let cell = L.cell(row: r, column: 0)
            canvas.drawText(rowLabels[r], x: L.matrix.x - pad / 2, y: cell.y + cell.height / 2, scale: s,
                            align: .right, verticalAlign: .middle)
        }
        let colStep = L.verticalColumnLabels
            ? rowStep
            : max(1, Int((Double((columnLabels.prefix(columnCount).map {
                Canvas.measureText($0, scale: s).width }.max() ?? 0) + 2 * s) / Double(L.cellSize)).rounded(.up)))
        var labelsBottom = L.matrix.maxY + pad / 2
        for c in stride(from: 0, to: min(columnCount, columnLabels.count), by: colStep) {
            let cell = L.cell(row: 0, column: c)
            let box = canvas.drawText(columnLabels[c], x: cell.x + cell.width / 2, y: L.matrix.maxY + pad / 2,
                                      scale: s, orientation: L.verticalColumnLabels ? .vertical : .horizontal,
                                      align: .center)
            labelsBottom = max(labelsBottom, box.maxY)
        }
        if !xLabel.isEmpty {
            canvas.drawText(xLabel, x: L.matrix.x + L.matrix.width / 2, y: labelsBottom + pad, scale: s, align: .center)
        }
        if !yLabel.isEmpty {
            let rowLabelW = rowLabels.prefix(rowCount).map { Canvas.measureText($0, scale: s).width }.max() ?? 0
            canvas.drawText(yLabel, x: L.matrix.x - pad / 2 - rowLabelW - pad - lineH,
                            y: L.matrix.y + L.matrix.height / 2, scale: s,
                            orientation: .vertical, verticalAlign: .middle)
        }
    }
}
