// Grayscale against Pillow's convert("L") (ITU-R 601-2 luma, fixed-point
// rounding), plus the channel reshuffles rgb() and removingAlpha().
import XCTest
@testable import FoveaImage

final class ColorConversionTests: XCTestCase {
    func testGrayscaleMatchesPillowExactly() throws {
        let ops = try Fixtures.json("ops.json")
        let random = try XCTUnwrap(ops["grayscale"] as? [String: Any])
        let rgb = Image(width: 11, height: 9, channels: 3, pixels: try Fixtures.bytes(base64: random["rgb"]))
        let rgba = Image(width: 11, height: 9, channels: 4, pixels: try Fixtures.bytes(base64: random["rgba"]))
        XCTAssertEqual(rgb.grayscale().pixels, try Fixtures.bytes(base64: random["expectedFromRGB"]))
        XCTAssertEqual(rgba.grayscale().pixels, try Fixtures.bytes(base64: random["expectedFromRGBA"]))
        let photo = try XCTUnwrap(ops["photoGrayscale"] as? [String: Any])
        let photoImage = Image(width: 32, height: 24, channels: 3, pixels: try Fixtures.bytes(base64: photo["rgb"]))
        XCTAssertEqual(photoImage.grayscale().pixels, try Fixtures.bytes(base64: photo["expected"]))
    }

    func testGrayscaleRoundingByHand() {
        // (19595 R + 38470 G + 7471 B + 32768) >> 16, worked by hand:
        // (255,255,255) → 65536*255/65536 = 255; (1,2,3) → (19595+76940+22413+32768)>>16 = 151716>>16 = 2;
        // (0,0,1) → (7471+32768)>>16 = 0; (0,1,0) → (38470+32768)>>16 = 1.
        let image = Image(width: 4, height: 1, channels: 3, pixels: [255, 255, 255, 1, 2, 3, 0, 0, 1, 0, 1, 0])
        XCTAssertEqual(image.grayscale().pixels, [255, 2, 0, 1])
    }

    func testChannelReshuffles() {
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [7, 9])
        XCTAssertEqual(gray.rgb().pixels, [7, 7, 7, 9, 9, 9])
        let grayAlpha = Image(width: 2, height: 1, channels: 2, pixels: [7, 1, 9, 2])
        XCTAssertEqual(grayAlpha.grayscale().pixels, [7, 9])
        XCTAssertEqual(grayAlpha.removingAlpha().pixels, [7, 9])
        XCTAssertEqual(grayAlpha.rgb().pixels, [7, 7, 7, 9, 9, 9])
        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 4])
        XCTAssertEqual(rgba.removingAlpha().pixels, [1, 2, 3])
        XCTAssertEqual(rgba.channel(3).pixels, [4])
    }
}
