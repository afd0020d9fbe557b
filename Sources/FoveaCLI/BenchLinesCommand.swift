// `fovea bench-lines`: the OCR pipeline's speed on text lines resized to a
// fixed size (default 32x256): one line end to end (decode excluded) on one
// thread, split into its stages, and lines per second on all cores.
import ArgumentParser
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation

struct BenchLinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-lines",
        abstract: "Measure the OCR pipeline's milliseconds per text line and lines per second.",
        discussion: "Build fovea in release mode first (swift build -c release --product fovea). Tools/bench_ocr.sh runs Tesseract on the same lines in the same run."
    )

    @Argument(help: "Text-line images (default: the bundled Datasets/ocr-samples).")
    var images: [String] = []

    @Option(help: "Resize every line to this width and height first, as WxH (0x0 keeps them).")
    var size = "256x32"

    @Option(help: "Timed passes over the lines.")
    var rounds = 20

    @Option(help: "Detector model (default: the committed one).")
    var model: String?

    @Option(help: "Also time reading the lines this many at a time (one classifier call for all, as the service's micro-batches).")
    var batch = 8

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Option(help: "Also write the resized lines here (PNG), so a peer can be timed on the same pixels.")
    var writeResized: String?

    func run() throws {
        #if DEBUG
        note("warning: this fovea is a debug build; its figures are not representative")
        #endif
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 >= 0 }) else { throw ValidationError("--size must be WxH, got '\(size)'") }
        var paths = images
        if paths.isEmpty {
            let folder = "Datasets/ocr-samples"
            paths = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }.sorted()
                .map { "\(folder)/\($0)" }
        }
        let lines = try paths.map { path -> Image in
            let image = try Image(contentsOf: path)
            return parts[0] > 0 ? image.resized(width: parts[0], height: parts[1]) : image
        }
        guard !lines.isEmpty else { throw ValidationError("no line images to measure") }
        if let writeResized {
            try FileManager.default.createDirectory(atPath: writeResized, withIntermediateDirectories: true)
            for (i, line) in lines.enumerated() { try line.write(to: "\(writeResized)/line-\(i + 1).png") }
        }
        let detectorPath = try model ?? ModelLocator.model(named: CharacterDetector.defaultFileName, hint: "train one").path
        let reader = LineReader(detector: try CharacterDetector(contentsOf: detectorPath),
                                classifier: try CharacterClassifier(contentsOf: LineReader.defaultClassifier().path))
        func measure(threads: Int) throws -> (perLine: [Double], prepare: [Double], detect: [Double]) {
            Engine.setThreads(threads)
            for line in lines { _ = try reader.read(line) }
            var perLine = [Double](), prepare = [Double](), detect = [Double]()
            let clock = ContinuousClock()
            for _ in 0..<rounds {
                for line in lines {
                    let t0 = clock.now
                    let input = try LineInput(image: line, height: CharacterDetector.inputHeight, widthMultiple: 4)
                    let t1 = clock.now
                    _ = try reader.detector!.detect(input, minScore: 0.3, nmsIoU: 0.5)
                    let t2 = clock.now
                    _ = try reader.read(line)
                    let t3 = clock.now
                    prepare.append((t1 - t0) / .milliseconds(1))
                    detect.append((t2 - t1) / .milliseconds(1))
                    perLine.append((t3 - t2) / .milliseconds(1))
                }
            }
            return (perLine, prepare, detect)
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        func measureBatched(threads: Int) -> Double {
            Engine.setThreads(threads)
            let group = (0..<max(1, batch)).map { lines[$0 % lines.count] }
            _ = reader.read(group)
            let clock = ContinuousClock()
            var perLine = [Double]()
            for _ in 0..<rounds {
                let t0 = clock.now
                _ = reader.read(group)
                perLine.append((clock.now - t0) / .milliseconds(1) / Double(group.count))
            }
            return median(perLine)
        }
        let batched = measureBatched(threads: 1)
        let one = try measure(threads: 1)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let all = try measure(threads: cores)
        let linesPerSecond = 1000 / (all.perLine.reduce(0, +) / Double(all.perLine.count))
        if json {
            printJSONObject(["lines": lines.count, "size": size, "ms_per_line_1_thread": median(one.perLine),
                             "ms_prepare": median(one.prepare), "ms_detect": median(one.detect),
                             "lines_per_second_all_cores": linesPerSecond, "cores": cores,
                             "batch": batch, "ms_per_line_batched_1_thread": batched])
            return
        }
        print(String(format: "%d lines (%@), %d rounds", lines.count, size, rounds))
        print(String(format: "one line end to end, 1 thread: median %.2f ms (normalise %.2f ms, detect %.2f ms, the rest: crops, classification, text)",
                     median(one.perLine), median(one.prepare), median(one.detect)))
        print(String(format: "%d threads: median %.2f ms a line, %.0f lines/s", cores, median(all.perLine), linesPerSecond))
        print(String(format: "%d lines at a time, 1 thread: median %.2f ms a line", batch, batched))
    }
}
