// Runs the built `fovea` executable as a user would, for end-to-end tests of
// exit codes, stdout and stderr.
import Foundation
import XCTest

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
    /// True when the process ended by a signal (a crash or trap), which is never acceptable.
    let crashed: Bool
}

enum CLI {
    /// The package root (the folder holding Package.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared beside the checkout, present on developer machines and in CI.
    static let sharedRoot: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The `fovea` binary, built next to the test bundle.
    static var executable: URL {
        // On Linux the bundle URL is the build folder itself; elsewhere it is the .xctest inside it.
        let bundle = Bundle(for: Marker.self).bundleURL
        let candidates = [bundle.appendingPathComponent("fovea"),
                          bundle.deletingLastPathComponent().appendingPathComponent("fovea")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    private final class Marker {}

    /// Runs `fovea` with arguments, optional stdin, and a timeout (a hang fails the test).
    static func run(_ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 120,
                    file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try? inp.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty process cannot block on a full pipe.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("fovea \(arguments.joined(separator: " ")) did not finish in \(timeout) s", file: file, line: line)
        }
        process.waitUntilExit()
        group.wait()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self),
                         crashed: process.terminationReason == .uncaughtSignal)
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryDirectory(for test: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("fovea-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}

final class CLIRootTests: XCTestCase {
    func testHelpListsSubcommandsAndUnknownSubcommandFails() throws {
        let help = try CLI.run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: fovea"), help.stdout)
        let bad = try CLI.run(["no-such-command"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertFalse(bad.crashed)
        XCTAssertFalse(bad.stderr.isEmpty)
    }
}
