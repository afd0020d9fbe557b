// The committed face detector on pictures whose truth is known by
// construction: a bundled test-split crop pasted (with a plain linear
// feather, not the training composer) at a known place into a held-out
// background; blank and face-free pictures; a face filling the whole
// picture; grey, RGB and RGBA versions of one picture; a 1x1 picture. And
// the composer's own contract: truth boxes inside, counts, determinism.
@testable import FoveaFace
import FoveaDetection
import FoveaEngine
import FoveaImage
import Foundation
import XCTest

final class FaceDetectorTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let detector: FaceDetector? = try? FaceDetector(contentsOf: root.appendingPathComponent("Models/face-detector.safetensors").path)

    private func committed() throws -> FaceDetector {
        try XCTUnwrap(Self.detector, "Models/face-detector.safetensors must load")
    }

    private func sampleCrop(_ name: String) throws -> Image {
        try Image(contentsOf: Self.root.appendingPathComponent("Datasets/smiles-sample/images/\(name)").path)
    }

    private func heldOutBackground(width: Int, height: Int) throws -> Image {
        let photo = try Image(contentsOf: Self.root.appendingPathComponent("Datasets/face-backgrounds/heldout/rocket.jpg").path)
        return photo.resized(width: width, height: height).grayscale()
    }

    /// `crop` resized to `side` and blended into `background` at (x, y), its
    /// outer eighth fading linearly.
    private func paste(_ crop: Image, side: Int, x: Int, y: Int, into background: Image) -> Image {
        let face = crop.grayscale().resized(width: side, height: side)
        var out = background
        let fade = Double(side) / 8
        for v in 0..<side where y + v >= 0 && y + v < out.height {
            for u in 0..<side where x + u >= 0 && x + u < out.width {
                let edge = Double(min(min(u, side - 1 - u), min(v, side - 1 - v))) + 0.5
                let a = min(1, edge / fade)
                let i = (y + v) * out.width + x + u
                out.pixels[i] = UInt8((Double(face.pixels[v * side + u]) * a + Double(out.pixels[i]) * (1 - a)).rounded())
            }
        }
        return out
    }

    func testFindsAHeldOutFacePastedAtAKnownPlace() throws {
        let detector = try committed()
        let background = try heldOutBackground(width: 320, height: 240)
        for (name, side, x, y) in [("pos_25.jpg", 80, 150, 60), ("neg_9.jpg", 56, 40, 120), ("neg_18.jpg", 120, 170, 90)] {
            let photo = paste(try sampleCrop(name), side: side, x: x, y: y, into: background)
            let faces = try detector.faces(in: photo, minScore: 0.3)
            let truth = Box(x: Double(x), y: Double(y), width: Double(side), height: Double(side))
            let best = faces.map { $0.box.iou(truth) }.max() ?? 0
            XCTAssertGreaterThanOrEqual(best, 0.5, "\(name) at \(x), \(y), side \(side): \(faces)")
            for f in faces { XCTAssertEqual(f.box.width, f.box.height, accuracy: 1e-9, "boxes are squares") }
        }
    }

    func testBlankAndFaceFreePicturesGiveNoFaces() throws {
        let detector = try committed()
        XCTAssertEqual(try detector.faces(in: Image(width: 300, height: 200, channels: 1, fill: 128), minScore: 0.5).count, 0)
        XCTAssertEqual(try detector.faces(in: Image(width: 64, height: 64, channels: 3, fill: 255), minScore: 0.5).count, 0)
        XCTAssertEqual(try detector.faces(in: try heldOutBackground(width: 320, height: 240), minScore: 0.5).count, 0,
                       "a held-out background alone")
    }

    func testAFaceFillingTheWholePicture() throws {
        let detector = try committed()
        for size in [64, 256] {
            let photo = try sampleCrop("pos_25.jpg").resized(width: size, height: size)
            let faces = try detector.faces(in: photo, minScore: 0.3)
            let whole = Box(x: 0, y: 0, width: Double(size), height: Double(size))
            XCTAssertGreaterThanOrEqual(faces.first.map { $0.box.iou(whole) } ?? 0, 0.5, "\(size)x\(size): \(faces)")
        }
    }

    func testGreyRGBAndRGBAGiveTheSameFaces() throws {
        let detector = try committed()
        let grey = paste(try sampleCrop("pos_25.jpg"), side: 72, x: 90, y: 50, into: try heldOutBackground(width: 256, height: 192))
        var rgb = [UInt8](), rgba = [UInt8]()
        for v in grey.pixels { rgb += [v, v, v]; rgba += [v, v, v, 255] }
        let a = try detector.faces(in: grey, minScore: 0.3)
        let b = try detector.faces(in: Image(width: grey.width, height: grey.height, channels: 3, pixels: rgb), minScore: 0.3)
        let c = try detector.faces(in: Image(width: grey.width, height: grey.height, channels: 4, pixels: rgba), minScore: 0.3)
        XCTAssertFalse(a.isEmpty)
        XCTAssertEqual(a.map(\.box), b.map(\.box))
        XCTAssertEqual(a.map(\.box), c.map(\.box))
    }

    func testTinyPicturesAreATypedError() throws {
        let detector = try committed()
        XCTAssertThrowsError(try detector.faces(in: Image(width: 1, height: 1, channels: 1), minScore: 0.5)) { error in
            guard case FaceDetectorError.tooSmall(1, 1) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("too small"))
        }
    }

    func testOtherModelFilesAreATypedError() {
        let ocr = Self.root.appendingPathComponent("Models/ocr-detector.safetensors").path
        XCTAssertThrowsError(try FaceDetector(contentsOf: ocr)) { error in
            guard case FaceDetectorError.notADetector = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("expected 'face-detector'"), "\(error)")
        }
        let crop = Self.root.appendingPathComponent("Models/face-crop.safetensors").path
        XCTAssertThrowsError(try FaceDetector(contentsOf: crop)) { error in
            XCTAssertTrue("\(error)".contains("cannot load the face detector"), "\(error)")
        }
    }

    func testSmilePipelineReadsAPhotoThroughTheDetector() throws {
        let detector = try committed()
        let pipeline = try SmilePipeline.load(model: Self.root.appendingPathComponent("Models/face-crop.safetensors").path,
                                              finder: detector)
        let photo = paste(try sampleCrop("pos_25.jpg"), side: 96, x: 120, y: 40, into: try heldOutBackground(width: 320, height: 240))
        let reading = try pipeline.read(photo, faceCrop: false)
        let truth = Box(x: 120, y: 40, width: 96, height: 96)
        let face = try XCTUnwrap(reading.faces.max { $0.box.iou(truth) < $1.box.iou(truth) })
        XCTAssertGreaterThanOrEqual(face.box.iou(truth), 0.5)
        // The eyes land in the upper half of the true face, the mouth below them.
        let eye = face.landmarks[FacePoint.eyeLeft.rawValue], mouth = face.landmarks[FacePoint.mouthLeft.rawValue]
        XCTAssertTrue((120...216).contains(eye.x) && (40...88).contains(eye.y), "\(eye)")
        XCTAssertGreaterThan(mouth.y, eye.y)
        let empty = try pipeline.read(Image(width: 200, height: 200, channels: 1, fill: 90), faceCrop: false)
        XCTAssertEqual(empty.faces.count, 0, "no face: an empty answer, not an error")
    }

    func testComposerTruthIsInsideAndDeterministic() {
        let n = FaceCropSet.side * FaceCropSet.side
        let faces = FaceCropSet(files: ["a", "b"], pixels: (0..<(2 * n)).map { UInt8($0 % 251) }, smiles: [0, 1],
                                landmarks: [nil, nil], quality: [0, 0])
        let composer = FaceComposer(faces: faces, backgrounds: FaceBackgrounds(photos: []))
        var r1 = SplitMix64(seed: 5), r2 = SplitMix64(seed: 5)
        var counts = Set<Int>()
        for _ in 0..<60 {
            let a = composer.compose(width: 128, height: 96, rng: &r1)
            let b = composer.compose(width: 128, height: 96, rng: &r2)
            XCTAssertEqual(a.pixels, b.pixels)
            XCTAssertEqual(a.faces, b.faces)
            XCTAssertEqual(a.pixels.count, 128 * 96)
            XCTAssertLessThanOrEqual(a.faces.count, 4)
            counts.insert(a.faces.count)
            for f in a.faces {
                XCTAssertEqual(f.width, f.height, accuracy: 1e-9)
                XCTAssertTrue((0..<128).contains(f.centerX) && (0..<96).contains(f.centerY), "\(f)")
                XCTAssertTrue((composer.minFace...composer.maxFace).contains(f.width))
            }
        }
        XCTAssertTrue(counts.contains(0) && counts.contains(1) && counts.contains(2), "\(counts)")
    }

    func testSuppressionDropsNestedAndOverlappingBoxes() {
        let boxes = [Box(x: 0, y: 0, width: 100, height: 100), Box(x: 30, y: 30, width: 30, height: 30),
                     Box(x: 5, y: 5, width: 100, height: 100), Box(x: 200, y: 0, width: 50, height: 50)]
        XCTAssertEqual(FaceDetector.suppress(boxes: boxes, scores: [0.9, 0.8, 0.7, 0.6], iou: 0.4), [0, 3])
    }
}
