// PNG decoding against Pillow's pixels for every colour type, bit depth,
// palette and interlacing variant in Fixtures/codec.
import XCTest
@testable import FoveaImage

final class PNGDecodeTests: XCTestCase {
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try XCTUnwrap(try Fixtures.json("codec/expected.json")[name] as? [String: Any])
        let image = try Image(contentsOf: Fixtures.path("codec/\(name)"))
        XCTAssertEqual(image.width, expected["width"] as? Int, "\(name) width", file: file, line: line)
        XCTAssertEqual(image.height, expected["height"] as? Int, "\(name) height", file: file, line: line)
        XCTAssertEqual(image.channels, expected["channels"] as? Int, "\(name) channels", file: file, line: line)
        let pixels = try Fixtures.bytes(base64: expected["pixels"])
        XCTAssertEqual(image.pixels.count, pixels.count, file: file, line: line)
        XCTAssertTrue(image.pixels == pixels, "\(name): max difference \(maxDifference(image.pixels, pixels))",
                      file: file, line: line)
    }

    func testGray8() throws { try check("png-gray8.png") }
    func testGrayAlpha8() throws { try check("png-gray-alpha8.png") }
    func testRGB8() throws { try check("png-rgb8.png") }
    func testRGBA8() throws { try check("png-rgba8.png") }
    func testInterlacedRGB8() throws { try check("png-rgb8-interlaced.png") }
    func testPalette8() throws { try check("png-palette8.png") }
    func testPalette4Bit() throws { try check("png-palette4.png") }
    func testPaletteWithTransparencyBecomesRGBA() throws { try check("png-palette8-trns.png") }
    func testGrayColourKeyBecomesGrayAlpha() throws { try check("png-gray-trns.png") }
    func testRGBColourKeyBecomesRGBA() throws { try check("png-rgb-trns.png") }
    func testGray1BitScalesTo255() throws { try check("png-gray1.png") }
    func testInterlacedGray4BitScalesBy17() throws { try check("png-gray4-interlaced.png") }

    // 16-bit samples keep the high byte (v >> 8). The fixtures' low bytes are random, so
    // rounding (v * 255 + 32767) / 65535 or libpng's scale_16 would disagree on many samples.
    func testGray16KeepsHighByte() throws { try check("png-gray16.png") }
    func testGrayAlpha16KeepsHighByte() throws { try check("png-gray-alpha16.png") }
    func testRGB16KeepsHighByte() throws { try check("png-rgb16.png") }
    func testInterlacedRGBA16KeepsHighByte() throws { try check("png-rgba16-interlaced.png") }

    func testInfoReportsStoredLayout() throws {
        let cases: [(String, Int, Int, Int, Bool)] = [  // name, channels, bit depth, decoded channels, interlaced
            ("png-gray16.png", 1, 16, 1, false), ("png-palette4.png", 3, 4, 3, false),
            ("png-palette8-trns.png", 4, 8, 4, false), ("png-rgba16-interlaced.png", 4, 16, 4, true),
            ("png-gray1.png", 1, 1, 1, false), ("png-gray-trns.png", 1, 8, 2, false),
        ]
        for (name, channels, depth, decoded, interlaced) in cases {
            let info = try ImageInfo(contentsOf: Fixtures.path("codec/\(name)"))
            XCTAssertEqual(info.format, .png, name)
            XCTAssertEqual(info.width, 16, name)
            XCTAssertEqual(info.height, 12, name)
            XCTAssertEqual(info.channels, channels, name)
            XCTAssertEqual(info.bitDepth, depth, name)
            XCTAssertEqual(info.decodedChannels, decoded, name)
            XCTAssertEqual(info.interlaced, interlaced, name)
        }
    }
}
