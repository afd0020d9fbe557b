// ImageGrid: a captioned grid of small images — feature maps, conv filters,
// sample digits — each scaled up with nearest neighbour, under a title.

import FoveaImage

public struct ImageGrid: Chart {
    public struct Cell: Sendable {
        public var image: Image
        public var caption: String

        public init(image: Image, caption: String = "") {
            self.image = image
            self.caption = caption
        }

        /// A single-channel map (row-major, width × height values) stretched
        /// so its own minimum is 0 and maximum 255. A constant map is all 0;
        /// NaN and infinite values are ignored for the stretch and drawn as 0.
        public init<T: BinaryFloatingPoint>(map: [T], width: Int, height: Int, caption: String = "") throws(PlotError) {
            let (n, overflow) = width.multipliedReportingOverflow(by: height)
            guard width > 0, height > 0, !overflow, n == map.count else {
                throw .mapSizeMismatch(caption: caption, width: width, height: height, count: map.count)
            }
            let values = map.map { Double($0) }
            let finite = values.filter(\.isFinite)
            let lo = finite.min() ?? 0, hi = finite.max() ?? 0
            let pixels = values.map { v -> UInt8 in
                guard v.isFinite, hi > lo else { return 0 }
                return UInt8(((v - lo) / (hi - lo) * 255).rounded())
            }
            self.init(image: Image(width: width, height: height, channels: 1, pixels: pixels), caption: caption)
        }
    }

    public var cells: [Cell]
    public var title: String
    /// nil picks ⌈√n⌉ columns.
    public var columns: Int?
    public var textScale: Int?

    public init(cells: [Cell], title: String = "", columns: Int? = nil, textScale: Int? = nil) {
        self.cells = cells
        self.title = title
        self.columns = columns
        self.textScale = textScale
    }

    public struct Layout: Sendable {
        /// Where each cell's image is drawn (same order as `cells`).
        public let imageRects: [PixelRect]
        public let columns: Int
        public let textScale: Int
    }

    public func layout(in rect: PixelRect) -> Layout {
        let s = max(1, textScale ?? autoTextScale(rect))
        let pad = 4 * s, lineH = BitmapFont.glyphHeight * s
        let n = cells.count
        guard n > 0 else { return Layout(imageRects: [], columns: 0, textScale: s) }
        let cols = max(1, min(n, columns ?? Int(Double(n).squareRoot().rounded(.up))))
        let rows = (n + cols - 1) / cols
        let top = title.isEmpty ? pad : 2 * pad + BitmapFont.glyphHeight * (s + 1)
        let area = rect.inset(left: pad, top: top, right: pad, bottom: pad)
        let hasCaptions = cells.contains { !$0.caption.isEmpty }
        let captionH = hasCaptions ? lineH + pad / 2 : 0
        let boxW = area.width / cols, boxH = area.height / rows
        let rects = cells.enumerated().map { i, cell -> PixelRect in
            let (r, c) = (i / cols, i % cols)
            let availW = boxW - 2 * pad, availH = boxH - 2 * pad - captionH
            let iw = cell.image.width, ih = cell.image.height
            guard availW > 0, availH > 0, iw > 0, ih > 0 else {
                return PixelRect(x: area.x + c * boxW, y: area.y + r * boxH, width: 0, height: 0)
            }
            // Whole-number zoom keeps every source pixel the same size; only
            // images larger than the box are shrunk by a fractional factor.
            let k = min(availW / iw, availH / ih)
            let (w, h) = k >= 1 ? (iw * k, ih * k)
                : (Double(availW) / Double(iw) < Double(availH) / Double(ih)
                    ? (availW, max(1, ih * availW / iw)) : (max(1, iw * availH / ih), availH))
            let x = area.x + c * boxW + (boxW - w) / 2
            let y = area.y + r * boxH + pad + (boxH - 2 * pad - captionH - h) / 2
            return PixelRect(x: x, y: y, width: w, height: h)
        }
        return Layout(imageRects: rects, columns: cols, textScale: s)
    }

    public func draw(on canvas: inout Canvas, in rect: PixelRect) {
        let L = layout(in: rect)
        let s = L.textScale, pad = 4 * s
        canvas.withClip(rect) { canvas in
            if !title.isEmpty {
                canvas.drawText(title, x: rect.x + rect.width / 2, y: rect.y + pad, scale: s + 1, align: .center)
            }
            guard L.columns > 0 else { return }
            let boxW = rect.inset(left: pad, right: pad).width / L.columns
            for (cell, r) in zip(cells, L.imageRects) where !r.isEmpty {
                canvas.blit(cell.image, into: r)
                canvas.strokeRect(r.inset(left: -1, top: -1, right: -1, bottom: -1), .gridGray)
                guard !cell.caption.isEmpty else { continue }
                let caption = ImageGrid.truncate(cell.caption, toWidth: boxW - 2, scale: s)
                canvas.drawText(caption, x: r.x + r.width / 2, y: r.maxY + pad / 2 + 1, scale: s, align: .center)
            }
        }
    }

    /// The caption cut (with a trailing "..") so it fits `width` pixels.
    static func truncate(_ text: String, toWidth width: Int, scale: Int) -> String {
        guard Canvas.measureText(text, scale: scale).width > width else { return text }
        let maxChars = (width / scale + 1) / BitmapFont.advance
        guard maxChars > 2 else { return String(text.prefix(max(0, maxChars))) }
        return String(text.prefix(maxChars - 2)) + ".."
    }
}
