// PlotError: what can go wrong when building chart data from caller input.

public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// A feature map's value count does not match the width × height given for it.
    case mapSizeMismatch(caption: String, width: Int, height: Int, count: Int)

    public var description: String {
        switch self {
        case let .mapSizeMismatch(caption, width, height, count):
            "feature map '\(caption)': expected \(width)x\(height) values (width x height, both positive), got \(count)"
        }
    }
}
