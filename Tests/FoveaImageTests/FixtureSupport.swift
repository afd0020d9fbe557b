// Shared helpers for FoveaImage tests: locating the committed fixtures and
// decoding their JSON descriptions.
import Foundation
import XCTest
@testable import FoveaImage

enum Fixtures {
    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                // A missing folder is a broken package (Package.swift copies it as a
                // resource), so it fails the test rather than skipping it.
                throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey:
                    "the Fixtures folder is missing from the test bundle: check the target's resources in Package.swift"])
            }
            return url
        }
    }

    static func path(_ relative: String) throws -> String {
        try root.appendingPathComponent(relative).path
    }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent(relative))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func bytes(base64 value: Any?) throws -> [UInt8] {
        let text = try XCTUnwrap(value as? String)
        return [UInt8](try XCTUnwrap(Data(base64Encoded: text)))
    }

    static func floats(_ value: Any?) throws -> [Float] {
        try XCTUnwrap(value as? [Double]).map(Float.init)
    }
}

/// The largest absolute difference between two equally long sample arrays.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

/// Asserts two float arrays agree within `tolerance` relative to the larger magnitude (at least 1).
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
    for (index, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > tolerance * max(1, abs(e)) {
        XCTFail("\(label): value \(index) is \(a), expected \(e)", file: file, line: line)
        return
    }
}
