// `fovea evaluate-faces`: the face-crop model's figures on a split of a
// SMILEsmileD-style folder: landmark NME per point and overall beside the
// mean-shape baseline, smile ROC-AUC and accuracy beside the majority guess,
// and a reliability diagram of the calibrated score.
import ArgumentParser
import FoveaEngine
import FoveaFace
import FoveaImage
import FoveaOCR
import FoveaPlot
import Foundation

struct EvaluateFacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-faces",
        abstract: "Landmark NME and smile AUC / accuracy of the face-crop model on a split of a face-crop set.")

    @Option(help: "Folder of face crops (images/, labels.csv, landmarks.csv).")
    var data: String

    @Option(help: "Which part: test, validation, train or all (the split of `fovea train landmarks`).")
    var split = "test"

    @Option(help: "Face-crop model (default: the committed one).")
    var model: String?

    @Option(help: "Landmark model (default: the committed one).")
    var landmarkModel: String?

    @Flag(help: "Take the points from the face-crop model's own landmark head instead of a landmark model.")
    var ownLandmarks = false

    @Flag(help: "Read each crop once, without averaging with its mirror image.")
    var noFlip = false

    @Option(help: "Write the reliability diagram (PNG) here.")
    var reliability: String?

    @Option(help: "Also write the split's file names and smile labels (CSV) here, for peer scripts.")
    var listSplit: String?

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func validate() throws {
        if !["test", "validation", "train", "all"].contains(split) { throw ValidationError("--split must be test, validation, train or all") }
    }

    func run() throws {
        let path = try model ?? ModelLocator.model(named: FaceAnalyzer.defaultFileName, hint: "train one: Tools/train_face_models.sh").path
        let landmarks = ownLandmarks ? nil : (landmarkModel ?? SmilePipeline.defaultLandmarkModel())
        let analyzer = try FaceAnalyzer(contentsOf: path, landmarks: landmarks)
        if noFlip { analyzer.landmarker?.flipAveraging = false }
        let set = try FaceCropSet.load(folder: data)
        let parts = set.split()
        let indices = ["test": parts.test, "validation": parts.validation, "train": parts.train][split] ?? Array(0..<set.count)
        let subset = set.subset(indices)
        if let listSplit {
            let rows = zip(subset.files, subset.smiles).map { "\($0),\($1)" }
            try (["file,smile"] + rows).joined(separator: "\n").appending("\n").write(toFile: listSplit, atomically: true, encoding: .utf8)
        }
        let e = FaceTraining.evaluate(analyzer, on: subset, meanShapeFrom: set.subset(parts.train))
        if let reliability {
            let bins = FaceMetrics.reliability(probabilities: e.probabilities, labels: e.labels)
            let chart = LineChart(title: "smile score reliability (\(split), \(e.faces) faces)", xLabel: "predicted probability",
                                  yLabel: "observed frequency",
                                  series: [Series(name: "ideal", x: [0, 1], y: [0, 1]),
                                           Series(name: "Fovea", x: bins.map(\.predicted), y: bins.map(\.observed), marker: .circle)],
                                  legend: .bottomRight)
            try chart.render(width: 700, height: 600).write(to: reliability)
        }
        let names = FacePoint.allCases.map(\.name)
        if json {
            printJSONObject(["split": split, "faces": e.faces, "nme": e.nme, "baseline_nme": e.baselineNME,
                             "nme_per_point": Dictionary(uniqueKeysWithValues: zip(names, e.nmePerPoint)),
                             "baseline_nme_per_point": Dictionary(uniqueKeysWithValues: zip(names, e.baselineNMEPerPoint)),
                             "auc": e.auc, "accuracy": e.accuracy, "majority_accuracy": e.majorityAccuracy,
                             "threshold": analyzer.threshold])
            return
        }
        print("\(split) split: \(e.faces) faces; points from \(landmarks ?? "the face-crop model's head")"
              + (analyzer.landmarker == nil ? "" : (noFlip ? ", one reading" : ", flip-averaged")))
        print(String(format: "landmark NME: %.2f%% (mean-shape baseline %.2f%%)", e.nme * 100, e.baselineNME * 100))
        for (k, name) in names.enumerated() {
            print(String(format: "  %-17@ %.2f%%  (baseline %.2f%%)", name, e.nmePerPoint[k] * 100, e.baselineNMEPerPoint[k] * 100))
        }
        print(String(format: "smile: ROC-AUC %.4f, accuracy %.4f at threshold %.3f (majority guess %.4f)", e.auc, e.accuracy,
                     analyzer.threshold, e.majorityAccuracy))
    }
}
