// `fovea export-reference` (hidden): Fovea's own outputs for a set of real
// inputs, preprocessed as the pipelines do, in the exported contract's
// terms, as .npy files, so Tools/verify_export.sh can feed the very same
// input tensors to ONNX Runtime and LiteRT and compare like with like.
// Layout: DIR/batch-NNNN/input.npy and one OUTPUT.npy per output (for
// face-landmarks also landmarks-flip-averaged.npy, Fovea's two-pass points).
import ArgumentParser
import FoveaDetection
import FoveaEngine
import FoveaExport
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

struct ExportReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-reference",
        abstract: "Write Fovea's outputs for real inputs as .npy, for checking exported models.",
        shouldDisplay: false
    )

    @Argument(help: "Model file (safetensors).")
    var model: String

    @Option(help: "Classifier: an EMNIST IDX images file (read upright).")
    var idx: String?

    @Option(help: "Face-crop or face-landmarks model: a folder laid out as ../shared/datasets/smiles.")
    var faceCrops: String?

    @Option(help: "Detector: a folder of text-line PNG files.")
    var lines: String?

    @Option(help: "Face detector: a folder of photos (PNG, JPEG), each read at Fovea's pyramid levels, one input a level.")
    var photos: String?

    @Option(help: "Number of inputs.")
    var count = 1000

    @Option(help: "Folder to write into (created).")
    var outputDir: String

    func validate() throws {
        guard [idx, faceCrops, lines, photos].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --idx, --face-crops, --lines, --photos")
        }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        if let idx {
            let images = try IDX.readImages(path: idx, transposed: true)
            let x = images.subset(Array(0..<min(count, images.count))).tensor()
            if QuantizedModelFile.isQuantized(model) {
                try write(batch: 0, input: x, outputs: [("probabilities", QuantizedModelFile.read(model).predict(x))])
            } else {
                let file = try ModelFile(contentsOf: URL(fileURLWithPath: model))
                try write(batch: 0, input: x, outputs: [("probabilities", file.model.predict(x, batchSize: 256))])
            }
        } else if let faceCrops, try MultiOutputModelFile(contentsOf: URL(fileURLWithPath: model)).training["kind"] == FaceLandmarker.kind {
            // The exported file is the single forward pass; flip averaging is the caller's,
            // so Fovea's flip-averaged points go beside it for checking the caller's recipe.
            let landmarker = try FaceLandmarker(contentsOf: model)
            let set = try FaceCropSet.load(folder: faceCrops, limit: count)
            landmarker.flipAveraging = true
            let averaged = landmarker.points(set.pixels, count: set.count)
            landmarker.flipAveraging = false
            let marks = landmarker.points(set.pixels, count: set.count)
            try write(batch: 0, input: FaceAnalyzer.tensor(set.pixels, count: set.count),
                      outputs: [("landmarks", Tensor(shape: [set.count, 20], data: marks)),
                                ("landmarks-flip-averaged", Tensor(shape: [set.count, 20], data: averaged))])
        } else if let faceCrops {
            let analyzer = try FaceAnalyzer(contentsOf: model)
            let set = try FaceCropSet.load(folder: faceCrops, limit: count)
            let x = FaceAnalyzer.tensor(set.pixels, count: set.count)
            let marks = analyzer.raw(set.pixels, count: set.count).landmarks
            let smile = analyzer.model.predict(x, batchSize: 256)["smile"]!
            try write(batch: 0, input: x, outputs: [("landmarks", Tensor(shape: [set.count, 20], data: marks)), ("smile", smile)])
        } else if let lines {
            let detector = try CharacterDetector(contentsOf: model)
            let files = try FileManager.default.contentsOfDirectory(atPath: lines).filter { $0.hasSuffix(".png") }.sorted()
            let stride = Float(detector.geometry.stride)
            for (i, name) in files.prefix(count).enumerated() {
                let input = try LineInput(image: Image(contentsOf: (lines as NSString).appendingPathComponent(name)),
                                          height: CharacterDetector.inputHeight, widthMultiple: detector.geometry.stride)
                let p = try detector.predict(input)
                let (h, w) = (p.shape[1], p.shape[2])
                func channels(_ range: Range<Int>, _ f: (Float) -> Float) -> Tensor {
                    var out: [Float] = []
                    out.reserveCapacity(h * w * range.count)
                    for cell in 0..<(h * w) { for c in range { out.append(f(p.data[cell * detector.geometry.outputChannels + c])) } }
                    return Tensor(shape: [1, h, w, range.count], data: out)
                }
                let x = Tensor(shape: [1, CharacterDetector.inputHeight, input.width, 1], data: input.detectorInput)
                var outputs = [
                    ("heatmap", channels(0..<1) { 1 / (1 + exp(-$0)) }),
                    ("size", channels(1..<3) { $0 * stride }), ("offset", channels(3..<5) { $0 * stride }),
                ]
                let classes = detector.geometry.classes
                if classes > 0 {
                    // Softmax over each cell's class logits (max subtracted, in Double), as the detector reads them at a centre.
                    let logits = channels(5..<(5 + classes)) { $0 }.data
                    var probabilities: [Float] = []
                    probabilities.reserveCapacity(logits.count)
                    for row in Swift.stride(from: 0, to: logits.count, by: classes) {
                        let cell = logits[row..<(row + classes)]
                        let top = cell.max()!
                        let e = cell.map { exp(Double($0 - top)) }
                        let sum = e.reduce(0, +)
                        probabilities += e.map { Float($0 / sum) }
                    }
                    outputs.append(("class_probabilities", Tensor(shape: [1, h, w, classes], data: probabilities)))
                }
                try write(batch: i, input: x, outputs: outputs)
            }
            note("\(min(count, files.count)) lines")
        } else if let photos {
            // Each pyramid level of each photo is one input, as FaceDetector feeds it; the maps in the contract's terms.
            let detector = try FaceDetector(contentsOf: model)
            let files = try FileManager.default.contentsOfDirectory(atPath: photos)
                .filter { [".png", ".jpg", ".jpeg"].contains(where: $0.lowercased().hasSuffix) }.sorted()
            let stride = Float(FaceDetector.stride), channels = CenterNetGeometry.predictionChannels
            var written = 0
            outer: for name in files {
                let image = try Image(contentsOf: (photos as NSString).appendingPathComponent(name))
                for level in detector.pyramid(image) {
                    guard written < count else { break outer }
                    let (x, p) = try detector.predictLevel(level.pixels, width: level.width, height: level.height)
                    let (h, w) = (p.shape[1], p.shape[2])
                    func map(_ range: Range<Int>, _ f: (Float) -> Float) -> Tensor {
                        var out: [Float] = []
                        out.reserveCapacity(h * w * range.count)
                        for cell in 0..<(h * w) { for c in range { out.append(f(p.data[cell * channels + c])) } }
                        return Tensor(shape: [1, h, w, range.count], data: out)
                    }
                    try write(batch: written, input: x, outputs: [
                        ("heatmap", map(0..<1) { 1 / (1 + exp(-$0)) }),
                        ("size", map(1..<3) { $0 * stride }), ("offset", map(3..<5) { $0 * stride }),
                    ])
                    written += 1
                }
            }
            note("\(written) pyramid levels")
        }
    }

    private func write(batch: Int, input: Tensor, outputs: [(String, Tensor)]) throws {
        let folder = (outputDir as NSString).appendingPathComponent(String(format: "batch-%04d", batch))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, t) in [("input", input)] + outputs {
            try NPY.encode(t).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("\(name).npy")))
        }
    }
}
