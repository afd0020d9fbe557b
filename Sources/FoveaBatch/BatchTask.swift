// What a batch run does to each decoded image: the OCR pipeline (LineReader,
// as `fovea detect`) or the smile pipeline (SmilePipeline, as `fovea smile`),
// giving the very JSON object those commands print. Pipelines keep scratch
// buffers in their layers, so every worker thread builds its own.
import FoveaDetection
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

public enum BatchTask: Sendable {
    /// Read handwritten text lines; nil models are the committed ones.
    case characters(LineReaderOptions, detector: String?, classifier: String?)
    /// Score smiles; with faceCrop each image is one face.
    case smile(model: String?, minFaceScore: Double, faceCrop: Bool)

    public var name: String {
        switch self {
        case .characters: return "characters"
        case .smile: return "smile"
        }
    }

    /// A pipeline of this task for one worker thread.
    public func makeWorker() throws -> BatchWorker {
        switch self {
        case let .characters(options, detector, classifier):
            return CharactersWorker(reader: try LineReader.load(detector: detector, classifier: classifier, options: options))
        case let .smile(model, minFaceScore, faceCrop):
            return SmileWorker(pipeline: try SmilePipeline.load(model: model, minFaceScore: minFaceScore), faceCrop: faceCrop)
        }
    }
}

/// One file for a worker: its decoded image, its name in the results, and
/// where its annotated picture goes (if anywhere).
public struct BatchInput {
    public let image: Image
    public let file: String
    public let annotation: String?
}

/// One worker's pipeline: the result objects (`file` in each) of several
/// decoded images, each image's own success or error; annotated pictures are
/// written where asked. The images go through the pipeline together: one
/// batched classification (characters) or face analysis (smile) for all of
/// them, which reads each model's weights once instead of once per file.
/// The objects equal those of each image run alone.
public protocol BatchWorker: AnyObject {
    func process(_ inputs: [BatchInput]) -> [Result<JSONValue, Error>]
}

final class CharactersWorker: BatchWorker {
    let reader: LineReader
    init(reader: LineReader) { self.reader = reader }

    func process(_ inputs: [BatchInput]) -> [Result<JSONValue, Error>] {
        zip(inputs, reader.read(inputs.map(\.image))).map { input, reading in
            Result {
                let reading = try reading.get()
                if let annotation = input.annotation { try LineAnnotation.render(input.image, reading).write(to: annotation) }
                return reading.json(file: input.file)
            }
        }
    }
}

final class SmileWorker: BatchWorker {
    let pipeline: SmilePipeline
    let faceCrop: Bool
    init(pipeline: SmilePipeline, faceCrop: Bool) {
        self.pipeline = pipeline
        self.faceCrop = faceCrop
    }

    func process(_ inputs: [BatchInput]) -> [Result<JSONValue, Error>] {
        zip(inputs, pipeline.read(inputs.map(\.image), faceCrop: faceCrop)).map { input, reading in
            Result {
                let reading = try reading.get()
                if let annotation = input.annotation { try SmileAnnotation.render(input.image, reading).write(to: annotation) }
                return reading.json(file: input.file)
            }
        }
    }
}

/// The rows of the results file.
public enum BatchRow {
    /// The pipeline's object with "status": "ok" after "file" and "elapsed_ms"
    /// replaced by the file's whole time (read, decode, pipeline, annotation).
    public static func ok(_ result: JSONValue, file: String, elapsedMilliseconds: Double) -> JSONValue {
        guard case .object(let fields) = result else { return result }
        var out: [(String, JSONValue)] = [("file", .string(file)), ("status", .string("ok"))]
        out += fields.filter { $0.0 != "file" && $0.0 != "elapsed_ms" }
        out.append(("elapsed_ms", .number(elapsedMilliseconds, digits: 3)))
        return .object(out)
    }

    public static func error(_ error: Error, file: String, elapsedMilliseconds: Double) -> JSONValue {
        .object([("file", .string(file)), ("status", .string("error")), ("error", .string("\(error)")),
                 ("elapsed_ms", .number(elapsedMilliseconds, digits: 3))])
    }
}
