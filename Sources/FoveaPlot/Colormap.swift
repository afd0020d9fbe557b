// Colormap: sequential colour maps (viridis, blues, gray) defined by a small
// table of evenly spaced stops and linear interpolation between them.

public struct Colormap: Sendable, Equatable {
    /// Colours at t = 0, 1/(n-1), …, 1.
    public let stops: [RGB]
    /// Colour for NaN or infinite input, so missing values are visible as such.
    public let badColor: RGB

    public init(stops: [RGB], badColor: RGB = .gray(200)) {
        precondition(stops.count >= 2, "a colour map needs at least two stops")
        self.stops = stops
        self.badColor = badColor
    }

    /// The colour at `t` in 0...1 (values outside are clamped).
    public func color(_ t: Double) -> RGB {
        guard t.isFinite else { return badColor }
        let x = min(1, max(0, t)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x))
        return stops[i].mixed(with: stops[i + 1], x - Double(i))
    }

    /// Perceptually uniform dark-purple → yellow: viridis (van der Walt and
    /// Smith, CC0) at 17 even points; nine were too few for its curved path.
    public static let viridis = Colormap(stops: [
        RGB(hex: 0x440154), RGB(hex: 0x48186A), RGB(hex: 0x472D7B), RGB(hex: 0x424086), RGB(hex: 0x3B528B),
        RGB(hex: 0x33638D), RGB(hex: 0x2C728E), RGB(hex: 0x26828E), RGB(hex: 0x21918C), RGB(hex: 0x1FA088),
        RGB(hex: 0x28AE80), RGB(hex: 0x3FBC73), RGB(hex: 0x5EC962), RGB(hex: 0x84D44B), RGB(hex: 0xADDC30),
        RGB(hex: 0xD8E219), RGB(hex: 0xFDE725),
    ])

    /// White → dark blue (ColorBrewer "Blues", nine classes).
    public static let blues = Colormap(stops: [
        RGB(hex: 0xF7FBFF), RGB(hex: 0xDEEBF7), RGB(hex: 0xC6DBEF), RGB(hex: 0x9ECAE1), RGB(hex: 0x6BAED6),
        RGB(hex: 0x4292C6), RGB(hex: 0x2171B5), RGB(hex: 0x08519C), RGB(hex: 0x08306B),
    ])

    /// Black → white.
    public static let gray = Colormap(stops: [.black, .white], badColor: RGB(255, 0, 255))
}
