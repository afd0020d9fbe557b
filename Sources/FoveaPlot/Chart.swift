// Chart: the protocol shared by LineChart, Heatmap and ImageGrid (draw into a
// rectangle of a canvas), rendering to an `Image`, and `Panels` for putting
// several charts side by side in one picture. Typical use:
//
//   let loss = LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss",
//                        series: [Series(name: "train", y: trainLoss), Series(name: "validation", y: valLoss)])
//   let acc = LineChart(title: "Accuracy", xLabel: "epoch", series: [...], yRange: 0...1)
//   let image = Panels([loss, acc]).render(width: 1280, height: 480)   // 3-channel FoveaImage.Image
//
// The result is written with FoveaImage's PNG encoder; FoveaPlot never touches files.

import FoveaImage

public protocol Chart: Sendable {
    /// Draws the chart inside `rect`; nothing outside it is touched.
    func draw(on canvas: inout Canvas, in rect: PixelRect)
}

extension Chart {
    /// The chart alone on a fresh canvas, as an RGB image.
    public func render(width: Int = 800, height: Int = 600, background: RGB = .white) -> Image {
        var canvas = Canvas(width: width, height: height, background: background)
        draw(on: &canvas, in: canvas.bounds)
        return canvas.image
    }
}

/// Text size used by charts when none is given: 1 up to ~800 px, then one
/// step per 400 px of the shorter side, so labels stay readable on big figures.
func autoTextScale(_ rect: PixelRect) -> Int {
    max(1, min(rect.width, rect.height) / 400)
}

/// Several charts in a grid of equal cells (e.g. loss and accuracy side by
/// side), with an optional overall title.
public struct Panels: Chart {
    public var charts: [any Chart]
    public var columns: Int
    public var title: String
    public var textScale: Int?

    public init(_ charts: [any Chart], columns: Int? = nil, title: String = "", textScale: Int? = nil) {
        self.charts = charts
        self.columns = max(1, columns ?? charts.count)
        self.title = title
        self.textScale = textScale
    }

    public func draw(on canvas: inout Canvas, in rect: PixelRect) {
        canvas.withClip(rect) { canvas in
            var area = rect
            if !title.isEmpty {
                let s = (textScale ?? autoTextScale(rect)) + 1
                let h = BitmapFont.glyphHeight * s + 8 * s
                canvas.drawText(title, x: rect.x + rect.width / 2, y: rect.y + h / 2, scale: s,
                                align: .center, verticalAlign: .middle)
                area = rect.inset(top: h)
            }
            guard !charts.isEmpty else { return }
            let rows = (charts.count + columns - 1) / columns
            for (i, chart) in charts.enumerated() {
                let (r, c) = (i / columns, i % columns)
                let x0 = area.x + area.width * c / columns, x1 = area.x + area.width * (c + 1) / columns
                let y0 = area.y + area.height * r / rows, y1 = area.y + area.height * (r + 1) / rows
                let cell = PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
                canvas.withClip(cell) { chart.draw(on: &$0, in: cell) }
            }
        }
    }
}
