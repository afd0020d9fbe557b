// CharacterClassifier: a trained model file plus its class labels, used to
// classify EMNIST-layout images (evaluation) and arbitrary character pictures
// (normalised first).
import FoveaEngine
import FoveaImage
import Foundation

public enum ClassifierError: Error, CustomStringConvertible {
    case unreadableModel(path: String, reason: String)
    case wrongInput(path: String, inputShape: [Int])
    case wrongOutput(path: String, outputShape: [Int], labels: Int)

    public var description: String {
        switch self {
        case .unreadableModel(let path, let reason):
            return "\(path): cannot load the model (\(reason))"
        case .wrongInput(let path, let shape):
            return "\(path): the model takes input \(shape); expected 28x28 or 28x28x1 character images"
        case .wrongOutput(let path, let shape, let labels):
            return "\(path): the model outputs \(shape) but has \(labels) class labels; expected one probability per class"
        }
    }
}

/// One class and its probability.
public struct Prediction: Sendable, Equatable {
    public var classIndex: Int
    public var label: String
    public var probability: Float
}

public final class CharacterClassifier {
    public let model: Sequential
    public let mapping: LabelMapping
    public let normalizer = CharacterNormalizer()

    /// The model file's training notes (empty for a model built in memory).
    public let training: [String: String]

    public init(model: Sequential, mapping: LabelMapping, training: [String: String] = [:]) {
        self.model = model
        self.mapping = mapping
        self.training = training
    }

    /// True when the model learnt from classes drawn uniformly (crops of
    /// synthetic text lines), so no class prior needs taking out.
    public var hasUniformPrior: Bool { training["class_prior"] == "uniform" }

    /// Loads a Fovea model file; its saved labels name the classes (a model
    /// without labels and 47 outputs is taken to be EMNIST ByMerge).
    public convenience init(contentsOf path: String) throws {
        let file: ModelFile
        do {
            file = try ModelFile(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ClassifierError.unreadableModel(path: path, reason: "\(error)")
        }
        let shape = file.model.inputShape
        guard shape == [28, 28] || shape == [28, 28, 1] else {
            throw ClassifierError.wrongInput(path: path, inputShape: shape)
        }
        let outputs = file.model.outputShape
        let mapping = file.labels.isEmpty && outputs == [LabelMapping.emnistByMerge.count]
            ? LabelMapping.emnistByMerge : LabelMapping(labels: file.labels)
        guard outputs == [mapping.count] else {
            throw ClassifierError.wrongOutput(path: path, outputShape: outputs, labels: mapping.count)
        }
        self.init(model: file.model, mapping: mapping, training: file.training)
    }

    /// Class probabilities, `[count, classes]`.
    public func probabilities(_ images: CharacterImages, batchSize: Int = 256) -> Tensor {
        model.predict(images.tensor(), batchSize: batchSize)
    }

    /// The most probable class of each image.
    public func predictedClasses(_ images: CharacterImages, batchSize: Int = 256) -> [Int] {
        let p = probabilities(images, batchSize: batchSize)
        let classes = p.count / max(images.count, 1)
        return (0..<images.count).map { i in
            var best = 0
            for c in 1..<classes where p.data[i * classes + c] > p.data[i * classes + best] { best = c }
            return best
        }
    }

    /// Confusion matrix over a labelled set.
    public func evaluate(_ data: EMNISTDataset, batchSize: Int = 256) -> ConfusionMatrix {
        ConfusionMatrix(classes: mapping.count, truth: data.labels, predicted: predictedClasses(data.images, batchSize: batchSize))
    }

    /// The `top` most probable classes of one character picture of any size.
    public func classify(_ image: Image, top: Int = 3) throws -> [Prediction] {
        let pixels = try normalizer.normalize(image)
        let p = probabilities(CharacterImages(count: 1, height: 28, width: 28, pixels: pixels)).data
        let order = p.indices.sorted { p[$0] > p[$1] }
        return order.prefix(top).map { Prediction(classIndex: $0, label: mapping.label($0), probability: p[$0]) }
    }
}
