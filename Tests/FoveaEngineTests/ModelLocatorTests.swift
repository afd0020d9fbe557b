// Tests of the default-model search order.
import Foundation
import XCTest
@testable import FoveaEngine

final class ModelLocatorTests: XCTestCase {
    func testSearchOrderEnvironmentThenExecutableAncestorsThenCurrentDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-models-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let package = root.appendingPathComponent("pkg"), bin = package.appendingPathComponent(".build/debug")
        let cwd = root.appendingPathComponent("cwd"), env = root.appendingPathComponent("env")
        for dir in [package.appendingPathComponent("Models"), bin, cwd.appendingPathComponent("Models"), env] {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        let exe = bin.appendingPathComponent("fovea")
        func locate(_ environment: [String: String]) throws -> String {
            try ModelLocator.defaultModel(environment: environment, executable: exe, currentDirectory: cwd).path
        }
        // Nothing present: the error lists every place tried and how to get a model.
        XCTAssertThrowsError(try locate([:])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(package.appendingPathComponent("Models").path), text)
            XCTAssertTrue(text.contains(cwd.appendingPathComponent("Models").path), text)
            XCTAssertTrue(text.contains("fovea train classifier"), text)
        }
        let name = ModelLocator.defaultFileName
        try Data([1]).write(to: cwd.appendingPathComponent("Models/\(name)"))
        XCTAssertEqual(try locate([:]), cwd.appendingPathComponent("Models/\(name)").path)
        try Data([1]).write(to: package.appendingPathComponent("Models/\(name)"))
        XCTAssertEqual(try locate([:]), package.appendingPathComponent("Models/\(name)").path)
        try Data([1]).write(to: env.appendingPathComponent(name))
        XCTAssertEqual(try locate(["FOVEA_MODELS_DIR": env.path]), env.appendingPathComponent(name).path)
    }
}
