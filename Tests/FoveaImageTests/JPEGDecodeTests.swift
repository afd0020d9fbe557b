// JPEG decoding against Pillow's pixels: baseline (4:2:0 and 4:4:4),
// progressive, grayscale, and all eight EXIF orientations.
//
// Pillow 13 bundles libjpeg-turbo 3.2.0 while Fovea links the system's
// libjpeg-turbo (2.1.5 on Debian 12). Both default to the accurate integer
// IDCT (JDCT_ISLOW) and fancy upsampling, and on every fixture here (4:2:0,
// 4:4:4, progressive, gray, partial MCUs) they agree exactly, so the bound is
// 0. A different IDCT (e.g. classic IJG libjpeg) could differ by ±1.
import XCTest
@testable import FoveaImage

final class JPEGDecodeTests: XCTestCase {
    /// Largest per-sample difference allowed against Pillow's decode.
    static let tolerance = 0

    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try XCTUnwrap(try Fixtures.json("codec/expected.json")[name] as? [String: Any])
        let image = try Image(contentsOf: Fixtures.path("codec/\(name)"))
        XCTAssertEqual(image.width, expected["width"] as? Int, "\(name) width", file: file, line: line)
        XCTAssertEqual(image.height, expected["height"] as? Int, "\(name) height", file: file, line: line)
        XCTAssertEqual(image.channels, expected["channels"] as? Int, "\(name) channels", file: file, line: line)
        let pixels = try Fixtures.bytes(base64: expected["pixels"])
        XCTAssertEqual(image.pixels.count, pixels.count, file: file, line: line)
        XCTAssertLessThanOrEqual(maxDifference(image.pixels, pixels), Self.tolerance, name, file: file, line: line)
    }

    func testBaseline420() throws { try check("jpeg-baseline.jpg") }
    func testBaseline444() throws { try check("jpeg-baseline-444.jpg") }
    func testProgressive() throws { try check("jpeg-progressive.jpg") }
    func testGrayscale() throws { try check("jpeg-gray.jpg") }
    func testExtraneousBytesBeforeAMarkerAreHarmless() throws { try check("jpeg-extraneous-bytes.jpg") }

    func testEveryExifOrientationMatchesPillowExifTranspose() throws {
        for tag in 1...8 { try check("jpeg-orientation-\(tag).jpg") }
    }

    func testOrientationCanBeIgnored() throws {
        let stored = try Image(contentsOf: Fixtures.path("codec/jpeg-orientation-1.jpg"))
        let raw = try Image(contentsOf: Fixtures.path("codec/jpeg-orientation-6.jpg"),
                            options: DecodeOptions(applyOrientation: false))
        XCTAssertEqual(raw, stored)
        XCTAssertEqual(try ImageInfo(contentsOf: Fixtures.path("codec/jpeg-orientation-6.jpg")).orientation, 6)
    }

    func testInfo() throws {
        let progressive = try ImageInfo(contentsOf: Fixtures.path("codec/jpeg-progressive.jpg"))
        XCTAssertEqual(progressive, ImageInfo(format: .jpeg, width: 21, height: 13, channels: 3, bitDepth: 8,
                                              decodedChannels: 3, interlaced: true, orientation: 1))
        let gray = try ImageInfo(contentsOf: Fixtures.path("codec/jpeg-gray.jpg"))
        XCTAssertEqual(gray.channels, 1)
        XCTAssertFalse(gray.interlaced)
    }

    func testMalformedExifIsIgnored() {
        let cases: [[UInt8]] = [
            [],                                                    // empty
            Array("MM\0*".utf8) + [0, 0, 0, 8],                    // IFD offset past the end
            Array("II*\0".utf8) + [8, 0, 0, 0, 1, 0, 0x12, 1, 3, 0, 1, 0, 0, 0, 9, 0, 0, 0],  // value 9
            Array("XX*\0".utf8) + [8, 0, 0, 0],                    // bad byte order
        ]
        for bytes in cases {
            XCTAssertEqual(bytes.withUnsafeBufferPointer(ExifOrientation.parse), 1, "\(bytes)")
        }
        let bigEndianSix: [UInt8] = Array("MM\0*".utf8) + [0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]
        XCTAssertEqual(bigEndianSix.withUnsafeBufferPointer(ExifOrientation.parse), 6)
    }
}
