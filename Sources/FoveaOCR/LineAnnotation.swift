// LineAnnotation: a picture of what the OCR pipeline read: the line (scaled
// up when small), each character's box, its label under it, and the text.
import FoveaImage
import FoveaPlot

public enum LineAnnotation {
    public static func render(_ image: Image, _ reading: LineReading) -> Image {
        // Small lines are enlarged so labels fit under narrow boxes.
        let factor = max(1, min(8, 96 / max(image.height, 1)))
        let factorCap = max(1, min(factor, Canvas.maxSide / max(image.width, 1)))
        let scaled = factorCap > 1 ? image.resized(width: image.width * factorCap, height: image.height * factorCap) : image
        let band = 56
        var canvas = Canvas(width: max(scaled.width, 200), height: scaled.height + band, background: .white)
        canvas.blit(scaled, into: PixelRect(x: 0, y: 0, width: scaled.width, height: scaled.height))
        let s = Double(factorCap)
        for (i, c) in reading.characters.enumerated() {
            let colour = Palette.color(i % 2 == 0 ? 3 : 0)
            let rect = PixelRect(x: Int((c.box.x1 * s).rounded()), y: Int((c.box.y1 * s).rounded()),
                                 width: max(1, Int((c.box.width * s).rounded())), height: max(1, Int((c.box.height * s).rounded())))
            canvas.strokeRect(rect, colour, thickness: 2)
            canvas.drawText(c.label, x: rect.x + rect.width / 2, y: scaled.height + 4, scale: 2, color: colour, align: .center)
        }
        canvas.drawText(reading.text.isEmpty ? "(no characters)" : reading.text, x: 4, y: scaled.height + band - 4,
                        scale: 2, color: .black, verticalAlign: .bottom)
        return canvas.image
    }
}
