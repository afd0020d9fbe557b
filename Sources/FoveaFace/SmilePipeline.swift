// SmilePipeline: photo → faces → the 64x64 crop each → landmarks and smile
// score → points mapped back to the photo. One object shared by the command
// line, the batch runner and the service. With faceCrop the whole image is
// the face (its centred square), as the crops of the training set are.
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation

public enum SmileError: Error, CustomStringConvertible {
    case tooSmall(width: Int, height: Int)
    case noFaceDetector

    public var description: String {
        switch self {
        case .tooSmall(let w, let h):
            return "a \(w)x\(h) image is too small to hold a face (at least \(SmilePipeline.minimumSide)x\(SmilePipeline.minimumSide) pixels)"
        case .noFaceDetector:
            return "no face detector model is loaded (Models/\(FaceDetector.defaultFileName) not found): pass --face-crop for an image that is one face, or give a face detector with --face-detector"
        }
    }
}

/// Finds faces in a photo: square boxes (image pixels) and scores.
public protocol FaceFinding: Sendable {
    func faces(in image: Image, minScore: Double) throws -> [(box: Box, score: Double)]
}

public struct SmileFace: Sendable {
    public var box: Box
    public var score: Double
    /// The 10 points in image pixels (centre of the top-left pixel at 0, 0), in FacePoint order.
    public var landmarks: [(x: Double, y: Double)]
    public var smileProbability: Double
    public var smiling: Bool
}

public struct SmileReading: Sendable {
    public var width: Int
    public var height: Int
    public var faces: [SmileFace]
    public var elapsedMilliseconds: Double

    /// The object `fovea smile --json` prints for one image (and the service answers).
    public func json(file: String?) -> JSONValue {
        var fields = [(String, JSONValue)]()
        if let file { fields.append(("file", .string(file))) }
        fields += [
            ("width", .int(width)), ("height", .int(height)),
            ("faces", .array(faces.map { f in
                .object([
                    ("box", .array(f.box.coco.map { .number($0, digits: 2) })),
                    ("score", .number(f.score, digits: 4)),
                    ("smile", .object([("probability", .number(f.smileProbability, digits: 4)), ("smiling", .bool(f.smiling))])),
                    ("landmarks", .object(FacePoint.allCases.map { p in
                        (p.name, .array([.number(f.landmarks[p.rawValue].x, digits: 2), .number(f.landmarks[p.rawValue].y, digits: 2)]))
                    })),
                ])
            })),
            ("elapsed_ms", .number(elapsedMilliseconds, digits: 3)),
        ]
        return .object(fields)
    }
}

public final class SmilePipeline: @unchecked Sendable {
    public static let minimumSide = 16
    public let analyzer: FaceAnalyzer
    public let finder: FaceFinding?
    public var minFaceScore: Double

    public init(analyzer: FaceAnalyzer, finder: FaceFinding?, minFaceScore: Double = 0.5) {
        self.analyzer = analyzer
        self.finder = finder
        self.minFaceScore = minFaceScore
    }

    /// The pipeline `fovea smile`, the batch runner and the service build:
    /// the face-crop model at `model`, else the committed one; the landmark
    /// model at `landmarks`, else the committed one when there is one (without
    /// it the points come from the face-crop model's own head); the face
    /// detector `finder`, else the one at `faceDetector`, else the committed
    /// one when there is one (without any, only face crops can be read).
    public static func load(model: String? = nil, landmarks: String? = nil, finder: FaceFinding? = nil,
                            faceDetector: String? = nil, minFaceScore: Double = 0.5) throws -> SmilePipeline {
        let path = try model ?? ModelLocator.model(named: FaceAnalyzer.defaultFileName,
                                                   hint: "train one: Tools/train_face_models.sh").path
        let landmarks = landmarks ?? defaultLandmarkModel()
        var finder = finder
        if finder == nil {
            if let faceDetector {
                finder = try FaceDetector(contentsOf: faceDetector)
            } else if let found = try? ModelLocator.model(named: FaceDetector.defaultFileName, hint: "") {
                finder = try FaceDetector(contentsOf: found.path)
            }
        }
        return SmilePipeline(analyzer: try FaceAnalyzer(contentsOf: path, landmarks: landmarks), finder: finder,
                             minFaceScore: minFaceScore)
    }

    /// The committed landmark model's path, nil when there is none.
    public static func defaultLandmarkModel() -> String? {
        (try? ModelLocator.model(named: FaceLandmarker.defaultFileName, hint: ""))?.path
    }

    public func read(_ image: Image, faceCrop: Bool) throws -> SmileReading {
        try read([image], faceCrop: faceCrop)[0].get()
    }

    /// Scores several photos: faces are found in each on its own, then the
    /// crops of all of them are analysed in one batch (the service's
    /// micro-batching). The readings equal those of each photo alone; a photo
    /// that cannot be read gives its error. Each photo's elapsed time is that
    /// of the whole call.
    public func read(_ images: [Image], faceCrop: Bool) -> [Result<SmileReading, Error>] {
        let clock = ContinuousClock()
        let start = clock.now
        let found = images.map { image in Result { try regions(in: image, faceCrop: faceCrop) } }
        var pixels = [UInt8]()
        var count = 0
        for (image, result) in zip(images, found) {
            guard let regions = try? result.get(), !regions.isEmpty else { continue }
            let grey = FaceCrop.luma(image)
            for r in regions { pixels += r.crop.pixels(ofGray: grey, width: image.width, height: image.height) }
            count += regions.count
        }
        var analyses = (count == 0 ? [] : analyzer.analyze(pixels, count: count)).makeIterator()
        return zip(images, found).map { image, result in
            result.map { regions in
                let faces = regions.map { r in
                    let a = analyses.next()!
                    return SmileFace(box: r.box, score: r.score,
                                     landmarks: a.landmarks.map { r.crop.toImage($0.x, $0.y) }.map { (x: $0.0, y: $0.1) },
                                     smileProbability: a.smileProbability, smiling: a.smiling)
                }
                return SmileReading(width: image.width, height: image.height, faces: faces,
                                    elapsedMilliseconds: (clock.now - start) / .milliseconds(1))
            }
        }
    }

    /// The faces of one photo: the square crop each is analysed from, its box and score.
    private func regions(in image: Image, faceCrop: Bool) throws -> [(crop: FaceCrop, box: Box, score: Double)] {
        guard image.width >= Self.minimumSide, image.height >= Self.minimumSide else {
            throw SmileError.tooSmall(width: image.width, height: image.height)
        }
        if faceCrop {
            return [(FaceCrop.centred(width: image.width, height: image.height),
                     Box(x: 0, y: 0, width: Double(image.width), height: Double(image.height)), 1)]
        }
        guard let finder else { throw SmileError.noFaceDetector }
        return try finder.faces(in: image, minScore: minFaceScore).map { face in
            let side = max(face.box.width, face.box.height)
            return (FaceCrop(x: face.box.centerX - side / 2, y: face.box.centerY - side / 2, side: side),
                    face.box.clipped(width: Double(image.width), height: Double(image.height)), face.score)
        }
    }
}
