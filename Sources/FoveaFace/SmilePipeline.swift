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
    /// the face-crop model at `model`, else the committed one; the face
    /// detector `finder`, else the one at `faceDetector`, else the committed
    /// one when there is one (without any, only face crops can be read).
    public static func load(model: String? = nil, finder: FaceFinding? = nil, faceDetector: String? = nil,
                            minFaceScore: Double = 0.5) throws -> SmilePipeline {
        let path = try model ?? ModelLocator.model(named: FaceAnalyzer.defaultFileName,
                                                   hint: "train one: Tools/train_face_models.sh").path
        var finder = finder
        if finder == nil {
            if let faceDetector {
                finder = try FaceDetector(contentsOf: faceDetector)
            } else if let found = try? ModelLocator.model(named: FaceDetector.defaultFileName, hint: "") {
                finder = try FaceDetector(contentsOf: found.path)
            }
        }
        return SmilePipeline(analyzer: try FaceAnalyzer(contentsOf: path), finder: finder, minFaceScore: minFaceScore)
    }

    public func read(_ image: Image, faceCrop: Bool) throws -> SmileReading {
        let clock = ContinuousClock()
        let start = clock.now
        guard image.width >= Self.minimumSide, image.height >= Self.minimumSide else {
            throw SmileError.tooSmall(width: image.width, height: image.height)
        }
        var regions = [(crop: FaceCrop, box: Box, score: Double)]()
        if faceCrop {
            regions.append((FaceCrop.centred(width: image.width, height: image.height),
                            Box(x: 0, y: 0, width: Double(image.width), height: Double(image.height)), 1))
        } else {
            guard let finder else { throw SmileError.noFaceDetector }
            for face in try finder.faces(in: image, minScore: minFaceScore) {
                let side = max(face.box.width, face.box.height)
                regions.append((FaceCrop(x: face.box.centerX - side / 2, y: face.box.centerY - side / 2, side: side),
                                face.box.clipped(width: Double(image.width), height: Double(image.height)), face.score))
            }
        }
        let grey = regions.isEmpty ? [] : FaceCrop.luma(image)
        var pixels = [UInt8]()
        for r in regions { pixels += r.crop.pixels(ofGray: grey, width: image.width, height: image.height) }
        let analyses = regions.isEmpty ? [] : analyzer.analyze(pixels, count: regions.count)
        let faces = zip(regions, analyses).map { r, a in
            SmileFace(box: r.box, score: r.score,
                      landmarks: a.landmarks.map { r.crop.toImage($0.x, $0.y) }.map { (x: $0.0, y: $0.1) },
                      smileProbability: a.smileProbability, smiling: a.smiling)
        }
        return SmileReading(width: image.width, height: image.height, faces: faces,
                            elapsedMilliseconds: (clock.now - start) / .milliseconds(1))
    }
}
