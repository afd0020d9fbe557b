// `fovea detect`: reads handwritten text lines — every character's box,
// label and score, and the text — through the OCR pipeline (LineReader).
// A table per image for people, JSON Lines for machines, annotated PNGs,
// COCO results for `fovea evaluate`, and the character error rate against
// a ground truth that has each line's text.
import ArgumentParser
import FoveaDetection
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Read the characters of handwritten text-line images.",
        discussion: """
        Without --model the committed detector (\(CharacterDetector.defaultFileName)) and classifier \
        (\(LineReader.classifierFileName), else \(ModelLocator.defaultFileName)) are found in $FOVEA_MODELS_DIR, else Models/ beside or above \
        the executable, else ./Models. A file that cannot be read is reported (with --json as \
        {"file", "error"}) and makes the exit status 1; the others are still read. "score" is the \
        detector's confidence that a character is there; "alternatives" are label probabilities.
        """
    )

    @Argument(help: "Text-line images (PNG or JPEG).")
    var images: [String]

    @OptionGroup var output: PipelineOutputOptions

    @Option(help: "Detector score below which a peak is not a character (0-1).")
    var minScore = 0.3

    @Option(help: "IoU above which the weaker of two overlapping detections is dropped (0-1).")
    var nmsIou = 0.5

    @Option(help: "How characters are found: cnn (the detector) or classic (Otsu + connected components).")
    var segmenter = "cnn"

    @Option(help: "Character detector model (safetensors from `fovea train detector`).")
    var model: String?

    @Option(help: "Where labels come from: classifier (the EMNIST classifier on each crop) or detector-head (the detector's class head, a model trained with --class-head).")
    var labels = LabelSource.classifier.rawValue

    @Option(help: "Character classifier model (safetensors from `fovea train classifier`).")
    var classifier: String?

    @Option(help: "Logit adjustment of the classifier's training prior (0 keeps it, 1 removes it).")
    var priorStrength: Float = 1

    @Option(help: "Gap, in median character heights, that makes a space.")
    var spaceGap = 0.45

    @Option(help: "Also write the detections as a COCO results list (category 1) to this file.")
    var cocoResults: String?

    @Option(help: "COCO ground truth of the inputs: image ids for --coco-results (by file name) and, where lines have \"text\", the character error rate on stderr.")
    var groundTruth: String?


    func validate() throws {
        if Segmenter(rawValue: segmenter) == nil { throw ValidationError("--segmenter must be cnn or classic, got '\(segmenter)'") }
        guard let source = LabelSource(rawValue: labels) else {
            throw ValidationError("--labels must be classifier or detector-head, got '\(labels)'")
        }
        if source == .detectorHead && segmenter != Segmenter.cnn.rawValue {
            throw ValidationError("--labels detector-head needs --segmenter cnn (the classic segmenter has no class head)")
        }
        if !(0...1).contains(minScore) { throw ValidationError("--min-score must be in 0...1, got \(minScore)") }
        if !(0...1).contains(nmsIou) { throw ValidationError("--nms-iou must be in 0...1, got \(nmsIou)") }
        try output.check(inputs: images.count)
        if spaceGap <= 0 { throw ValidationError("--space-gap must be positive, got \(spaceGap)") }
    }

    func run() throws {
        try output.prepare()
        let reader = try makeReader()
        let truth = try groundTruth.map { try LineSet.load(contentsOfFile: $0) }
        let truthByName = Dictionary((truth ?? []).map { ($0.fileName, $0) }, uniquingKeysWith: { a, _ in a })
        var failures = 0
        var results = [JSONValue]()
        var edits = 0, characters = 0, scored = 0
        for (index, path) in images.enumerated() {
            let reading: LineReading
            let image: Image
            do {
                image = try Image(contentsOf: path)
                reading = try reader.read(image)
            } catch {
                failures += 1
                output.report(path, error)
                continue
            }
            if output.json { print(reading.json(file: path).text) } else { printTable(path, reading) }
            let name = URL(fileURLWithPath: path).lastPathComponent
            let record = truthByName[name]
            if let record, !record.text.isEmpty {
                let e = TextMetrics.errors(truth: record.text, read: reading.text)
                edits += e.edits; characters += e.characters; scored += 1
            }
            if cocoResults != nil {
                let imageID = record?.id ?? (index + 1)
                results += reading.characters.map { c in
                    .object([("image_id", .int(imageID)), ("category_id", .int(1)),
                             ("bbox", .array(c.box.coco.map { .number($0, digits: 2) })), ("score", .number(c.score, digits: 5))])
                }
            }
            if let annotated = output.annotationPath(for: path) { try LineAnnotation.render(image, reading).write(to: annotated) }
        }
        if let cocoResults {
            try Data(JSONValue.array(results).text.utf8).write(to: URL(fileURLWithPath: cocoResults))
        }
        if scored > 0 {
            note(String(format: "character error rate: %.4f (%d edits over %d characters, %d lines)",
                        Double(edits) / Double(max(characters, 1)), edits, characters, scored))
        }
        if failures > 0 { throw ExitCode.failure }
    }

    private func makeReader() throws -> LineReader {
        var options = LineReaderOptions()
        options.minScore = minScore
        options.nmsIoU = nmsIou
        options.segmenter = Segmenter(rawValue: segmenter)!
        options.priorStrength = priorStrength
        options.spaceGap = spaceGap
        options.labels = LabelSource(rawValue: labels)!
        return try LineReader.load(detector: model, classifier: classifier, options: options)
    }

    private func printTable(_ path: String, _ r: LineReading) {
        print("\(path) (\(r.width)x\(r.height), \(String(format: "%.1f", r.elapsedMilliseconds)) ms): \"\(r.text)\"")
        guard !r.characters.isEmpty else {
            print("  no characters found")
            return
        }
        print("  #   label  prob    score  box (x, y, w, h)")
        for (i, c) in r.characters.enumerated() {
            let p = c.alternatives.first?.probability ?? 0
            print(String(format: "  %-3d %-6@ %.3f   %.3f  %.0f, %.0f, %.0f, %.0f", i + 1, c.label, p, c.score,
                         c.box.x1, c.box.y1, c.box.width, c.box.height))
        }
    }
}
