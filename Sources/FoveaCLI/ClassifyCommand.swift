// `fovea classify`: evaluates a character classifier on a labelled IDX set
// (accuracy, per-class accuracy) or classifies character pictures of any
// size (top-3 labels); plus the small output helpers the classifier commands share.
import ArgumentParser
import FoveaEngine
import FoveaImage
import FoveaOCR
import Foundation

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify handwritten characters with a trained model.",
        discussion: """
        With --images and --labels: evaluates the model on an EMNIST-format IDX set. With picture \
        files: normalises each (any size, dark-on-light or light-on-dark) as EMNIST was made and \
        prints its most probable labels. Without --model the default model is used: \
        $FOVEA_MODELS_DIR/\(ModelLocator.defaultFileName), else Models/ beside or above the \
        executable, else ./Models.
        """
    )

    @Option(help: "Model file (safetensors) written by `fovea train classifier`.")
    var model: String?

    @Option(help: "IDX images file to evaluate on (with --labels).")
    var images: String?

    @Option(help: "IDX labels file matching --images.")
    var labels: String?

    @Flag(help: "The IDX images are stored upright (MNIST) rather than transposed (EMNIST).")
    var upright = false

    @Option(help: "Number of labels to show per picture.")
    var top = 3

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @Argument(help: "Character pictures (PNG or JPEG) to classify.")
    var pictures: [String] = []

    func validate() throws {
        if (images == nil) != (labels == nil) { throw ValidationError("--images and --labels go together") }
        if (images == nil) == pictures.isEmpty {
            throw ValidationError("give either --images and --labels to evaluate, or picture files to classify")
        }
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    func run() throws {
        let modelPath = try model ?? ModelLocator.defaultModel().path
        let classifier = try CharacterClassifier(contentsOf: modelPath)
        if let images, let labels {
            try evaluate(classifier, modelPath: modelPath, images: images, labels: labels)
        } else {
            try classifyPictures(classifier)
        }
    }

    private func evaluate(_ classifier: CharacterClassifier, modelPath: String, images: String, labels: String) throws {
        let data = try EMNISTDataset.load(images: images, labels: labels, transposed: !upright,
                                          classCount: classifier.mapping.count)
        guard data.images.height == 28 && data.images.width == 28 else {
            throw ClassifierCommandError("\(images): images are \(data.images.height)x\(data.images.width); the model takes 28x28")
        }
        let started = Date()
        let confusion = classifier.evaluate(data)
        let seconds = Date().timeIntervalSince(started)
        let mapping = classifier.mapping
        let present = (0..<mapping.count).filter { confusion.support($0) > 0 }
        if json {
            var perClass = [String: Any]()
            for c in present {
                perClass[mapping.label(c)] = ["accuracy": confusion.accuracy(ofClass: c) ?? 0, "count": confusion.support(c)]
            }
            printJSONObject([
                "model": modelPath, "images": images, "count": confusion.total, "correct": confusion.correct,
                "accuracy": confusion.accuracy, "per_class": perClass, "seconds": seconds,
                "most_confused": confusion.mostConfused(10).map {
                    ["true": mapping.label($0.truth), "predicted": mapping.label($0.predicted), "count": $0.count] as [String: Any]
                },
            ])
            return
        }
        print("model: \(modelPath)")
        print("images: \(images) (\(confusion.total))")
        print(String(format: "accuracy: %.4f (%d/%d) in %.1f s", confusion.accuracy, confusion.correct, confusion.total, seconds))
        print("")
        print("class  count  accuracy")
        for c in present {
            let label = mapping.label(c).padding(toLength: 5, withPad: " ", startingAt: 0)
            print(String(format: "%@  %5d  %8.4f", label, confusion.support(c), confusion.accuracy(ofClass: c) ?? 0))
        }
        print("")
        printMostConfused(confusion, mapping: mapping)
    }

    /// Every picture is reported; an unreadable one gets an error entry and makes the exit status non-zero.
    private func classifyPictures(_ classifier: CharacterClassifier) throws {
        var entries = [[String: Any]]()
        var failures = 0
        for path in pictures {
            do {
                let predictions = try classifier.classify(Image(contentsOf: path), top: top)
                entries.append(["file": path, "top": predictions.map {
                    ["label": $0.label, "class": $0.classIndex, "probability": $0.probability] as [String: Any]
                }])
                if !json {
                    let text = predictions.map { String(format: "%@ %.3f", $0.label, Double($0.probability)) }
                    print("\(path): \(text.joined(separator: ", "))")
                }
            } catch {
                failures += 1
                entries.append(["file": path, "error": "\(error)"])
                note("error: \(error)")
            }
        }
        if json { printJSONObject(["results": entries]) }
        if failures > 0 { throw ExitCode.failure }
    }
}

/// A failure of a classifier command, printed as is.
struct ClassifierCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A line on stderr (progress and notes; stdout stays for results).
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The ten largest off-diagonal cells of a confusion matrix, as a list.
func printMostConfused(_ confusion: ConfusionMatrix, mapping: LabelMapping) {
    let pairs = confusion.mostConfused(10)
    guard !pairs.isEmpty else { return }
    print("most confused (true -> predicted: count):")
    for pair in pairs { print("  \(mapping.label(pair.truth)) -> \(mapping.label(pair.predicted)): \(pair.count)") }
}

/// One JSON object on stdout, keys sorted so output is stable. JSON has no
/// NaN or infinity (a diverged loss), so those become null.
func printJSONObject(_ object: [String: Any]) {
    func clean(_ value: Any) -> Any {
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        // A Float's shortest decimal form (0.11, not 0.10999999940395355).
        case let f as Float: return f.isFinite ? Double("\(f)") ?? Double(f) : NSNull()
        case let a as [Any]: return a.map(clean)
        case let o as [String: Any]: return o.mapValues(clean)
        default: return value
        }
    }
    guard let data = try? JSONSerialization.data(withJSONObject: clean(object), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
        note("error: the result could not be encoded as JSON")
        return
    }
    print(String(decoding: data, as: UTF8.self))
}
