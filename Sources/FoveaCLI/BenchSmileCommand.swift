// `fovea bench-smile`: the smile pipeline's milliseconds per face crop end
// to end (decode excluded: crop, landmarks, smile score), median of rounds.
import ArgumentParser
import FoveaEngine
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

struct BenchSmileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-smile",
        abstract: "Measure the smile pipeline's milliseconds per face crop.",
        discussion: "Build fovea in release mode first (swift build -c release --product fovea).")

    @Argument(help: "Face crops (PNG or JPEG).")
    var images: [String]

    @Option(help: "Timed passes over the crops.")
    var rounds = 20

    @Option(help: "Threads for the engine's loops.")
    var threads = 1

    @Option(help: "Face-crop model (default: the committed one).")
    var model: String?

    @Option(help: "Landmark model (default: the committed one).")
    var landmarkModel: String?

    @Flag(help: "Read each crop once for its points, without averaging with its mirror image.")
    var noFlip = false

    func run() throws {
        #if DEBUG
        note("warning: this fovea is a debug build; its figures are not representative")
        #endif
        guard !images.isEmpty, rounds >= 1, threads >= 1 else { throw ValidationError("give crops, --rounds ≥ 1 and --threads ≥ 1") }
        Engine.setThreads(threads)
        let path = try model ?? ModelLocator.model(named: FaceAnalyzer.defaultFileName, hint: "train one: Tools/train_face_models.sh").path
        let analyzer = try FaceAnalyzer(contentsOf: path, landmarks: landmarkModel ?? SmilePipeline.defaultLandmarkModel())
        if noFlip { analyzer.landmarker?.flipAveraging = false }
        let pipeline = SmilePipeline(analyzer: analyzer, finder: nil)
        let crops = try images.map { try Image(contentsOf: $0) }
        for c in crops { _ = try pipeline.read(c, faceCrop: true) }
        var times = [Double]()
        let clock = ContinuousClock()
        for _ in 0..<rounds {
            for c in crops {
                let t0 = clock.now
                _ = try pipeline.read(c, faceCrop: true)
                times.append((clock.now - t0) / .milliseconds(1))
            }
        }
        times.sort()
        print(String(format: "%d crops x %d rounds, %d thread(s): median %.3f ms a crop, p90 %.3f ms", crops.count, rounds, threads,
                     times[times.count / 2], times[times.count * 9 / 10]))
    }
}
