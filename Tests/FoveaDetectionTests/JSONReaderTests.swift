// The COCO JSON reader: numbers parse to the same double as the standard library's
// correctly rounded parser; malformed input gives errors with positions.
import XCTest
@testable import FoveaDetection

final class JSONReaderTests: XCTestCase {
    func testNumbersRoundLikeStrtod() throws {
        var rng = SystemRandomNumberGenerator()
        var tokens = ["0", "-0", "1", "0.1", "0.30000000000000004", "1e-7", "2.5E+3", "123456789012345678901234",
                      "0.12048816680908203", "9007199254740993", "4.9e-324", "1.7976931348623157e308", "-12.75"]
        for _ in 0..<500 {
            let v = Double.random(in: -1e6...1e6, using: &rng)
            tokens.append("\(v)")
            tokens.append(String(format: "%.\(Int.random(in: 0...20, using: &rng))f", v))
        }
        let doc = "[" + tokens.joined(separator: ",") + "]"
        let reader = JSONReader(bytes: Array(doc.utf8), file: "numbers")
        var parsed: [Double] = []
        try reader.readArray("numbers") { _ throws(DetectionDataError) in parsed.append(try reader.readNumber("n")) }
        XCTAssertEqual(parsed.count, tokens.count)
        for (t, p) in zip(tokens, parsed) {
            let want = try XCTUnwrap(Double(t))
            XCTAssertEqual(p.bitPattern, want.bitPattern, t)
        }
    }

    func testStringsWithEscapes() throws {
        let reader = JSONReader(bytes: Array(#"["a\"b\\c\n", "\u00e9\ud83d\ude00", "plain"]"#.utf8), file: "s")
        var got: [String] = []
        try reader.readArray("strings") { _ throws(DetectionDataError) in got.append(try reader.readString("s")) }
        XCTAssertEqual(got, ["a\"b\\c\n", "é😀", "plain"])
    }

    func testAHighSurrogateWithoutItsLowHalfIsAReplacementCharacterNotATrap() throws {
        // FuzzCOCO (Tools/fuzz.sh) found \udAAC\uAACF: the second escape is no low
        // surrogate, and combining the two overflowed UInt32 (a trap). As in the
        // WHATWG decoders, the lone half reads as U+FFFD and the second escape on its own.
        let reader = JSONReader(bytes: Array(#"["\ud800\u0041", "\udAAC\uAACF", "x\ud83d"]"#.utf8), file: "s")
        var got: [String] = []
        try reader.readArray("strings") { _ throws(DetectionDataError) in got.append(try reader.readString("s")) }
        XCTAssertEqual(got, ["\u{FFFD}A", "\u{FFFD}\u{AACF}", "x\u{FFFD}"])
        // The fuzzer's own input: a clear error (it is no ground-truth file), not a crash.
        let url = try Fixture.root.appendingPathComponent("fuzz/coco-unpaired-surrogate.json")
        XCTAssertThrowsError(try COCOGroundTruth(json: Array(try Data(contentsOf: url)), name: "crash.json")) { e in
            XCTAssertTrue("\(e)".hasPrefix("crash.json: "), "\(e)")
        }
    }

    func testErrorsCarryLineAndColumn() {
        let reader = JSONReader(bytes: Array("[1,\n 2,\n x]".utf8), file: "bad.json")
        XCTAssertThrowsError(try reader.readArray("list") { _ throws(DetectionDataError) in _ = try reader.readNumber("item") }) { e in
            XCTAssertTrue("\(e)".hasPrefix("bad.json: expected item (a number), found 'x' (line 3, column 2, byte 9)"), "\(e)")
        }
    }

    func testTrailingGarbageAndLeadingZerosRejected() {
        XCTAssertThrowsError(try COCOResults.load(json: Array("[] x".utf8))) { e in
            XCTAssertTrue("\(e)".contains("after the end of the JSON document"), "\(e)")
        }
        XCTAssertThrowsError(try COCOResults.load(json: Array(#"[{"image_id": 01}]"#.utf8))) { e in
            XCTAssertTrue("\(e)".contains("leading zeros"), "\(e)")
        }
        XCTAssertThrowsError(try COCOResults.load(json: Array(#"[{"image_id": 1.5}]"#.utf8))) { e in
            XCTAssertTrue("\(e)".contains("must be an integer"), "\(e)")
        }
        XCTAssertThrowsError(try COCOGroundTruth(json: Array(#"{"categories": [], "annotations": []}"#.utf8), name: "gt.json")) { e in
            XCTAssertEqual("\(e)", #"gt.json: the ground-truth object has no "images" field, which is required"#)
        }
    }

    func testDeepNestingIsAnErrorNotAStackOverflow() {
        let doc = #"[{"image_id": 1, "extra": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}]"
        XCTAssertThrowsError(try COCOResults.load(json: Array(doc.utf8))) { e in
            XCTAssertTrue("\(e)".contains("nested more than 512 deep"), "\(e)")
        }
        // Moderate nesting in unknown fields is skipped.
        let ok = #"[{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5, "extra": [[[{"a": [1]}]]]}]"#
        XCTAssertEqual(try COCOResults.load(json: Array(ok.utf8)).count, 1)
    }
}
