// PNG and JPEG encoding, read back with the decoder (itself checked against
// Pillow): PNG round trips losslessly for all four channel layouts; JPEG
// honours quality and refuses layouts it cannot hold.
import XCTest
@testable import FoveaImage

final class EncodeTests: XCTestCase {
    private func photo() throws -> Image {
        try Image(contentsOf: Fixtures.path("codec/png-rgba8.png"))
    }

    func testPNGRoundTripIsLosslessForEveryLayout() throws {
        let rgba = try photo()
        for image in [rgba.grayscale(), Image(width: 16, height: 12, channels: 2, pixels: Array(rgba.pixels.prefix(384))),
                      rgba.rgb(), rgba] {
            let bytes = try image.encoded(as: .png)
            XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            XCTAssertEqual(try Image(decoding: bytes, name: "round trip"), image, "\(image.channels) channels")
            let info = try ImageInfo(decoding: bytes, name: "round trip")
            XCTAssertEqual(info.channels, image.channels)
            XCTAssertEqual(info.bitDepth, 8)
        }
    }

    func testJPEGQualityTradesSizeForError() throws {
        let rgb = try Image(contentsOf: Fixtures.path("codec/png-rgb8.png"))
        var sizes: [Int] = [], errors: [Double] = []
        for quality in [20, 60, 95] {
            let bytes = try rgb.encoded(as: .jpeg, quality: quality)
            let back = try Image(decoding: bytes, name: "q\(quality)")
            XCTAssertEqual([back.width, back.height, back.channels], [16, 12, 3])
            sizes.append(bytes.count)
            errors.append(zip(back.pixels, rgb.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(rgb.pixels.count))
        }
        XCTAssertLessThan(sizes[0], sizes[1])
        XCTAssertLessThan(sizes[1], sizes[2])
        XCTAssertGreaterThan(errors[0], errors[2])
        XCTAssertLessThan(errors[2], 4, "quality 95 should stay within a few levels on average")
    }

    func testGrayJPEGStaysGray() throws {
        let gray = try Image(contentsOf: Fixtures.path("codec/png-gray8.png"))
        let back = try Image(decoding: gray.encoded(as: .jpeg, quality: 90), name: "gray")
        XCTAssertEqual(back.channels, 1)
        XCTAssertLessThan(maxDifference(back.pixels, gray.pixels), 40)
    }

    func testJPEGRefusesAlphaAndBadQuality() throws {
        let rgba = try photo()
        XCTAssertThrowsError(try rgba.encoded(as: .jpeg)) { error in
            XCTAssertTrue("\(error)".contains("alpha"), "\(error)")
        }
        XCTAssertThrowsError(try rgba.rgb().encoded(as: .jpeg, quality: 0))
        XCTAssertThrowsError(try rgba.rgb().encoded(as: .jpeg, quality: 101))
        XCTAssertThrowsError(try Image(width: 0, height: 3, channels: 3).encoded(as: .png))
    }

    func testWriteChoosesFormatByExtension() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-encode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rgb = try photo().rgb()
        for (name, format) in [("a.png", ImageFormat.png), ("b.JPG", .jpeg), ("c.jpeg", .jpeg)] {
            let path = folder.appendingPathComponent(name).path
            try rgb.write(to: path, quality: 80)
            XCTAssertEqual(try ImageInfo(contentsOf: path).format, format, name)
        }
        let bad = folder.appendingPathComponent("d.gif").path
        XCTAssertThrowsError(try rgb.write(to: bad)) { error in
            XCTAssertEqual(error as? ImageError, .unknownExtension(file: bad))
        }
        let unwritable = folder.appendingPathComponent("missing/e.png").path
        XCTAssertThrowsError(try rgb.write(to: unwritable)) { error in
            guard case .unwritable? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }
}
