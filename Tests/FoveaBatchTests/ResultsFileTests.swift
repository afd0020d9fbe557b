// ResultsFile: rows appended whole and read back, a torn last line cut off on
// open, a malformed row refused with its line number, one writer at a time,
// and --retry-errors' rewrite dropping only the chosen error rows.
import FoveaBatch
import Foundation
import XCTest

final class ResultsFileTests: XCTestCase {
    private var path: String!

    override func setUp() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-results-\(UUID().uuidString).jsonl").path
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    private func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testAppendsAndReadsBackTheRecordedStatuses() throws {
        do {
            let results = try ResultsFile(path: path)
            XCTAssertTrue(results.recorded.isEmpty)
            try results.append([#"{"file":"a.png","status":"ok","width":3}"#, #"{"file":"b.png","status":"error","error":"x"}"#])
        }
        let again = try ResultsFile(path: path)
        XCTAssertEqual(again.recorded, ["a.png": true, "b.png": false])
        XCTAssertEqual(again.repairedBytes, 0)
    }

    func testATornLastLineIsCutOffOnOpen() throws {
        let good = #"{"file":"a.png","status":"ok"}"# + "\n"
        try Data((good + #"{"file":"b.png","sta"#).utf8).write(to: URL(fileURLWithPath: path))
        let results = try ResultsFile(path: path)
        XCTAssertEqual(results.recorded, ["a.png": true])
        XCTAssertEqual(results.repairedBytes, 20)
        XCTAssertEqual(try text(), good)
        try results.append([#"{"file":"b.png","status":"ok"}"#])
        XCTAssertEqual(try text(), good + #"{"file":"b.png","status":"ok"}"# + "\n")
    }

    func testAMalformedRowIsAnErrorNamingItsLine() throws {
        try Data("{\"file\":\"a.png\",\"status\":\"ok\"}\nnot json\n{\"file\":\"c.png\",\"status\":\"ok\"}\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ResultsFile(path: path)) { error in
            XCTAssertTrue("\(error)".contains("line 2 is not a result row (not a JSON object)"), "\(error)")
        }
    }

    func testASecondWriterIsRefusedWhileTheFirstHoldsTheFile() throws {
        do {
            let first = try ResultsFile(path: path)
            XCTAssertThrowsError(try ResultsFile(path: path)) { error in
                XCTAssertTrue("\(error)".contains("another `fovea batch` is writing"), "\(error)")
            }
            withExtendedLifetime(first) {}
        }
        XCTAssertNoThrow(try ResultsFile(path: path), "closing the first releases the lock")
    }

    func testDroppingErrorRowsKeepsTheOthers() throws {
        let rows = [#"{"file":"a","status":"error","error":"e"}"#, #"{"file":"b","status":"ok"}"#,
                    #"{"file":"c","status":"error","error":"e"}"#]
        try Data(rows.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
        let results = try ResultsFile(path: path)
        try results.dropErrorRows(of: ["a", "b"])
        XCTAssertEqual(results.recorded, ["b": true, "c": false])
        XCTAssertEqual(try text(), rows[1] + "\n" + rows[2] + "\n")
        try results.append([#"{"file":"a","status":"ok"}"#])
        XCTAssertEqual(try ResultsFile.scan(path) { _, _ in }.rows, 3)
    }
}
