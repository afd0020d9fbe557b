// End-to-end tests of `fovea info`, `fovea convert` and `fovea filter`: exit
// statuses, messages on stderr, no crashes on any bad input, and outputs
// checked against the Pillow/scipy fixtures of FoveaImageTests (output PNGs are
// read back with FoveaImage's decoder, itself checked against Pillow).
import Foundation
import FoveaImage
import XCTest

final class ImageCommandsTests: XCTestCase {
    private let fixtures = CLI.packageRoot.appendingPathComponent("Tests/FoveaImageTests/Fixtures")
    private let astronaut = "Datasets/photos/astronaut.png"

    private func badFixtures() throws -> [String] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("bad/manifest.json"))
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return manifest.keys.sorted().map { fixtures.appendingPathComponent("bad/\($0)").path }
    }

    func testInfoOnEveryBadFileFailsReadablyWithoutCrashing() throws {
        let files = try badFixtures()
        XCTAssertGreaterThanOrEqual(files.count, 18)
        for path in files {
            let result = try CLI.run(["info", path])
            XCTAssertFalse(result.crashed, path)
            XCTAssertEqual(result.status, 1, "\(path): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            // Exactly our one message: libpng/libjpeg must not print warnings of their own.
            XCTAssertEqual(lines.count, 1, "\(path): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("fovea info: \(path): "), result.stderr)
            XCTAssertEqual(result.stdout, "", path)
        }
    }

    func testInfoReportsGoodFilesInAMixedList() throws {
        let good = fixtures.appendingPathComponent("codec/jpeg-progressive.jpg").path
        let bad = fixtures.appendingPathComponent("bad/truncated.png").path
        let table = try CLI.run(["info", astronaut, bad, good])
        XCTAssertFalse(table.crashed)
        XCTAssertEqual(table.status, 1)
        XCTAssertTrue(table.stderr.contains("truncated PNG"), table.stderr)
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        XCTAssertEqual(rows.count, 3, table.stdout)
        XCTAssertEqual(rows[1].map(String.init), [astronaut, "PNG", "512", "512", "3", "8"])
        XCTAssertEqual(rows[2].map(String.init), [good, "JPEG", "21", "13", "3", "8", "progressive"])

        let json = try CLI.run(["info", "--json", bad, astronaut])
        XCTAssertEqual(json.status, 1)
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.count, 2)
        XCTAssertNotNil(entries[0]["error"])
        XCTAssertEqual(entries[1]["width"] as? Int, 512)
        XCTAssertEqual(entries[1]["channels"] as? Int, 3)
        XCTAssertEqual(entries[1]["bitDepth"] as? Int, 8)
        XCTAssertEqual(entries[1]["format"] as? String, "png")

        let allGood = try CLI.run(["info", astronaut])
        XCTAssertEqual(allGood.status, 0, allGood.stderr)
    }

    func testConvertRoundTrip() throws {
        let folder = try CLI.temporaryDirectory(for: self)
        let jpeg = folder.appendingPathComponent("nested/astronaut.jpg").path
        let toJPEG = try CLI.run(["convert", "--quality", "85", astronaut, jpeg])
        XCTAssertEqual(toJPEG.status, 0, toJPEG.stderr)
        XCTAssertTrue(toJPEG.stdout.contains("wrote \(jpeg): 512x512, 3 channels, JPEG"), toJPEG.stdout)

        // Lossless leg: PNG → PNG must keep every pixel; check through `info` and a second conversion.
        let png = folder.appendingPathComponent("copy.png").path
        let back = try CLI.run(["convert", "--json", jpeg, png])
        XCTAssertEqual(back.status, 0, back.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["width"] as? Int, 512)
        XCTAssertEqual(summary["format"] as? String, "png")
        let again = folder.appendingPathComponent("again.png").path
        XCTAssertEqual(try CLI.run(["convert", png, again]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: png)), try Data(contentsOf: URL(fileURLWithPath: again)))

        let gray = folder.appendingPathComponent("gray.png").path
        XCTAssertEqual(try CLI.run(["convert", "--grayscale", astronaut, gray]).status, 0)
        let info = try CLI.run(["info", "--json", gray])
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.first?["channels"] as? Int, 1)

        // RGBA to JPEG drops alpha rather than failing.
        let rgba = fixtures.appendingPathComponent("codec/png-rgba8.png").path
        XCTAssertEqual(try CLI.run(["convert", rgba, folder.appendingPathComponent("rgba.jpg").path]).status, 0)
    }

    func testConvertRejectsUnknownExtensionAndBadInput() throws {
        let folder = try CLI.temporaryDirectory(for: self)
        let gif = try CLI.run(["convert", astronaut, folder.appendingPathComponent("a.gif").path])
        XCTAssertNotEqual(gif.status, 0)
        XCTAssertFalse(gif.crashed)
        XCTAssertTrue(gif.stderr.contains(".png, .jpg or .jpeg"), gif.stderr)
        let bad = try CLI.run(["convert", fixtures.appendingPathComponent("bad/bad-zlib.png").path,
                               folder.appendingPathComponent("a.png").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertFalse(bad.crashed)
        XCTAssertTrue(bad.stderr.contains("corrupt PNG"), bad.stderr)
        let quality = try CLI.run(["convert", "--quality", "0", astronaut, folder.appendingPathComponent("a.jpg").path])
        XCTAssertNotEqual(quality.status, 0)
        XCTAssertTrue(quality.stderr.contains("--quality"), quality.stderr)
    }

    func testFilterDemoWritesSobelMagnitudeMatchingScipy() throws {
        let folder = try CLI.temporaryDirectory(for: self)
        let output = folder.appendingPathComponent("out/astronaut-sobel.png").path
        let result = try CLI.run(["filter", "--kernel", "sobel-magnitude", astronaut, output])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrote \(output): 512x512"), result.stdout)
        let info = try CLI.run(["info", "--json", output])
        let entry = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [[String: Any]])?.first)
        XCTAssertEqual(entry["width"] as? Int, 512)
        XCTAssertEqual(entry["height"] as? Int, 512)
        XCTAssertEqual(entry["channels"] as? Int, 1)

        // The fixture holds scipy's sobel magnitude of the 40x30 crop at (220, 40), from Pillow's grayscale.
        // Away from the crop's border (where the crop saw zero fill) the full-image result must agree exactly.
        let data = try Data(contentsOf: fixtures.appendingPathComponent("convolution.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let photo = try XCTUnwrap(json["photo"] as? [String: Any])
        let expected = [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(photo["sobelMagnitude8"] as? String))))
        let written = try Image(contentsOf: output)
        var compared = 0
        for y in 1..<29 {
            for x in 1..<39 {
                XCTAssertEqual(written.pixels[(40 + y) * 512 + 220 + x], expected[y * 40 + x], "pixel \(x),\(y) of the crop")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 38 * 28)
    }

    func testFilterRejectsBadRequests() throws {
        let folder = try CLI.temporaryDirectory(for: self)
        for arguments in [["filter", "--kernel", "emboss", astronaut, folder.appendingPathComponent("a.png").path],
                          ["filter", "--kernel", "box", "--size", "0", astronaut, folder.appendingPathComponent("a.png").path],
                          ["filter", "--kernel", "laplacian", astronaut, folder.appendingPathComponent("a.jpg").path],
                          ["filter", "--kernel", "laplacian", "/no/such.png", folder.appendingPathComponent("a.png").path]] {
            let result = try CLI.run(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertFalse(result.crashed)
            XCTAssertFalse(result.stderr.isEmpty)
        }
    }
}
