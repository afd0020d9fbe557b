// LineReader: the OCR pipeline, one object shared by the command line, the
// batch runner and the service. decode → normalise the line → find the
// characters (CNN detector + NMS, or the classic segmenter) → crop each the
// EMNIST way → classify all in one batch (prior adjusted for text lines), or
// take the labels from the detector's class head → order left to right,
// spaces from gaps → text, boxes and scores.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public enum Segmenter: String, Sendable, CaseIterable {
    case cnn
    case classic
}

/// Where characters' labels come from.
public enum LabelSource: String, Sendable, CaseIterable {
    /// The EMNIST classifier on each box's crop: the default, as it read the
    /// validation lines at 10.56% CER on the head model's own boxes against
    /// 15.55% for the head's labels (README "The OCR pipeline").
    case classifier
    /// The detector's class head: the softmax at each detection's peak cell.
    case detectorHead = "detector-head"
}

public struct LineReaderOptions: Sendable {
    /// Detector score below which a peak is not a character.
    public var minScore = 0.3
    /// IoU above which the weaker of two detections is dropped.
    public var nmsIoU = 0.5
    public var segmenter = Segmenter.cnn
    /// A gap wider than this many median character heights is a space.
    public var spaceGap = 0.45
    /// Logit adjustment: the classifier's probabilities are divided by its
    /// training prior raised to this power (0 keeps them, 1 removes the prior).
    public var priorStrength: Float = 1
    /// Label alternatives reported per character.
    public var alternatives = 3
    public var labels = LabelSource.classifier

    public init() {}
}

public struct ReadCharacter: Sendable {
    /// In the input image's pixels.
    public var box: Box
    public var label: String
    /// How sure the detector (or segmenter) is that a character is there.
    public var score: Double
    /// The most probable labels with their probabilities, best first.
    public var alternatives: [(label: String, probability: Double)]
}

public struct LineReading: Sendable {
    public var width: Int
    public var height: Int
    public var text: String
    public var characters: [ReadCharacter]
    public var elapsedMilliseconds: Double
}

public final class LineReader: @unchecked Sendable {
    /// The committed classifier fine-tuned on text-line crops; the plain
    /// EMNIST model (ModelLocator.defaultFileName) is the fallback.
    public static let classifierFileName = "ocr-classifier.safetensors"

    /// The classifier file a reader uses when none is named: the line
    /// classifier where it is found, else the EMNIST default.
    public static func defaultClassifier() throws -> URL {
        try (try? ModelLocator.model(named: classifierFileName, hint: "")) ?? ModelLocator.defaultModel()
    }

    /// The reader `fovea detect`, the batch runner and the service build:
    /// the models at the given paths, else the committed ones (the detector
    /// only for the cnn segmenter).
    public static func load(detector detectorPath: String? = nil, classifier classifierPath: String? = nil,
                            options: LineReaderOptions = LineReaderOptions()) throws -> LineReader {
        let classifier = try CharacterClassifier(contentsOf: classifierPath ?? defaultClassifier().path)
        var detector: CharacterDetector?
        if options.segmenter == .cnn || detectorPath != nil {
            let path = try detectorPath ?? ModelLocator.model(
                named: CharacterDetector.defaultFileName,
                hint: "train one: Tools/train_ocr_detector.sh, or use the classic segmenter").path
            detector = try CharacterDetector(contentsOf: path)
            if options.labels == .detectorHead && detector?.headLabels == nil {
                throw LineReaderError.noClassHead(path: path)
            }
        }
        return LineReader(detector: detector, classifier: classifier, options: options)
    }

    public let detector: CharacterDetector?
    public let classifier: CharacterClassifier
    public var options: LineReaderOptions
    /// The classifier's class prior (training frequencies), for logit adjustment.
    public let prior: [Float]

    public init(detector: CharacterDetector?, classifier: CharacterClassifier, options: LineReaderOptions = LineReaderOptions(),
                prior: [Float] = LineReader.emnistByMergeTrainPrior) {
        self.detector = detector
        self.classifier = classifier
        self.options = options
        self.prior = prior.count == classifier.mapping.count && !classifier.hasUniformPrior ? prior : []
    }

    /// Reads one line image.
    public func read(_ image: Image) throws -> LineReading {
        try read([image])[0].get()
    }

    /// Reads several lines: each is normalised and its characters found on
    /// its own, then the characters of all of them are classified in one
    /// batch (the service's micro-batching). The readings equal those of
    /// reading each line alone; a line that cannot be read gives its error.
    /// Each line's elapsed time is that of the whole call.
    public func read(_ images: [Image]) -> [Result<LineReading, Error>] {
        let clock = ContinuousClock()
        let start = clock.now
        let located = images.map { image in Result { try locate(image) } }
        let groups = located.compactMap { try? $0.get() }
        var classified = classify(groups).makeIterator()
        return zip(images, located).map { image, result in
            result.map { _ in
                let characters = classified.next()!
                return LineReading(width: image.width, height: image.height,
                                   text: Self.assemble(characters, spaceGap: options.spaceGap), characters: characters,
                                   elapsedMilliseconds: (clock.now - start) / .milliseconds(1))
            }
        }
    }

    /// Normalises the line and finds its characters, left to right (with the
    /// class head's probabilities when the labels come from it).
    private func locate(_ image: Image) throws -> (found: [CenterNetDetection], input: LineInput) {
        let input = try LineInput(image: image, height: CharacterDetector.inputHeight,
                                  widthMultiple: detector?.geometry.stride ?? 4)
        let found: [CenterNetDetection]
        switch options.segmenter {
        case .cnn:
            guard let detector else { throw LineReaderError.noDetector }
            if options.labels == .detectorHead && detector.headLabels == nil {
                throw LineReaderError.noClassHead(path: detector.model.name)
            }
            found = try detector.detect(input, minScore: options.minScore, nmsIoU: options.nmsIoU)
        case .classic:
            guard options.labels == .classifier else { throw LineReaderError.noClassHead(path: "the classic segmenter") }
            found = ClassicSegmenter().segment(input).map { CenterNetDetection(box: $0.box, score: $0.score, classProbabilities: []) }
        }
        let ordered = found
            .map { CenterNetDetection(box: $0.box.clipped(width: Double(image.width), height: Double(image.height)),
                                      score: $0.score, classProbabilities: $0.classProbabilities) }
            .filter { $0.box.width >= 1 && $0.box.height >= 1 }
            .sorted { $0.box.centerX < $1.box.centerX }
        return (ordered, input)
    }

    /// The characters' labels and alternatives from probabilities `row` over `mapping`.
    private func character(_ f: CenterNetDetection, _ row: [Float], _ mapping: LabelMapping) -> ReadCharacter {
        let order = row.indices.sorted { row[$0] > row[$1] }
        let alternatives = order.prefix(max(1, options.alternatives)).map {
            (label: mapping.label($0), probability: Double(row[$0]))
        }
        return ReadCharacter(box: f.box, label: alternatives[0].label, score: f.score, alternatives: alternatives)
    }

    /// Classifies the characters of every line in one batch, or reads the
    /// class head's probabilities the detector gave.
    private func classify(_ lines: [(found: [CenterNetDetection], input: LineInput)]) -> [[ReadCharacter]] {
        if options.labels == .detectorHead, let mapping = detector?.headLabels {
            return lines.map { line in line.found.map { character($0, $0.classProbabilities, mapping) } }
        }
        let count = lines.reduce(0) { $0 + $1.found.count }
        guard count > 0 else { return lines.map { _ in [] } }
        let size = classifier.normalizer.size
        var pixels = [UInt8]()
        pixels.reserveCapacity(count * size * size)
        for line in lines {
            for f in line.found { pixels += line.input.characterPixels(in: f.box, normalizer: classifier.normalizer) }
        }
        let p = classifier.probabilities(CharacterImages(count: count, height: size, width: size, pixels: pixels)).data
        let classes = classifier.mapping.count
        var row0 = 0
        return lines.map { line in
            defer { row0 += line.found.count }
            return line.found.enumerated().map { i, f in
                var row = Array(p[((row0 + i) * classes)..<((row0 + i + 1) * classes)])
                if !prior.isEmpty && options.priorStrength != 0 {
                    for c in 0..<classes { row[c] /= pow(max(prior[c], 1e-6), options.priorStrength) }
                    let sum = row.reduce(0, +)
                    if sum > 0 { for c in 0..<classes { row[c] /= sum } }
                }
                return character(f, row, classifier.mapping)
            }
        }
    }

    /// Labels left to right; a space wherever the gap between neighbouring
    /// boxes exceeds `spaceGap` median character heights.
    public static func assemble(_ characters: [ReadCharacter], spaceGap: Double) -> String {
        guard !characters.isEmpty else { return "" }
        let heights = characters.map(\.box.height).sorted()
        let median = heights[heights.count / 2]
        var text = ""
        for (i, c) in characters.enumerated() {
            if i > 0 && c.box.x1 - characters[i - 1].box.x2 > spaceGap * median { text += " " }
            text += c.label
        }
        return text
    }

    /// Class frequencies of the 104,000-image EMNIST ByMerge pool train
    /// split the default classifier learnt from (../shared/datasets/emnist/README.md).
    public static let emnistByMergeTrainPrior: [Float] = {
        let counts: [Float] = [
            5146, 5699, 5120, 5204, 4908, 4734, 5174, 5238, 5050, 5047, 945, 589, 1939, 652, 775, 1355, 387, 530,
            2159, 810, 716, 3023, 1769, 1194, 4186, 1620, 382, 750, 3493, 1475, 2243, 1103, 1148, 804, 1062, 828,
            1485, 829, 1538, 3638, 388, 521, 1373, 1671, 491, 2140, 2669,
        ]
        let total = counts.reduce(0, +)
        return counts.map { $0 / total }
    }()
}

public enum LineReaderError: Error, CustomStringConvertible {
    case noDetector
    case noClassHead(path: String)

    public var description: String {
        switch self {
        case .noDetector:
            return "no character detector loaded: pass --model FILE (a model from `fovea train detector`) or use --segmenter classic"
        case .noClassHead(let path):
            return "\(path) has no class head, so --labels detector-head cannot read labels from it: "
                + "pass --model with a detector trained by `fovea train detector --class-head`, or use --labels classifier"
        }
    }
}

extension LineReading {
    /// The object `fovea detect --json` prints for one image (and the
    /// service answers): file (when given), width, height, text, characters
    /// (box [x, y, w, h] in image pixels, label, score, alternatives), elapsed_ms.
    public func json(file: String?) -> JSONValue {
        var fields = [(String, JSONValue)]()
        if let file { fields.append(("file", .string(file))) }
        fields += [
            ("width", .int(width)), ("height", .int(height)), ("text", .string(text)),
            ("characters", .array(characters.map { c in
                .object([
                    ("box", .array(c.box.coco.map { .number($0, digits: 2) })),
                    ("label", .string(c.label)),
                    ("score", .number(c.score, digits: 4)),
                    ("alternatives", .array(c.alternatives.map { .array([.string($0.label), .number($0.probability, digits: 4)]) })),
                ])
            })),
            ("elapsed_ms", .number(elapsedMilliseconds, digits: 3)),
        ]
        return .object(fields)
    }
}
