// PipelineWorkers: what one inference worker of each route does with a batch
// of requests — decode each upload under the pixel limit, run the very
// pipeline objects `fovea detect` and `fovea smile` use (LineReader,
// SmilePipeline) on the whole batch at once, and answer each request with
// the object the command line prints for that image.
import FoveaDetection
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

/// Options of one request, as the service's query parameters give them.
struct CharacterRequest: Batchable {
    var upload: Upload
    var minScore: Double
    var nmsIoU: Double
    var segmenter: Segmenter
    var labels: LabelSource
    let batchKey: String

    init(upload: Upload, minScore: Double, nmsIoU: Double, segmenter: Segmenter, labels: LabelSource = .classifier) {
        self.upload = upload
        self.minScore = minScore
        self.nmsIoU = nmsIoU
        self.segmenter = segmenter
        self.labels = labels
        batchKey = "\(minScore) \(nmsIoU) \(segmenter.rawValue) \(labels.rawValue)"
    }
}

struct SmileRequest: Batchable {
    var upload: Upload
    var faceCrop: Bool
    var minFaceScore: Double
    let batchKey: String

    init(upload: Upload, faceCrop: Bool, minFaceScore: Double) {
        self.upload = upload
        self.faceCrop = faceCrop
        self.minFaceScore = minFaceScore
        batchKey = "\(faceCrop) \(minFaceScore)"
    }
}

typealias Answer = Result<JSONValue, ServiceError>

/// Called with the size of every batch a worker runs and the time it took.
typealias BatchObserver = @Sendable (Int, Duration) -> Void

enum PipelineWorkers {
    static func characters(_ configuration: ServiceConfiguration, observe: @escaping BatchObserver) throws
        -> @Sendable ([CharacterRequest]) -> [Answer] {
        let reader = try LineReader.load(detector: configuration.detectorPath, classifier: configuration.classifierPath)
        let limit = configuration.maxPixels
        return { requests in
            let start = ContinuousClock.now
            defer { observe(requests.count, ContinuousClock.now - start) }
            reader.options.minScore = requests[0].minScore
            reader.options.nmsIoU = requests[0].nmsIoU
            reader.options.segmenter = requests[0].segmenter
            reader.options.labels = requests[0].labels
            if requests[0].labels == .detectorHead && reader.detector?.headLabels == nil {
                let refusal = ServiceError.badOption("labels", "detector-head", expected:
                    "classifier: the served detector has no class head (start fovea serve with --detector M, a detector trained with --class-head)")
                return requests.map { _ in .failure(refusal) }
            }
            return answer(requests.map(\.upload), limit: limit) { images in
                reader.read(images).map { $0.map { reading in { name in reading.json(file: name) } } }
            }
        }
    }

    static func smile(_ configuration: ServiceConfiguration, observe: @escaping BatchObserver) throws
        -> @Sendable ([SmileRequest]) -> [Answer] {
        let pipeline = try SmilePipeline.load(model: configuration.faceModelPath, faceDetector: configuration.faceDetectorPath)
        let limit = configuration.maxPixels
        return { requests in
            let start = ContinuousClock.now
            defer { observe(requests.count, ContinuousClock.now - start) }
            pipeline.minFaceScore = requests[0].minFaceScore
            let faceCrop = requests[0].faceCrop
            return answer(requests.map(\.upload), limit: limit) { images in
                pipeline.read(images, faceCrop: faceCrop).map { $0.map { reading in { name in reading.json(file: name) } } }
            }
        }
    }

    /// Decodes the uploads, runs `pipeline` on those that decoded, and
    /// answers each upload in order with its JSON or its error.
    private static func answer(_ uploads: [Upload], limit: Int,
                               _ pipeline: ([Image]) -> [Result<(String?) -> JSONValue, Error>]) -> [Answer] {
        let decoded = uploads.map { upload in
            Result { try Image(decoding: upload.bytes, name: upload.fileName ?? "upload", options: DecodeOptions(maxPixels: limit)) }
        }
        var results = pipeline(decoded.compactMap { try? $0.get() }).makeIterator()
        return zip(uploads, decoded).map { upload, image in
            switch image {
            case .failure(let error): return .failure(ServiceError.from(error))
            case .success:
                switch results.next()! {
                case .success(let json): return .success(json(upload.fileName))
                case .failure(let error): return .failure(ServiceError.from(error))
                }
            }
        }
    }
}
