// `fovea synth-lines`: composes EMNIST characters into handwritten text-line
// images (PNG) plus one COCO ground-truth file with each character's box and
// label and each line's text: training and test data for the OCR pipeline.
import ArgumentParser
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation

struct SynthLinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-lines",
        abstract: "Compose EMNIST characters into text-line images with COCO ground truth.",
        discussion: """
        Writes DIR/line-000001.png … and DIR/ground-truth.json (category 1 "character"; each annotation \
        has its "char", each image its "text" with spaces at word gaps). Classes are drawn uniformly \
        unless --source-frequencies. The same --seed gives the same lines.
        """
    )

    @Option(help: "IDX images file (EMNIST, gzipped or raw).")
    var images: String

    @Option(help: "IDX labels file matching --images.")
    var labels: String

    @Option(help: "Number of lines to write.")
    var count: Int

    @Option(help: "Output folder.")
    var output: String

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Smallest and largest character height in pixels, as MIN-MAX.")
    var height = "16-64"

    @Flag(help: "Draw characters with the source's class frequencies instead of uniformly over the classes.")
    var sourceFrequencies = false

    @Option(help: "Use only the first N source images (quick experiments).")
    var limit: Int?

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if parsedHeight == nil { throw ValidationError("--height must be MIN-MAX with 4 ≤ MIN ≤ MAX ≤ 512, got '\(height)'") }
    }

    private var parsedHeight: ClosedRange<Float>? {
        let parts = height.split(separator: "-").compactMap { Float($0) }
        guard parts.count == 2, parts[0] >= 4, parts[0] <= parts[1], parts[1] <= 512 else { return nil }
        return parts[0]...parts[1]
    }

    func run() throws {
        var data = try EMNISTDataset.load(images: images, labels: labels, transposed: true,
                                          classCount: LabelMapping.emnistByMerge.count)
        if let limit, limit < data.count { data = data.subset(Array(0..<limit)) }
        var options = LineSynthesisOptions()
        options.seed = seed
        options.characterHeight = parsedHeight!
        options.uniformClasses = !sourceFrequencies
        let synthesizer = try LineSynthesizer(data: data, mapping: .emnistByMerge, options: options)
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw ClassifierCommandError("\(output): cannot create the output folder (\((error as NSError).localizedDescription))")
        }
        var records = [LineRecord]()
        let digits = max(6, String(count).count)
        for i in 0..<count {
            let line = synthesizer.line(i)
            let name = "line-" + String(repeating: "0", count: max(0, digits - String(i + 1).count)) + String(i + 1) + ".png"
            try line.image.write(to: URL(fileURLWithPath: output).appendingPathComponent(name).path)
            records.append(LineRecord(id: i + 1, fileName: name, width: line.image.width, height: line.image.height,
                                      text: line.text, characters: line.characters.map { ($0.box, $0.label) }))
            if (i + 1) % max(1, count / 10) == 0 || i + 1 == count { note("synth-lines: \(i + 1)/\(count)") }
        }
        let json = try LineSet.json(records, description: "fovea synth-lines --images \(images) --count \(count) --seed \(seed)")
        let gtPath = URL(fileURLWithPath: output).appendingPathComponent("ground-truth.json")
        try json.write(to: gtPath)
        print("wrote \(count) lines and \(gtPath.path) (\(records.reduce(0) { $0 + $1.characters.count }) characters)")
    }
}
