// `fovea train landmarks`: trains the face-crop model — the 10-point
// landmark regressor and the smile head on one backbone — on a folder laid
// out as the SMILEsmileD set, with a progress bar, validation figures per
// epoch, the best checkpoint, Platt calibration and curves. With
// --landmarks-only it trains the landmark model alone instead (its own
// backbone, checkpoint by validation NME, reported per epoch).
import ArgumentParser
import FoveaEngine
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

extension LandmarkArchitecture: ExpressibleByArgument {}

struct TrainLandmarksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landmarks",
        abstract: "Train the face-crop model (10 landmarks and the smile score on one backbone) or, with --landmarks-only, the landmark model.",
        discussion: """
        --data is a folder with images/ (64x64 face crops), labels.csv (file,smile) and landmarks.csv \
        (file,ok,x0,y0,…,x9,y9), as ../shared/datasets/smiles. The split is seeded and stratified: \
        70% train, 15% validation (checkpoint, calibration and threshold), 15% test (never used here; \
        `fovea evaluate-faces` reports it).
        """
    )

    @Option(help: "Folder of the face crops and their labels.")
    var data: String

    @Option(help: "Passes over the (augmented) training crops (default: 12, or 30 with --landmarks-only).")
    var epochs: Int?

    @Flag(help: "Train the landmark model alone (face-landmarks.safetensors; checkpoint by validation NME).")
    var landmarksOnly = false

    @Option(help: "With --landmarks-only: heatmap (one 16x16 heatmap per point read by a spatial soft-argmax; the default) or dense (points regressed from flattened 8x8 features).")
    var architecture: LandmarkArchitecture?

    @Option(help: "Crops per optimisation step.")
    var batchSize = 64

    @Option(help: "Adam learning rate (cosine decay to 0).")
    var learningRate: Float = 0.002

    @Option(help: "Random seed for weights, shuffling and augmentation.")
    var seed: UInt64 = 3

    @Option(help: "Threads for BLAS and the engine's loops (default: all cores).")
    var threads: Int?

    @Option(help: "Where to write the best model (safetensors).")
    var output: String

    @Option(help: "Folder for training-curves.png.")
    var plotsDir: String?

    func validate() throws {
        if let architecture, !landmarksOnly {
            throw ValidationError("--architecture \(architecture.rawValue) is for the landmark model alone; add --landmarks-only")
        }
    }

    func run() throws {
        if let threads { Engine.setThreads(max(1, threads)) }
        let set = try FaceCropSet.load(folder: data)
        if landmarksOnly { return try trainLandmarks(set) }
        note("training the face-crop model on \(set.count) crops of \(data), \(Engine.threads) threads")
        var options = FaceTrainingOptions()
        options.epochs = epochs ?? 12
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.seed = seed
        let url = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bar = ProgressBar(batchSize: batchSize)
        let result = try FaceTraining.train(set: set, options: options, output: url, onBatch: { bar.update($0) },
                                            onEpoch: { e, nme, saved in
            bar.finish()
            let l = e.logs
            note(String(format: "epoch %d/%d: loss %.4f val_loss %.4f val_landmarks_loss %.5f val_nme %.2f%% val_smile_accuracy %.4f (%.1f s)%@",
                        e.epoch, e.epochs, Double(e.loss), Double(l["val_loss"] ?? .nan), Double(l["val_landmarks_loss"] ?? .nan), nme * 100,
                        Double(l["val_smile_accuracy"] ?? .nan), e.seconds, saved ? ", saved" : ""))
        })
        if let plotsDir {
            try FileManager.default.createDirectory(atPath: plotsDir, withIntermediateDirectories: true)
            let path = URL(fileURLWithPath: plotsDir).appendingPathComponent("training-curves.png").path
            let h = result.history
            try TrainingPlots.curves(h, figures: [("train", (h.metrics["smile_accuracy"] ?? []).map(Double.init)),
                                                  ("validation", (h.metrics["val_smile_accuracy"] ?? []).map(Double.init))],
                                     figureName: "smile accuracy", title: "face-crop model (landmarks + smile)").write(to: path)
            print("plot: \(path)")
        }
        let v = result.validation
        print("model: \(output) (epoch \(result.bestEpoch) of \(result.history.epochsRun))")
        print(String(format: "validation: landmark NME %.2f%% (mean-shape baseline %.2f%%), smile AUC %.4f, accuracy %.4f",
                     v.nme * 100, v.baselineNME * 100, v.auc, v.accuracy))
    }

    private func trainLandmarks(_ set: FaceCropSet) throws {
        let architecture = architecture ?? .heatmap
        note("training the \(architecture.rawValue) landmark model on \(set.count) crops of \(data), \(Engine.threads) threads")
        var options = LandmarkTrainingOptions()
        options.epochs = epochs ?? 30
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.seed = seed
        options.architecture = architecture
        let url = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bar = ProgressBar(batchSize: batchSize)
        let result = try LandmarkTraining.train(set: set, options: options, output: url, onBatch: { bar.update($0) },
                                                onEpoch: { e in
            bar.finish()
            note(String(format: "epoch %d/%d: loss %.5f val_loss %.5f val_nme %.2f%% val_nme_flip %.2f%% (%.1f s)%@",
                        e.epoch, e.epochs, e.loss, e.validationLoss, e.nme * 100, e.flipNME * 100, e.seconds, e.saved ? ", saved" : ""))
        })
        if let plotsDir {
            try FileManager.default.createDirectory(atPath: plotsDir, withIntermediateDirectories: true)
            let path = URL(fileURLWithPath: plotsDir).appendingPathComponent("landmark-training-curves.png").path
            let h = result.history
            try TrainingPlots.curves(h, figures: [("one reading", (h.metrics["val_nme"] ?? []).map { Double($0) * 100 }),
                                                  ("flip-averaged", (h.metrics["val_nme_flip"] ?? []).map { Double($0) * 100 })],
                                     figureName: "validation NME (%)", title: "\(architecture.rawValue) landmark model (wing loss)").write(to: path)
            print("plot: \(path)")
        }
        let v = result.validation
        print("model: \(output) (epoch \(result.bestEpoch) of \(result.history.epochsRun))")
        print(String(format: "validation: landmark NME %.2f%% (mean-shape baseline %.2f%%), %@", v.nme * 100, v.baselineNME * 100,
                     v.flipAveraging ? "flip-averaged" : "one reading"))
        for (k, point) in FacePoint.allCases.enumerated() {
            print(String(format: "  %-17@ %.2f%%  (baseline %.2f%%)", point.name, v.nmePerPoint[k] * 100, v.baselineNMEPerPoint[k] * 100))
        }
    }
}
