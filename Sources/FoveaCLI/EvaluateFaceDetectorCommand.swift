// `fovea evaluate-face-detector`: the face detector's COCO figures on
// synthetic photos made from one split's face crops over a folder of
// backgrounds (the test split over held-out backgrounds for the reported
// figures), optionally written out as PNGs, COCO ground truth and
// detections so `fovea evaluate` can check them.
import ArgumentParser
import FoveaDetection
import FoveaEngine
import FoveaFace
import FoveaImage
import Foundation

struct EvaluateFaceDetectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-face-detector",
        abstract: "COCO AP of the face detector on synthetic photos of held-out faces and backgrounds."
    )

    @Option(help: "Folder of the face crops (as ../shared/datasets/smiles).")
    var data: String

    @Option(help: "Which split's crops to paste: train, validation or test.")
    var split = "test"

    @Option(help: "Folder of face-free background photos.")
    var backgrounds = "Datasets/face-backgrounds/heldout"

    @Option(help: "Synthetic photos to make.")
    var count = 500

    @Option(help: "Random seed of the photos.")
    var seed: UInt64 = 2026

    @Option(help: "Face detector (default: the committed one).")
    var model: String?

    @Option(help: "Write the photos, ground-truth.json and detections.json here.")
    var writeDir: String?

    @Option(help: "Threads for the engine's loops (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func run() throws {
        if let threads { Engine.setThreads(max(1, threads)) }
        let set = try FaceCropSet.load(folder: data)
        let parts = set.split()
        let indices: [Int]
        switch split {
        case "train": indices = parts.train
        case "validation": indices = parts.validation
        case "test": indices = parts.test
        default: throw ValidationError("--split must be train, validation or test, got '\(split)'")
        }
        let scenery = try FaceBackgrounds.load(folder: backgrounds)
        let detector = try FaceDetector.load(model)
        let photos = FaceDetectorTraining.evaluationPhotos(faces: set.subset(indices), backgrounds: scenery, count: count, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        let (figures, gt, detections) = try FaceDetectorTraining.evaluate(detector, on: photos)
        let ms = (clock.now - start) / .milliseconds(1) / Double(max(photos.count, 1))
        if let writeDir {
            try FileManager.default.createDirectory(atPath: writeDir, withIntermediateDirectories: true)
            for (i, p) in photos.enumerated() {
                try Image(width: p.width, height: p.height, channels: 1, pixels: p.pixels)
                    .write(to: URL(fileURLWithPath: writeDir).appendingPathComponent(String(format: "photo-%05d.png", i + 1)).path)
            }
            let box = { (b: Box) -> JSONValue in .array(b.coco.map { .number($0, digits: 2) }) }
            let truth = JSONValue.object([
                ("images", .array(photos.enumerated().map { i, p in
                    .object([("id", .int(i + 1)), ("file_name", .string(String(format: "photo-%05d.png", i + 1))),
                             ("width", .int(p.width)), ("height", .int(p.height))])
                })),
                ("categories", .array([.object([("id", .int(1)), ("name", .string("face"))])])),
                ("annotations", .array(gt.annotations.map { a in
                    .object([("id", .int(a.id)), ("image_id", .int(a.imageID)), ("category_id", .int(1)),
                             ("bbox", box(Box(x: a.bbox.x, y: a.bbox.y, width: a.bbox.width, height: a.bbox.height))),
                             ("area", .number(a.area, digits: 2)), ("iscrowd", .int(0))])
                })),
            ])
            let results = JSONValue.array(detections.map { d in
                .object([("image_id", .int(d.imageID)), ("category_id", .int(1)),
                         ("bbox", box(Box(x: d.bbox.x, y: d.bbox.y, width: d.bbox.width, height: d.bbox.height))),
                         ("score", .number(d.score, digits: 5))])
            })
            try Data(truth.text.utf8).write(to: URL(fileURLWithPath: writeDir).appendingPathComponent("ground-truth.json"))
            try Data(results.text.utf8).write(to: URL(fileURLWithPath: writeDir).appendingPathComponent("detections.json"))
        }
        let names = ["AP@[.5:.95]", "AP50", "AP75", "AP small", "AP medium", "AP large",
                     "AR1", "AR10", "AR100", "AR small", "AR medium", "AR large"]
        if json {
            print(JSONValue.object(zip(names, figures.stats).map { ($0, .number($1, digits: 4)) }
                                   + [("images", .int(figures.images)), ("faces", .int(figures.faces)),
                                      ("ms_per_photo", .number(ms, digits: 2))]).text)
        } else {
            print("\(figures.images) photos (\(split) split crops over \(scenery.photos.count) photos of \(backgrounds)), "
                  + "\(figures.faces) faces, \(figures.detections) detections")
            for (n, v) in zip(names, figures.stats) { print(String(format: "  %-12@ %.4f", n as NSString, v)) }
            print(String(format: "  %.1f ms a photo (detector, all threads)", ms))
        }
    }
}
