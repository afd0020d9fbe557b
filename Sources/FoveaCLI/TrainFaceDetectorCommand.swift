// `fovea train face-detector`: trains the face detector on synthetic photos
// made from the TRAIN split's face crops over background photos, with a
// progress bar, validation COCO AP per epoch (whole photos, the inference
// pyramid), the best checkpoint and a training-curves PNG.
import ArgumentParser
import FoveaEngine
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

struct TrainFaceDetectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "face-detector",
        abstract: "Train the face detector on face crops composited into background photos.",
        discussion: """
        --data is a folder laid out as ../shared/datasets/smiles; only its TRAIN split is pasted into the \
        training pictures, its VALIDATION split into the validation photos whose COCO AP@[.5:.95] picks \
        the checkpoint written to --output (after every epoch that improves it). --backgrounds is a folder \
        of face-free PNG/JPEG photos (Datasets/face-backgrounds/train); procedural textures are mixed in.
        """
    )

    @Option(help: "Folder of the face crops (images/, labels.csv, landmarks.csv).")
    var data: String

    @Option(help: "Folder of face-free background photos.")
    var backgrounds = "Datasets/face-backgrounds/train"

    @Flag(help: "Backgrounds without scene clutter (value noise, lines, two-region mosaics, uneven light): the first recipe.")
    var noClutter = false

    @Option(help: "Passes over the training pictures.")
    var epochs = 10

    @Option(help: "Synthetic training pictures.")
    var trainImages = 6000

    @Option(help: "Side of the square training pictures, pixels (a multiple of 8).")
    var imageSide = 128

    @Option(help: "Synthetic validation photos read after each epoch.")
    var validationImages = 200

    @Option(help: "Pictures per optimisation step.")
    var batchSize = 32

    @Option(help: "Adam learning rate (cosine decay to 0 over all epochs).")
    var learningRate: Float = 0.002

    @Option(help: "Random seed for the pictures, initial weights and shuffling.")
    var seed: UInt64 = 12

    @Option(help: "Start from this face detector's weights (fine-tuning).")
    var initialModel: String?

    @Option(help: "Threads for BLAS and the engine's loops (default: all cores).")
    var threads: Int?

    @Option(help: "Where to write the best model (safetensors).")
    var output: String

    @Option(help: "Folder for training-curves.png.")
    var plotsDir: String?

    func run() throws {
        if let threads { Engine.setThreads(max(1, threads)) }
        var options = FaceDetectorTrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.trainImages = trainImages
        options.imageSide = imageSide
        options.validationImages = validationImages
        options.seed = seed
        options.initialModel = initialModel
        try options.check()
        let set = try FaceCropSet.load(folder: data)
        var scenery = try FaceBackgrounds.load(folder: backgrounds)
        scenery.clutter = !noClutter
        let url = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        note("training the face detector: \(trainImages) pictures of \(imageSide)x\(imageSide) from the train split of \(data) "
             + "over \(scenery.photos.count) photos of \(backgrounds) and textures, \(Engine.threads) threads")
        let bar = ProgressBar(batchSize: batchSize)
        var apCurve = [Double](), ap50Curve = [Double]()
        let result = try FaceDetectorTraining.train(
            set: set, backgrounds: scenery, options: options, output: url,
            onBatch: { bar.update($0) },
            onEpoch: { e in
                bar.finish()
                apCurve.append(e.ap); ap50Curve.append(e.ap50)
                var line = String(format: "epoch %d/%d: loss %.4f", e.result.epoch, e.result.epochs, Double(e.result.loss))
                line += String(format: " val AP %.4f AP50 %.4f (%.1f s)", e.ap, e.ap50, e.result.seconds)
                if e.saved { line += ", saved to \(output)" }
                note(line)
            })
        if let plotsDir {
            try FileManager.default.createDirectory(atPath: plotsDir, withIntermediateDirectories: true)
            let path = URL(fileURLWithPath: plotsDir).appendingPathComponent("training-curves.png").path
            try TrainingPlots.curves(result.history, figures: [("AP@[.5:.95]", apCurve), ("AP50", ap50Curve)],
                                     figureName: "validation AP", title: "face detector on synthetic photos")
                .write(to: path)
            print("plot: \(path)")
        }
        print("model: \(output) (epoch \(result.bestEpoch) of \(result.history.epochsRun))")
        print("training crops: \(result.trainFaces), pictures: \(trainImages), validation photos: \(validationImages)")
        if let f = result.best {
            print(String(format: "validation AP@[.5:.95] %.4f, AP50 %.4f (%d faces)", f.ap, f.ap50, f.faces))
        }
    }
}
