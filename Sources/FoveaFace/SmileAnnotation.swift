// SmileAnnotation: a picture of what the smile pipeline saw: each face's
// box, its 10 landmarks and its smile probability.
import FoveaImage
import FoveaPlot

public enum SmileAnnotation {
    public static func render(_ image: Image, _ reading: SmileReading) -> Image {
        // Small crops are enlarged so the points and the label stay legible.
        let factor = max(1, min(8, 256 / max(min(image.width, image.height), 1)))
        let scaled = factor > 1 ? image.resized(width: image.width * factor, height: image.height * factor) : image
        var canvas = Canvas(image: scaled)
        let s = Double(factor)
        let thickness = max(2, min(scaled.width, scaled.height) / 200)
        for f in reading.faces {
            let colour = f.smiling ? RGB(hex: 0x2CA02C) : RGB(hex: 0xD62728)
            let rect = PixelRect(x: Int(f.box.x1 * s), y: Int(f.box.y1 * s), width: max(1, Int(f.box.width * s)),
                                 height: max(1, Int(f.box.height * s)))
            canvas.strokeRect(rect, colour, thickness: thickness)
            for p in f.landmarks {
                canvas.fillCircle(center: Point(x: (p.x + 0.5) * s, y: (p.y + 0.5) * s), radius: Double(thickness) + 1, RGB(hex: 0xFFD700))
            }
            let label = String(format: "smile %.2f", f.smileProbability)
            let textScale = max(1, min(4, rect.width / 90))
            let (_, th) = Canvas.measureText(label, scale: textScale)
            let y = rect.y >= th + 4 ? rect.y - th - 2 : rect.y + 2
            canvas.fillRect(PixelRect(x: rect.x, y: y, width: Canvas.measureText(label, scale: textScale).width + 4, height: th + 2), colour)
            canvas.drawText(label, x: rect.x + 2, y: y + 1, scale: textScale, color: .white)
        }
        return canvas.image
    }
}
