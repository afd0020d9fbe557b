// `fovea smile`: how widely the people in photos smile — each face's box,
// its 10 landmarks and a calibrated smile probability — through the smile
// pipeline (SmilePipeline). A line per face for people, JSON Lines for
// machines, annotated PNGs.
import ArgumentParser
import FoveaDetection
import FoveaEngine
import FoveaFace
import FoveaImage
import FoveaOCR
import FoveaPlot
import Foundation

struct SmileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smile",
        abstract: "Score how widely the people in photos smile (face, landmarks, smile probability).",
        discussion: """
        With --face-crop each image is one face (its centred square), as the 64x64 crops the model \
        learnt from. Without it the face detector (Models/face-detector.safetensors, or --face-detector) finds the faces: square boxes framed as the crops, each with a score; a photo with no face gives an empty list. Models are found in \
        $FOVEA_MODELS_DIR, else Models/ beside or above the executable, else ./Models. A file that \
        cannot be read is reported (with --json as {"file", "error"}) and makes the exit status 1; the \
        others are still scored.
        """
    )

    @Argument(help: "Images (PNG or JPEG).")
    var images: [String]

    @Flag(help: "Treat each whole image as one face crop.")
    var faceCrop = false

    @OptionGroup var output: PipelineOutputOptions

    @Option(help: "Face detector score below which a face is not reported (0-1).")
    var minFaceScore = 0.5

    @Option(help: "Face-crop model (landmarks + smile; safetensors from `fovea train landmarks`).")
    var model: String?

    @Option(help: "Landmark model (safetensors from `fovea train landmarks --landmarks-only`; default: the committed one).")
    var landmarkModel: String?

    @Option(help: "Face detector (safetensors from `fovea train face-detector`; default: the committed one).")
    var faceDetector: String?


    func validate() throws {
        if !(0...1).contains(minFaceScore) { throw ValidationError("--min-face-score must be in 0...1, got \(minFaceScore)") }
        try output.check(inputs: images.count)
    }

    func run() throws {
        try output.prepare()
        let pipeline = try SmilePipeline.load(model: model, landmarks: landmarkModel, faceDetector: faceDetector, minFaceScore: minFaceScore)
        var failures = 0
        for file in images {
            let image: Image, reading: SmileReading
            do {
                image = try Image(contentsOf: file)
                reading = try pipeline.read(image, faceCrop: faceCrop)
            } catch {
                failures += 1
                output.report(file, error)
                continue
            }
            if output.json { print(reading.json(file: file).text) } else { printFaces(file, reading) }
            if let out = output.annotationPath(for: file) {
                try SmileAnnotation.render(image, reading).write(to: out)
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    private func printFaces(_ file: String, _ r: SmileReading) {
        print("\(file) (\(r.width)x\(r.height), \(String(format: "%.1f", r.elapsedMilliseconds)) ms): \(r.faces.count) face(s)")
        for (i, f) in r.faces.enumerated() {
            print(String(format: "  face %d: box %.0f, %.0f, %.0f, %.0f  score %.2f  smile %.3f  %@", i + 1, f.box.x1, f.box.y1,
                         f.box.width, f.box.height, f.score, f.smileProbability, f.smiling ? "smiling" : "not smiling"))
        }
    }
}
