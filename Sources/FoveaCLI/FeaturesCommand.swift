// `fovea features`: the feature maps one layer of a classifier produces for
// one character picture, as a captioned grid, and a convolution's filters.
import ArgumentParser
import FoveaEngine
import FoveaImage
import FoveaOCR
import FoveaPlot
import Foundation

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Draw the feature maps a model layer computes for one character picture.",
        discussion: """
        The picture is normalised as for `fovea classify` and run through the model up to --layer. \
        For a Conv2D layer the learned filters (mean over input channels) are drawn too, \
        to GRID-filters.png beside --output.
        """
    )

    @Option(help: "Model file (safetensors); default: the default classifier, as for `fovea classify`.")
    var model: String?

    @Option(help: "Layer name, as in the model summary (e.g. conv2d, max_pooling2d, dense).")
    var layer: String

    @Option(help: "Output PNG for the feature-map grid.")
    var output: String

    @Argument(help: "Character picture (PNG or JPEG).")
    var picture: String

    func run() throws {
        let modelPath = try model ?? ModelLocator.defaultModel().path
        let classifier = try CharacterClassifier(contentsOf: modelPath)
        let pixels = try classifier.normalizer.normalize(Image(contentsOf: picture))
        let input = CharacterImages(count: 1, height: 28, width: 28, pixels: pixels).tensor()
        let (layer, activation) = try FeatureMaps.output(of: self.layer, in: classifier.model, input: input)
        let shape = activation.shape.dropFirst().map(String.init).joined(separator: "x")
        let title = "\(layer.name) (\(layer.typeName)) \(shape) for \(URL(fileURLWithPath: picture).lastPathComponent)"
        try render(ImageGrid(cells: FeatureMaps.tiles(of: activation), title: title), to: output)
        print("feature maps: \(output)")
        if let filters = try FeatureMaps.filterTiles(of: layer) {
            let path = URL(fileURLWithPath: output).deletingPathExtension().path + "-filters.png"
            try render(ImageGrid(cells: filters, title: "\(layer.name) filters, mean over input channels"), to: path)
            print("filters: \(path)")
        }
    }

    /// Sized so the title fits (12 px per character at the title's text
    /// scale) and each tile gets about 80 px.
    private func render(_ grid: ImageGrid, to path: String) throws {
        let columns = Int(Double(grid.cells.count).squareRoot().rounded(.up))
        let rows = (grid.cells.count + columns - 1) / columns
        let width = min(2400, max(480, columns * 80 + 40, grid.title.count * 12 + 40))
        let height = min(2400, max(400, rows * 96 + 80))
        try grid.render(width: width, height: height).write(to: path)
    }
}
