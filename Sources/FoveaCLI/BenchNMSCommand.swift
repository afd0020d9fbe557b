// `fovea bench-nms` (hidden): times greedy NMS on boxes from a JSON file, for
// Tools/bench_nms.py to compare against a numpy implementation of the same rule.

import ArgumentParser
import FoveaDetection
import Foundation

struct BenchNMSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-nms",
        abstract: "Time greedy NMS on boxes from a JSON file (benchmark helper).",
        shouldDisplay: false
    )

    @Option(name: .customLong("boxes"), help: "JSON file: {\"boxes\": [[x1, y1, x2, y2], ...], \"scores\": [...]}.")
    var boxesFile: String

    @Option(name: .customLong("iou-threshold"), help: "Suppress boxes whose IoU with a kept box is greater than this.")
    var iouThreshold: Double = 0.5

    @Option(name: .customLong("repeat"), help: "Timed runs; the fastest is reported.")
    var repeats: Int = 20

    struct Input: Decodable {
        var boxes: [[Double]]
        var scores: [Double]
    }

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let input: Input
        do {
            input = try JSONDecoder().decode(Input.self, from: Data(contentsOf: URL(fileURLWithPath: boxesFile)))
        } catch {
            FileHandle.standardError.write(Data("error: \(boxesFile): \(error)\n".utf8))
            throw ExitCode.failure
        }
        guard input.boxes.count == input.scores.count, input.boxes.allSatisfy({ $0.count == 4 }) else {
            FileHandle.standardError.write(Data("error: \(boxesFile): expected as many scores as boxes, each box [x1, y1, x2, y2]\n".utf8))
            throw ExitCode.failure
        }
        let boxes = input.boxes.map { Box(x1: $0[0], y1: $0[1], x2: $0[2], y2: $0[3]) }
        var best = Double.infinity
        var keep: [Int] = []
        let clock = ContinuousClock()
        for _ in 0..<repeats {
            let start = clock.now
            keep = nonMaxSuppression(boxes: boxes, scores: input.scores, iouThreshold: iouThreshold)
            let elapsed = clock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        print("{\"n\": \(boxes.count), \"seconds\": \(best), \"keep\": [\(keep.map(String.init).joined(separator: ","))]}")
    }
}
