// `fovea serve`: the HTTP service (FoveaService) for both pipelines —
// POST /v1/characters and /v1/smile answer what `fovea detect --json` and
// `fovea smile --json` print; /healthz, /metrics (Prometheus), /openapi.json.
import ArgumentParser
import FoveaEngine
import FoveaService
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve character reading and smile scoring over HTTP.",
        discussion: """
        POST the image bytes (Content-Type image/png, image/jpeg or application/octet-stream) or a \
        multipart/form-data body with a file field to /v1/characters (query: min_score, nms_iou, \
        segmenter) or /v1/smile (query: face_crop, min_face_score). GET /healthz, /metrics \
        (Prometheus text) and /openapi.json. Errors are {"error": "..."} with a 4xx status; 503 with \
        Retry-After when the queue is full or a request times out. SIGTERM or SIGINT stops accepting, \
        finishes the requests in flight and exits 0. Models are found as for `fovea detect` and `fovea smile`.
        """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the line 'listening on http://HOST:PORT' tells which).")
    var port = 8080

    @Option(help: "Largest request body in bytes (413 beyond).")
    var maxBodyBytes = 20 * 1024 * 1024

    @Option(help: "Largest image in pixels, width x height (413 beyond).")
    var maxPixels = 40_000_000

    @Option(help: "Inference workers per route, each with its own copy of the models (default: all cores).")
    var maxConcurrent = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Requests that may wait per route beyond the busy workers (503 with Retry-After beyond).")
    var maxQueue = 64

    @Option(help: "Milliseconds a request may take before it gets 503.")
    var timeoutMs = 10_000

    @Option(help: "Most requests gathered into one batched inference (1 turns micro-batching off).")
    var maxBatch = 8

    @Option(help: "Milliseconds a worker holding one request waits for more to batch with it.")
    var batchWindowMs = 2.0

    @Option(help: "Threads for the engine's loops (default: all cores).")
    var threads: Int?

    @Option(help: "Log level: trace, debug, info (a line per request), notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Character detector model (default: the committed one).")
    var detector: String?

    @Option(help: "Character classifier model (default: the committed one).")
    var classifier: String?

    @Option(help: "Face-crop model, landmarks + smile (default: the committed one).")
    var faceModel: String?

    @Option(help: "Face detector model (default: the committed one).")
    var faceDetector: String?

    var serviceConfiguration: ServiceConfiguration {
        var c = ServiceConfiguration()
        c.host = host
        c.port = port
        c.maxBodyBytes = maxBodyBytes
        c.maxPixels = maxPixels
        c.maxConcurrent = maxConcurrent
        c.maxQueue = maxQueue
        c.timeoutMilliseconds = timeoutMs
        c.maxBatch = maxBatch
        c.batchWindowMilliseconds = batchWindowMs
        c.detectorPath = detector
        c.classifierPath = classifier
        c.faceModelPath = faceModel
        c.faceDetectorPath = faceDetector
        return c
    }

    func validate() throws {
        if let problem = serviceConfiguration.problem() { throw ValidationError(problem) }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    }

    func run() async throws {
        if let threads { Engine.setThreads(threads) }
        var logger = Logger(label: "fovea.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel)!
        let server = try FoveaServer(configuration: serviceConfiguration)
        let host = self.host
        try await server.run(logger: logger) { port in
            // Written straight to the descriptor: tests and scripts wait for this line on a pipe.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}
