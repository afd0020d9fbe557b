// Safetensors reading and writing: agreement with files written by Python's
// `safetensors` package, and a typed error for each kind of damaged file.
import Foundation
import XCTest
@testable import FoveaEngine

final class SafetensorsTests: XCTestCase {
    // Written by Python safetensors 0.8.0:
    //   safetensors.numpy.save({"dense/kernel": np.array([[0.5, -1.25, 3.0], [1e-3, -0.0, 65504.0]], np.float32),
    //                           "dense/bias": np.array([0.1, 0.2, 0.3], np.float32)},
    //                          metadata={"format": "np", "labels": '["a","b"]'})
    private let pythonWithMetadata = """
        wAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJsYWJlbHMiOiJbXCJhXCIsXCJiXCJdIiwiZm9ybWF0IjoibnAifSwiZGVuc2UvYmlh\
        cyI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzAsMTJdfSwiZGVuc2Uva2VybmVsIjp7ImR0eXBl\
        IjoiRjMyIiwic2hhcGUiOlsyLDNdLCJkYXRhX29mZnNldHMiOlsxMiwzNl19fSAgICDNzMw9zcxMPpqZmT4AAAA/AACgvwAAQEBv\
        EoM6AAAAgADgf0c=
        """
    // The same two tensors saved without metadata.
    private let pythonPlain = """
        iAAAAAAAAAB7ImRlbnNlL2JpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlswLDEyXX0sImRl\
        bnNlL2tlcm5lbCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMTIsMzZdfX0gICAgzczMPc3M\
        TD6amZk+AAAAPwAAoL8AAEBAbxKDOgAAAIAA4H9H
        """

    private let kernel: [Float] = [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0]
    private let bias: [Float] = [0.1, 0.2, 0.3]

    func testReadsFileWrittenByPythonSafetensors() throws {
        let file = try SafetensorsFile(decoding: Data(base64Encoded: pythonWithMetadata)!, source: "python.safetensors")
        XCTAssertEqual(file.names, ["dense/bias", "dense/kernel"])
        XCTAssertEqual(file.tensors["dense/kernel"]?.shape, [2, 3])
        XCTAssertEqual(file.tensors["dense/kernel"]?.data, kernel)
        XCTAssertEqual(file.tensors["dense/kernel"]?.data[4].sign, .minus, "-0.0 keeps its sign bit")
        XCTAssertEqual(file.tensors["dense/bias"]?.shape, [3])
        XCTAssertEqual(file.tensors["dense/bias"]?.data, bias)
        XCTAssertEqual(file.metadata, ["format": "np", "labels": "[\"a\",\"b\"]"])
    }

    func testWritesTheSameBytesAsPythonSafetensors() {
        var file = SafetensorsFile()
        file.append("dense/bias", Tensor(shape: [3], data: bias))
        file.append("dense/kernel", Tensor(shape: [2, 3], data: kernel))
        XCTAssertEqual(file.encoded(), Data(base64Encoded: pythonPlain)!)
    }

    func testRoundTripKeepsValuesShapesAndEscapedMetadata() throws {
        var file = SafetensorsFile()
        file.append("conv2d/kernel", Tensor(shape: [3, 3, 1, 2], data: (0..<18).map { Float($0) * 0.37 - 3 }))
        file.append("scalar", Tensor(shape: [], data: [Float.pi]))
        file.append("empty", Tensor(shape: [0, 4], data: []))
        file.metadata = ["architecture": "{\"layers\": [\"a\\tb\"]}\n\u{1}", "labels": "ü,ß,ø"]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-st-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)

        let raw = try Data(contentsOf: url)
        let headerLength = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header padded so the data section is 8-byte aligned")
        XCTAssertEqual(raw.count, 8 + headerLength + (18 + 1 + 0) * 4)

        let back = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(back.metadata, file.metadata)
        for name in file.names {
            XCTAssertEqual(back.tensors[name]?.shape, file.tensors[name]?.shape, name)
            XCTAssertEqual(back.tensors[name]?.data, file.tensors[name]?.data, name)
        }
    }

    func testNamesAndTensorsEditedSeparatelyStillEncode() throws {
        var file = SafetensorsFile()
        file.append("a", Tensor(shape: [1], data: [1]))
        file.append("b", Tensor(shape: [1], data: [2]))
        file.tensors["a"] = nil                              // listed, but no tensor: skipped
        file.tensors["c"] = Tensor(shape: [2], data: [3, 4])  // a tensor nobody listed: written after
        let back = try SafetensorsFile(decoding: file.encoded(), source: "edited")
        XCTAssertEqual(back.names, ["b", "c"])
        XCTAssertEqual(back.tensors["c"]?.data, [3, 4])
    }

    // MARK: Damaged files, each built here byte by byte.

    /// A file with the given header text and `dataBytes` zero bytes of data.
    private func file(header: String, dataBytes: Int, claimedLength: UInt64? = nil) -> Data {
        var d = Data()
        withUnsafeBytes(of: (claimedLength ?? UInt64(header.utf8.count)).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(header.utf8))
        d.append(Data(count: dataBytes))
        return d
    }

    private func assertError(_ data: Data, _ expected: SafetensorsError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(decoding: data, source: "bad.safetensors"), file: file, line: line) { error in
            XCTAssertEqual(error as? SafetensorsError, expected, file: file, line: line)
            XCTAssertTrue("\(error)".contains("bad.safetensors"), "message names the file", file: file, line: line)
        }
    }

    func testTruncatedBeforeHeaderLength() {
        assertError(Data([0x10, 0, 0]), .truncated(file: "bad.safetensors", size: 3))
        assertError(Data(), .truncated(file: "bad.safetensors", size: 0))
    }

    func testHeaderLengthBeyondFile() {
        let full = Data(base64Encoded: pythonPlain)!
        assertError(full.prefix(100), .headerBeyondFile(file: "bad.safetensors", headerLength: 136, fileSize: 100))
        assertError(file(header: "{}", dataBytes: 0, claimedLength: UInt64.max),
                    .headerBeyondFile(file: "bad.safetensors", headerLength: UInt64.max, fileSize: 10))
    }

    func testTruncatedDataSection() {
        // The header is intact but the last tensor's bytes were cut off.
        let full = Data(base64Encoded: pythonPlain)!
        assertError(full.prefix(full.count - 4),
                    .offsetsOutOfRange(file: "bad.safetensors", tensor: "dense/kernel", begin: 12, end: 36, dataSize: 32))
    }

    func testHeaderThatIsNotJSON() {
        assertError(file(header: "{\"a\": {\"dtype\": \"F32\", ", dataBytes: 0),
                    .badHeader(file: "bad.safetensors", reason: "the JSON does not parse"))
        assertError(file(header: "[1, 2]", dataBytes: 0),
                    .badHeader(file: "bad.safetensors", reason: "the JSON is not an object"))
    }

    func testEntryWithMissingOrMistypedFields() {
        let reason = "entry 'w' needs a string dtype, an integer shape and two integer data_offsets"
        assertError(file(header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, dataBytes: 4),
                    .badHeader(file: "bad.safetensors", reason: reason))
        assertError(file(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, dataBytes: 4),
                    .badHeader(file: "bad.safetensors", reason: reason))
        assertError(file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, dataBytes: 4),
                    .badHeader(file: "bad.safetensors", reason: reason))
        assertError(file(header: #"{"__metadata__":{"epochs":3}}"#, dataBytes: 0),
                    .badHeader(file: "bad.safetensors", reason: "__metadata__ value 'epochs' is not a string"))
    }

    func testDtypeOtherThanF32() {
        assertError(file(header: #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4),
                    .unsupportedDtype(file: "bad.safetensors", tensor: "w", dtype: "F16"))
    }

    func testOffsetsOutOfRange() {
        assertError(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 8),
                    .offsetsOutOfRange(file: "bad.safetensors", tensor: "w", begin: 4, end: 12, dataSize: 8))
        assertError(file(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, dataBytes: 8),
                    .offsetsOutOfRange(file: "bad.safetensors", tensor: "w", begin: 8, end: 4, dataSize: 8))
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertError(file(header: header, dataBytes: 12), .overlapping(file: "bad.safetensors", first: "a", second: "b"))
    }

    func testShapeDisagreeingWithByteCount() {
        assertError(file(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, dataBytes: 20),
                    .sizeMismatch(file: "bad.safetensors", tensor: "w", shape: [2, 3], bytes: 20))
    }

    func testMissingFileIsReportedNotTrapped() {
        let url = URL(fileURLWithPath: "/nonexistent/fovea/weights.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(contentsOf: url)) { error in
            guard case .unreadable(let f, _) = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(f, url.path)
        }
    }
}
