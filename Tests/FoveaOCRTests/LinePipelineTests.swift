// The OCR pipeline on text lines: synthetic lines and their ground truth,
// the character error rate, the classic segmenter, and LineReader with the
// committed detector and classifier on the bundled sample lines (made from
// the EMNIST pool's test split), including bad and odd inputs.
import FoveaDetection
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation
import XCTest

final class LinePipelineTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = root.appendingPathComponent("Datasets/ocr-samples")
    static let mini = root.appendingPathComponent("Datasets/emnist")

    nonisolated(unsafe) static var cachedReader: LineReader?
    private func reader(_ segmenter: Segmenter = .cnn) throws -> LineReader {
        let base = try Self.cachedReader ?? LineReader(
            detector: CharacterDetector(contentsOf: Self.root.appendingPathComponent("Models/\(CharacterDetector.defaultFileName)").path),
            classifier: CharacterClassifier(contentsOf: Self.root.appendingPathComponent("Models/\(LineReader.classifierFileName)").path))
        Self.cachedReader = base
        var options = base.options
        options.segmenter = segmenter
        return LineReader(detector: base.detector, classifier: base.classifier, options: options)
    }

    private func miniSynthesizer(seed: UInt64) throws -> LineSynthesizer {
        let data = try EMNISTDataset.load(images: Self.mini.appendingPathComponent("emnist-mini-test-images-idx3-ubyte.gz").path,
                                          labels: Self.mini.appendingPathComponent("emnist-mini-test-labels-idx1-ubyte.gz").path,
                                          transposed: true, classCount: 47)
        var options = LineSynthesisOptions()
        options.seed = seed
        return try LineSynthesizer(data: data, mapping: .emnistByMerge, options: options)
    }

    // MARK: synthetic lines

    func testSynthesisIsDeterministicAndBoxesHoldTheirInk() throws {
        let a = try miniSynthesizer(seed: 4), b = try miniSynthesizer(seed: 4), c = try miniSynthesizer(seed: 5)
        for k in 0..<6 {
            let line = a.line(k)
            XCTAssertEqual(line.image, b.line(k).image)
            XCTAssertEqual(line.text, b.line(k).text)
            XCTAssertNotEqual(line.image, c.line(k).image)
            XCTAssertEqual(line.text.replacingOccurrences(of: " ", with: "").count, line.characters.count)
            XCTAssertEqual(line.text.replacingOccurrences(of: " ", with: ""), line.characters.map(\.label).joined())
            for ch in line.characters {
                XCTAssertGreaterThanOrEqual(ch.box.x1, 0)
                XCTAssertLessThanOrEqual(ch.box.x2, Double(line.image.width))
                XCTAssertLessThanOrEqual(ch.box.y2, Double(line.image.height))
                XCTAssertGreaterThanOrEqual(ch.box.height, 8, "characters are at least 16 px tall before the ink threshold")
            }
            let sorted = line.characters.map(\.box.centerX)
            XCTAssertEqual(sorted, sorted.sorted(), "characters are listed in reading order")
        }
    }

    func testGroundTruthRoundTripsThroughCOCO() throws {
        let s = try miniSynthesizer(seed: 8)
        let lines = (0..<3).map { s.line($0) }
        let records = lines.enumerated().map { i, l in
            LineRecord(id: i + 1, fileName: "l\(i).png", width: l.image.width, height: l.image.height, text: l.text,
                       characters: l.characters.map { ($0.box, $0.label) })
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-lines-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try LineSet.json(records, description: "test").write(to: url)
        let back = try LineSet.load(contentsOfFile: url.path)
        XCTAssertEqual(back.map(\.text), lines.map(\.text))
        XCTAssertEqual(back[1].characters.map(\.label), lines[1].characters.map(\.label))
        XCTAssertEqual(back[2].characters.map(\.box), lines[2].characters.map(\.box))
        // The same file is plain COCO for the evaluator.
        let coco = try COCOGroundTruth(contentsOfFile: url.path)
        XCTAssertEqual(coco.annotations.count, lines.reduce(0) { $0 + $1.characters.count })
        XCTAssertEqual(coco.categories.map(\.name), ["character"])
    }

    // MARK: character error rate

    func testCharacterErrorRateFoldsMergedLettersAndSpaces() {
        // 'o' and 'l' are merged classes (compared upper case); 'h' and 'e' are not.
        XCTAssertEqual(TextMetrics.errors(truth: "hello world", read: "heLLO  wOrLd").edits, 0)
        XCTAssertEqual(TextMetrics.errors(truth: "hello world", read: "HeLLO world").edits, 1)
        XCTAssertEqual(TextMetrics.errors(truth: " ab  cd ", read: "ab cd").characters, 5)
        XCTAssertEqual(TextMetrics.editDistance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(TextMetrics.errors(truth: "abc", read: "").edits, 3)
    }

    // MARK: the pipeline on the bundled sample lines

    private func sampleLines() throws -> [(LineRecord, Image)] {
        try LineSet.load(contentsOfFile: Self.samples.appendingPathComponent("ground-truth.json").path).map {
            ($0, try Image(contentsOf: Self.samples.appendingPathComponent($0.fileName).path))
        }
    }

    private func errorRate(_ reader: LineReader, _ lines: [(LineRecord, Image)]) throws -> Double {
        var edits = 0, total = 0
        for (record, image) in lines {
            let e = TextMetrics.errors(truth: record.text, read: try reader.read(image).text)
            edits += e.edits; total += e.characters
        }
        return Double(edits) / Double(total)
    }

    func testCommittedModelsReadTheSampleLines() throws {
        let lines = try sampleLines()
        XCTAssertEqual(lines.count, 12)
        let cer = try errorRate(reader(), lines)
        XCTAssertLessThanOrEqual(cer, 0.2, "CER of the CNN pipeline on the bundled lines")
        // Boxes against the ground truth: nearly every character found at IoU ≥ 0.5.
        var matched = 0, total = 0
        for (record, image) in lines {
            let found = try reader().read(image).characters.map(\.box)
            for c in record.characters {
                total += 1
                if found.contains(where: { $0.iou(c.box) >= 0.5 }) { matched += 1 }
            }
        }
        XCTAssertGreaterThanOrEqual(Double(matched) / Double(total), 0.95)
    }

    func testClassicSegmenterIsAWorkingBaseline() throws {
        let lines = try sampleLines()
        let cer = try errorRate(reader(.classic), lines)
        XCTAssertLessThan(cer, 0.6, "the classic baseline reads a good part of the lines")
        XCTAssertGreaterThan(cer, 0.0)
    }

    func testReadingIsInReadingOrderWithBoxesInsideTheImage() throws {
        let (_, image) = try sampleLines()[0]
        let r = try reader().read(image)
        XCTAssertEqual(r.width, image.width)
        XCTAssertFalse(r.characters.isEmpty)
        let xs = r.characters.map(\.box.centerX)
        XCTAssertEqual(xs, xs.sorted())
        for c in r.characters {
            XCTAssertTrue(c.box.x1 >= 0 && c.box.y1 >= 0 && c.box.x2 <= Double(image.width) && c.box.y2 <= Double(image.height))
            XCTAssertEqual(c.alternatives.count, 3)
            XCTAssertEqual(c.alternatives[0].label, c.label)
            XCTAssertTrue((0...1).contains(c.score))
            XCTAssertGreaterThanOrEqual(c.alternatives[0].probability, c.alternatives[1].probability)
        }
        XCTAssertEqual(r.text.replacingOccurrences(of: " ", with: ""), r.characters.map(\.label).joined())
    }

    func testOppositePolarityReadsTheSame() throws {
        let (record, image) = try sampleLines()[1]
        let inverted = Image(width: image.width, height: image.height, channels: image.channels,
                             pixels: image.pixels.map { 255 - $0 })
        let a = try reader().read(image).text, b = try reader().read(inverted).text
        let e = TextMetrics.errors(truth: a, read: b)
        XCTAssertLessThanOrEqual(Double(e.edits) / Double(max(e.characters, 1)), 0.15, "\(a) vs \(b) (truth \(record.text))")
    }

    // MARK: odd inputs: a clear answer, never a crash

    func testBlankPaperHasNoCharacters() throws {
        var rng = SplitMix64(seed: 1)
        let paper = Image(width: 300, height: 48, channels: 1,
                          pixels: (0..<(300 * 48)).map { _ in UInt8(200 + Int(rng.next() % 12)) })
        XCTAssertEqual(try reader().read(paper).characters.count, 0)
        XCTAssertEqual(try reader(.classic).read(paper).characters.count, 0)
    }

    func testAPhotoWithNoTextGivesAnAnswerInsideTheImage() throws {
        let photo = try Image(contentsOf: Self.root.appendingPathComponent("Datasets/photos/astronaut.png").path)
        for segmenter in [Segmenter.cnn, .classic] {
            let r = try reader(segmenter).read(photo)
            XCTAssertEqual(r.width, 512)
            XCTAssertTrue(r.characters.allSatisfy { $0.box.x1 >= 0 && $0.box.y1 >= 0 && $0.box.x2 <= 512 && $0.box.y2 <= 512 })
            XCTAssertEqual(r.text.replacingOccurrences(of: " ", with: ""), r.characters.map(\.label).joined())
        }
    }

    func testOnePixelLinesAndTinyImages() throws {
        for (w, h) in [(1, 1), (300, 1), (1, 300), (2, 2)] {
            let image = Image(width: w, height: h, channels: 1, pixels: [UInt8](repeating: 30, count: w * h))
            let r = try reader().read(image)
            XCTAssertEqual(r.width, w)
            XCTAssertTrue(r.characters.allSatisfy { $0.box.x2 <= Double(w) && $0.box.y2 <= Double(h) })
        }
    }

    func testTwentyThousandPixelWideLine() throws {
        // A real sample line repeated end to end to 20,000 pixels.
        let (record, line) = try sampleLines()[2]
        let repeats = 20_000 / line.width + 1
        var pixels = [UInt8]()
        let c = line.channels
        for y in 0..<line.height {
            for _ in 0..<repeats { pixels += line.pixels[(y * line.width * c)..<((y + 1) * line.width * c)] }
        }
        let wide = Image(width: line.width * repeats, height: line.height, channels: c, pixels: pixels)
        let r = try reader().read(wide)
        XCTAssertEqual(r.width, line.width * repeats)
        let expected = record.characters.count * repeats
        XCTAssertEqual(Double(r.characters.count), Double(expected), accuracy: Double(expected) * 0.1)
    }

    func testALineTooLongForItsHeightIsAClearError() throws {
        let image = Image(width: 40_000, height: 2, channels: 1, pixels: (0..<80_000).map { $0 % 7 == 0 ? 0 : 255 })
        XCTAssertThrowsError(try reader().read(image)) { error in
            XCTAssertTrue("\(error)".contains("too long for its height"), "\(error)")
        }
    }
}
