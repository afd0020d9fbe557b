// Starts `fovea serve` on a free loopback port as a real process, sends it
// HTTP requests (URLSession), and stops it with a signal.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

struct HTTPAnswer {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

struct ServerStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let errors = Pipe()
    private nonisolated(unsafe) var errorData = Data()
    private let errorReader = DispatchGroup()

    /// Starts `fovea serve --port 0 arguments…` and waits for its "listening on" line.
    init(_ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        process.executableURL = CLI.executable
        process.arguments = ["serve", "--port", "0", "--log-level", "warning"] + arguments
        process.currentDirectoryURL = CLI.packageRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        var buffer = Data()
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += chunk
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last!)
            }
        }
        guard let found else {
            process.terminate()
            port = 0
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ServerStartError(message: "fovea serve did not start: \(String(decoding: buffer, as: UTF8.self)) \(stderr)")
        }
        port = found
        errorReader.enter()
        DispatchQueue.global().async { [self] in
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            errorReader.leave()
        }
    }

    /// Sends SIGTERM (or `signal`) and waits for the exit status.
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 30) -> (status: Int32, crashed: Bool, stderr: String) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        errorReader.wait()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, String(decoding: errorData, as: UTF8.self))
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// One request; waits for the answer (a hang fails).
    func request(_ method: String = "GET", _ path: String, body: Data? = nil, contentType: String? = nil,
                 timeout: TimeInterval = 60) throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        nonisolated(unsafe) var result: Result<HTTPAnswer, Error>?
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                var headers = [String: String]()
                for (k, v) in http.allHeaderFields { headers["\(k)".lowercased()] = "\(v)" }
                result = .success(HTTPAnswer(status: http.statusCode, headers: headers, body: data ?? Data()))
            } else {
                result = .failure(error ?? URLError(.badServerResponse))
            }
            done.signal()
        }.resume()
        done.wait()
        return try result!.get()
    }

    /// A multipart/form-data body with one `file` part, as `curl -F file=@name` sends it.
    static func multipart(_ data: Data, fileName: String) -> (body: Data, contentType: String) {
        let boundary = "fovea-test-\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += data
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}
