// Crop, pad, flips and quarter turns against Pillow's crop, ImageOps.expand
// and transpose on the same random image.
import XCTest
@testable import FoveaImage

final class GeometryTests: XCTestCase {
    private func source() throws -> (Image, [String: Any]) {
        let ops = try Fixtures.json("ops.json")
        return (Image(width: 11, height: 9, channels: 3, pixels: try Fixtures.bytes(base64: ops["source"])), ops)
    }

    func testCropMatchesPillowIncludingOutOfBoundsFill() throws {
        let (image, ops) = try source()
        let crops = try XCTUnwrap(ops["crops"] as? [[String: Any]])
        XCTAssertEqual(crops.count, 6)
        for crop in crops {
            let x = try XCTUnwrap(crop["x"] as? Int), y = try XCTUnwrap(crop["y"] as? Int)
            let w = try XCTUnwrap(crop["width"] as? Int), h = try XCTUnwrap(crop["height"] as? Int)
            XCTAssertEqual(image.cropped(x: x, y: y, width: w, height: h).pixels,
                           try Fixtures.bytes(base64: crop["expected"]), "crop \(x),\(y) \(w)x\(h)")
        }
    }

    func testPadMatchesPillowExpand() throws {
        let (image, ops) = try source()
        let pad = try XCTUnwrap(ops["pad"] as? [String: Any])
        let padded = image.padded(top: 1, left: 2, bottom: 4, right: 3, value: 77)
        XCTAssertEqual([padded.width, padded.height], [16, 14])
        XCTAssertEqual(padded.pixels, try Fixtures.bytes(base64: pad["expected"]))
    }

    func testFlipsAndTurnsMatchPillowTranspose() throws {
        let (image, ops) = try source()
        let expected = try XCTUnwrap(ops["transposes"] as? [String: [String: Any]])
        let ours: [String: Image] = [
            "flippedHorizontally": image.flippedHorizontally(), "flippedVertically": image.flippedVertically(),
            "rotated180": image.rotated180(), "rotatedClockwise": image.rotatedClockwise(),
            "rotatedCounterClockwise": image.rotatedCounterClockwise(), "transposed": image.transposed(),
            "transversed": image.transversed(),
        ]
        XCTAssertEqual(Set(expected.keys), Set(ours.keys))
        for (name, result) in ours {
            let reference = try XCTUnwrap(expected[name])
            XCTAssertEqual(result.width, reference["width"] as? Int, name)
            XCTAssertEqual(result.height, reference["height"] as? Int, name)
            XCTAssertEqual(result.pixels, try Fixtures.bytes(base64: reference["expected"]), name)
        }
    }
}
