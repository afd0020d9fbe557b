// Colours: the `RGB` value used by every drawing call, and the fixed
// qualitative palette that gives chart series distinct colours.

public struct RGB: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// From 0xRRGGBB.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public static func gray(_ v: UInt8) -> RGB { RGB(v, v, v) }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    public static let gridGray = RGB(225, 225, 225)
    public static let axisGray = RGB(90, 90, 90)

    /// Relative luminance in 0...1 (Rec. 709 weights on the stored values),
    /// used to pick readable text over a coloured cell.
    public var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }

    /// Linear blend: t = 0 gives self, t = 1 gives other.
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        let t = t.isFinite ? min(1, max(0, t)) : 0
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded())
        }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    public var description: String {
        "#" + [r, g, b].map { v in
            let s = String(v, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}

/// Ten well-separated colours for chart series, in the order of the widely
/// used "tab10" qualitative scheme so curves look familiar to readers.
public enum Palette {
    public static let qualitative: [RGB] = [
        RGB(hex: 0x1F77B4), RGB(hex: 0xFF7F0E), RGB(hex: 0x2CA02C), RGB(hex: 0xD62728),
        RGB(hex: 0x9467BD), RGB(hex: 0x8C564B), RGB(hex: 0xE377C2), RGB(hex: 0x7F7F7F),
        RGB(hex: 0xBCBD22), RGB(hex: 0x17BECF),
    ]

    /// Colour of series number `index`; cycles after ten.
    public static func color(_ index: Int) -> RGB {
        let n = qualitative.count
        return qualitative[((index % n) + n) % n]
    }
}
