// End-to-end tests of `fovea serve`: a real server process on a free
// loopback port. Its answers are checked against what `fovea detect --json`
// and `fovea smile --json` print for the same files; every limit and error
// has its status and JSON body; overload and timeouts give 503 with
// Retry-After; SIGTERM lets the request in flight finish and exits 0.
import Foundation
import XCTest

final class ServeCommandTests: XCTestCase {
    private let samples = CLI.packageRoot.appendingPathComponent("Datasets/ocr-samples")
    private let crops = CLI.packageRoot.appendingPathComponent("Datasets/smiles-sample/images")
    private let fixtures = CLI.packageRoot.appendingPathComponent("Tests/FoveaCLITests/Fixtures")

    private func line(_ n: Int) throws -> Data { try Data(contentsOf: samples.appendingPathComponent(String(format: "line-%06d.png", n))) }

    /// A JSON object without the keys that legitimately differ (timing, file name).
    private func comparable(_ object: [String: Any]?, dropping keys: [String] = ["elapsed_ms", "file"]) -> NSDictionary {
        var o = object ?? [:]
        for k in keys { o[k] = nil }
        return o as NSDictionary
    }

    private func cliJSON(_ arguments: [String]) throws -> [[String: Any]] {
        let r = try CLI.run(arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    private func assertError(_ a: HTTPAnswer, _ status: Int, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.status, status, a.text, file: file, line: line)
        XCTAssertEqual(a.headers["content-type"], "application/json", file: file, line: line)
        let message = a.json?["error"] as? String ?? ""
        XCTAssertTrue(message.contains(text), "\(status): \(a.text) should mention \(text)", file: file, line: line)
    }

    func testRoutesAnswerWhatTheCommandLinePrints() throws {
        let server = try ServerProcess()
        let path = samples.appendingPathComponent("line-000001.png").path
        let cli = try cliJSON(["detect", "--json", path])
        let http = try server.request("POST", "/v1/characters", body: try line(1), contentType: "image/png")
        XCTAssertEqual(http.status, 200, http.text)
        XCTAssertEqual(http.headers["content-type"], "application/json")
        XCTAssertNil(http.json?["file"], "a raw body has no file name")
        XCTAssertEqual(comparable(http.json), comparable(cli.first))
        XCTAssertFalse((http.json?["text"] as? String ?? "").isEmpty)

        let classic = try cliJSON(["detect", "--json", "--segmenter", "classic", "--min-score", "0.4", path])
        let classicHTTP = try server.request("POST", "/v1/characters?segmenter=classic&min_score=0.4", body: try line(1),
                                             contentType: "application/octet-stream")
        XCTAssertEqual(comparable(classicHTTP.json), comparable(classic.first))

        let crop = crops.appendingPathComponent("pos_25.jpg")
        let smileCLI = try cliJSON(["smile", "--face-crop", "--json", crop.path])
        let form = ServerProcess.multipart(try Data(contentsOf: crop), fileName: "pos_25.jpg")
        let smile = try server.request("POST", "/v1/smile?face_crop=true", body: form.body, contentType: form.contentType)
        XCTAssertEqual(smile.status, 200, smile.text)
        XCTAssertEqual(smile.json?["file"] as? String, "pos_25.jpg", "a multipart upload keeps its filename")
        XCTAssertEqual(comparable(smile.json), comparable(smileCLI.first))

        let photo = CLI.packageRoot.appendingPathComponent("Datasets/photos/astronaut.png")
        let photoCLI = try cliJSON(["smile", "--json", photo.path])
        let photoHTTP = try server.request("POST", "/v1/smile", body: try Data(contentsOf: photo), contentType: "image/png")
        XCTAssertEqual(photoHTTP.status, 200, photoHTTP.text)
        XCTAssertEqual(comparable(photoHTTP.json), comparable(photoCLI.first))
        XCTAssertFalse(((photoHTTP.json?["faces"] as? [Any]) ?? []).isEmpty, "the astronaut's face should be found")

        let health = try server.request("GET", "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json?["status"] as? String, "ok")

        let openAPI = try server.request("GET", "/openapi.json")
        XCTAssertEqual(openAPI.status, 200)
        XCTAssertEqual(openAPI.json?["openapi"] as? String, "3.0.3")
        XCTAssertEqual(Set(((openAPI.json?["paths"] as? [String: Any]) ?? [:]).keys),
                       ["/v1/characters", "/v1/smile", "/healthz", "/metrics", "/openapi.json"])

        let metrics = try server.request("GET", "/metrics").text
        for expected in [#"fovea_http_requests_total{route="/v1/characters",method="POST",status="200"} 2"#,
                         #"fovea_http_requests_total{route="/v1/smile",method="POST",status="200"} 2"#,
                         #"fovea_http_request_duration_seconds_count{route="/v1/characters"} 2"#,
                         #"fovea_inference_queue_length{route="/v1/smile"} 0"#,
                         "# TYPE fovea_http_requests_in_flight gauge"] {
            XCTAssertTrue(metrics.contains(expected), "metrics lack \(expected):\n\(metrics)")
        }
        let stopped = server.stop()
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        XCTAssertFalse(stopped.crashed)
    }

    func testDetectorHeadLabelsAnswerWhatDetectPrintsWithThem() throws {
        let head = CLI.packageRoot.appendingPathComponent("Models/ocr-detector-head.safetensors").path
        let server = try ServerProcess(["--detector", head])
        let path = samples.appendingPathComponent("line-000002.png").path
        let cli = try cliJSON(["detect", "--json", "--labels", "detector-head", "--model", head, path])
        let http = try server.request("POST", "/v1/characters?labels=detector-head", body: try line(2), contentType: "image/png")
        XCTAssertEqual(http.status, 200, http.text)
        XCTAssertEqual(comparable(http.json), comparable(cli.first))
        // Without the option the same server labels with the classifier, as detect does with that model.
        let byClassifier = try server.request("POST", "/v1/characters", body: try line(2), contentType: "image/png")
        XCTAssertEqual(comparable(byClassifier.json), comparable(try cliJSON(["detect", "--json", "--model", head, path]).first))
        XCTAssertEqual(server.stop().status, 0)
    }

    func testEveryBadRequestGetsItsStatusAndAJSONError() throws {
        let server = try ServerProcess(["--max-body-bytes", "20000", "--max-pixels", "5000"])
        let png = try line(3)  // 140x31 = 4340 pixels, 8,979 bytes: inside both limits
        XCTAssertEqual(try server.request("POST", "/v1/characters", body: png, contentType: "image/png").status, 200)

        assertError(try server.request("POST", "/v1/characters", body: Data(), contentType: "image/png"), 400, containing: "empty")
        assertError(try server.request("POST", "/v1/characters", body: Data("hello, not an image".utf8), contentType: "image/png"),
                    400, containing: "not a PNG or JPEG")
        assertError(try server.request("POST", "/v1/smile", body: png.prefix(120), contentType: "image/png"), 400, containing: "PNG")
        let noBoundary = try server.request("POST", "/v1/characters", body: png, contentType: "multipart/form-data")
        assertError(noBoundary, 400, containing: "boundary")
        assertError(try server.request("POST", "/v1/characters", body: png, contentType: "text/plain"), 415, containing: "text/plain")
        assertError(try server.request("POST", "/v1/characters", body: try line(2), contentType: "image/png"), 413, containing: "20000 bytes")
        assertError(try server.request("POST", "/v1/characters", body: try line(1), contentType: "image/png"), 413, containing: "5000 pixels")
        assertError(try server.request("POST", "/v1/characters?min_score=2", body: png, contentType: "image/png"), 422, containing: "min_score")
        assertError(try server.request("POST", "/v1/characters?nms_iou=abc", body: png, contentType: "image/png"), 422, containing: "nms_iou")
        assertError(try server.request("POST", "/v1/characters?segmenter=tesseract", body: png, contentType: "image/png"), 422,
                    containing: "cnn or classic")
        assertError(try server.request("POST", "/v1/smile?face_crop=maybe", body: png, contentType: "image/png"), 422,
                    containing: "true or false")
        assertError(try server.request("POST", "/v1/smile?min_face_score=-1", body: png, contentType: "image/png"), 422,
                    containing: "min_face_score")
        assertError(try server.request("POST", "/v1/characters?labels=tesseract", body: png, contentType: "image/png"), 422,
                    containing: "classifier or detector-head")
        assertError(try server.request("POST", "/v1/characters?labels=detector-head", body: png, contentType: "image/png"), 422,
                    containing: "no class head")
        assertError(try server.request("POST", "/v1/characters?labels=detector-head&segmenter=classic", body: png, contentType: "image/png"),
                    422, containing: "classic segmenter has no class head")
        let onePixel = try Data(contentsOf: fixtures.appendingPathComponent("one-pixel.png"))
        assertError(try server.request("POST", "/v1/smile?face_crop=true", body: onePixel, contentType: "image/png"), 422,
                    containing: "too small")
        assertError(try server.request("GET", "/v2/everything"), 404, containing: "no route")
        let wrongMethod = try server.request("GET", "/v1/smile")
        assertError(wrongMethod, 405, containing: "POST")
        XCTAssertEqual(wrongMethod.headers["allow"], "POST")

        XCTAssertEqual(try server.request("GET", "/healthz").status, 200, "bad requests must leave the server healthy")
        let stopped = server.stop(signal: SIGINT)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        XCTAssertFalse(stopped.crashed)
    }

    func testAFullQueueAndATimeoutGet503WithRetryAfter() throws {
        // One worker that waits 1.5 s for a batch partner, no waiting room, an 800 ms limit.
        let server = try ServerProcess(["--max-concurrent", "1", "--max-queue", "0", "--max-batch", "2",
                                        "--batch-window-ms", "1500", "--timeout-ms", "800"])
        let png = try line(3)
        nonisolated(unsafe) var slow: HTTPAnswer?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            slow = try? server.request("POST", "/v1/characters?min_score=0.3", body: png, contentType: "image/png")
            done.signal()
        }
        usleep(300_000)
        // Other options cannot join the waiting batch, and there is no room to queue.
        let refused = try server.request("POST", "/v1/characters?min_score=0.4", body: png, contentType: "image/png")
        assertError(refused, 503, containing: "limit of queued requests")
        XCTAssertEqual(refused.headers["retry-after"], "1")
        done.wait()
        assertError(try XCTUnwrap(slow), 503, containing: "800 ms")
        XCTAssertEqual(slow?.headers["retry-after"], "1")
        XCTAssertEqual(server.stop().status, 0)
    }

    func testSIGTERMLetsTheRequestInFlightFinishAndExitsZero() throws {
        // The lone request waits 1.5 s in its worker for a batch partner: it is surely in flight at the signal.
        let server = try ServerProcess(["--max-batch", "2", "--batch-window-ms", "1500"])
        let png = try line(1)
        nonisolated(unsafe) var answer: HTTPAnswer?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            answer = try? server.request("POST", "/v1/characters", body: png, contentType: "image/png")
            done.signal()
        }
        usleep(400_000)
        let stopped = server.stop(signal: SIGTERM)
        done.wait()
        XCTAssertEqual(answer?.status, 200, answer?.text ?? "no answer")
        XCTAssertFalse((answer?.json?["text"] as? String ?? "").isEmpty)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        XCTAssertFalse(stopped.crashed)
    }

    func testMicroBatchedAnswersEqualTheCommandLinesAndShareInferences() throws {
        let server = try ServerProcess(["--max-concurrent", "1", "--max-batch", "8", "--batch-window-ms", "200"])
        let files = (1...6).map { samples.appendingPathComponent(String(format: "line-%06d.png", $0)).path }
        let cli = try cliJSON(["detect", "--json"] + files)
        nonisolated(unsafe) var answers = [Int: HTTPAnswer]()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let a = try? server.request("POST", "/v1/characters", body: Data(contentsOf: URL(fileURLWithPath: files[i])),
                                        contentType: "image/png")
            lock.lock(); answers[i] = a; lock.unlock()
        }
        for i in files.indices {
            XCTAssertEqual(answers[i]?.status, 200)
            XCTAssertEqual(comparable(answers[i]?.json), comparable(cli[i]), "line \(i + 1) differs when batched")
        }
        let metrics = try server.request("GET", "/metrics").text
        func value(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + "{route=\"/v1/characters\"}") }
                .flatMap { Double($0.split(separator: " ").last!) }
        }
        let batches = try XCTUnwrap(value("fovea_inference_batch_size_count"), metrics)
        let requests = try XCTUnwrap(value("fovea_inference_batch_size_sum"), metrics)
        XCTAssertEqual(requests, 6)
        XCTAssertLessThan(batches, 6, "six requests at once should share inferences")
        XCTAssertEqual(server.stop().status, 0)
    }
}
