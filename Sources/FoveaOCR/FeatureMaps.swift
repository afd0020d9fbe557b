// FeatureMaps: what one layer of a classifier computes for one input (its
// output channels as tiles) and, for a convolution, its learned filters —
// the pictures behind `fovea features`.
import FoveaEngine
import FoveaImage
import FoveaPlot

public enum FeatureMapError: Error, CustomStringConvertible {
    case unknownLayer(String, available: [String])

    public var description: String {
        switch self {
        case .unknownLayer(let name, let available):
            return "the model has no layer '\(name)'; its layers are: \(available.joined(separator: ", "))"
        }
    }
}

public enum FeatureMaps {
    /// The output of layer `name` for one `[1, inputShape]` input.
    public static func output(of name: String, in model: Sequential, input: Tensor) throws -> (layer: Layer, output: Tensor) {
        guard let index = model.layers.firstIndex(where: { $0.name == name }) else {
            throw FeatureMapError.unknownLayer(name, available: model.layers.map(\.name))
        }
        var h = input.reshaped([1] + model.inputShape)
        for layer in model.layers[...index] { h = layer.forward(h, training: false) }
        return (model.layers[index], h)
    }

    /// Output channels of an `[1, H, W, C]` activation as C tiles; a flat
    /// `[1, U]` output (Dense, Flatten) as one near-square tile of U cells.
    /// Each tile is stretched to its own min...max.
    public static func tiles(of output: Tensor) throws -> [ImageGrid.Cell] {
        let shape = Array(output.shape.dropFirst())
        if shape.count == 3 {
            let (h, w, c) = (shape[0], shape[1], shape[2])
            return try (0..<c).map { ch in
                try ImageGrid.Cell(map: (0..<(h * w)).map { output.data[$0 * c + ch] }, width: w, height: h,
                                   caption: String(ch))
            }
        }
        let units = output.count
        let columns = Int(Double(units).squareRoot().rounded(.up))
        let rows = (units + columns - 1) / columns
        var values = Array(output.data)
        values += [Float](repeating: values.min() ?? 0, count: rows * columns - units)
        return [try ImageGrid.Cell(map: values, width: columns, height: rows, caption: "\(units) units")]
    }

    /// A Conv2D's filters as tiles (kernel `[kh, kw, in, out]`): for one input
    /// channel the weights themselves, for several their mean over inputs.
    public static func filterTiles(of layer: Layer) throws -> [ImageGrid.Cell]? {
        guard let kernel = (layer as? Conv2D)?.kernel, kernel.value.rank == 4 else { return nil }
        let s = kernel.value.shape
        let (kh, kw, cin, cout) = (s[0], s[1], s[2], s[3])
        return try (0..<cout).map { o in
            let values = (0..<(kh * kw)).map { p -> Float in
                var sum: Float = 0
                for i in 0..<cin { sum += kernel.value.data[(p * cin + i) * cout + o] }
                return sum / Float(cin)
            }
            return try ImageGrid.Cell(map: values, width: kw, height: kh, caption: String(o))
        }
    }
}
