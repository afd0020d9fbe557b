// FoveaServer: `fovea serve` — the models loaded once into a queue of
// inference workers per pipeline route, and the Hummingbird application in
// front of them: routes, their handlers (decode the request, call the
// pipeline's queue, encode its JSON) and the middleware that holds limits,
// errors, logs and metrics in one place. Graceful shutdown on SIGTERM and
// SIGINT: stop accepting, finish what is in flight, return.
import FoveaDetection
import FoveaOCR
import Foundation
import Hummingbird
import Logging

public final class FoveaServer: Sendable {
    public let configuration: ServiceConfiguration
    let characters: InferenceQueue<CharacterRequest, Answer>
    let smile: InferenceQueue<SmileRequest, Answer>
    let metrics = ServiceMetrics()
    let openAPI: String

    static let charactersRoute = "/v1/characters"
    static let smileRoute = "/v1/smile"
    /// Every route and the methods it takes (others get 405).
    static let routes: [String: String] = [
        charactersRoute: "POST", smileRoute: "POST", "/healthz": "GET", "/metrics": "GET", "/openapi.json": "GET",
    ]

    /// Loads the models (once per worker) and starts the inference workers.
    public init(configuration: ServiceConfiguration) throws {
        self.configuration = configuration
        let c = configuration
        let observeCharacters = metrics.batchObserver(route: Self.charactersRoute)
        let observeSmile = metrics.batchObserver(route: Self.smileRoute)
        characters = try InferenceQueue(name: "characters", workers: c.maxConcurrent, maxQueue: c.maxQueue, maxBatch: c.maxBatch,
                                        windowMilliseconds: c.batchWindowMilliseconds) {
            try PipelineWorkers.characters(c, observe: observeCharacters)
        }
        smile = try InferenceQueue(name: "smile", workers: c.maxConcurrent, maxQueue: c.maxQueue, maxBatch: c.maxBatch,
                                   windowMilliseconds: c.batchWindowMilliseconds) {
            try PipelineWorkers.smile(c, observe: observeSmile)
        }
        openAPI = OpenAPIDocument.json(configuration: c).text
    }

    /// Serves until SIGTERM or SIGINT; `onListening` gets the bound port.
    public func run(logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(
            router: router(logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fovea"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
        characters.stop()
        smile.stop()
    }

    func router(logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ServiceMiddleware(server: self, logger: logger))
        router.post(RouterPath(Self.charactersRoute)) { request, _ in
            let q = request.uri.queryParameters
            let segmenterValue = q["segmenter"] ?? "cnn"
            guard let segmenter = Segmenter(rawValue: String(segmenterValue)) else {
                throw ServiceError.badOption("segmenter", segmenterValue, expected: "cnn or classic")
            }
            let labelsValue = q["labels"] ?? "classifier"
            guard let labels = LabelSource(rawValue: String(labelsValue)) else {
                throw ServiceError.badOption("labels", labelsValue, expected: "classifier or detector-head")
            }
            if labels == .detectorHead && segmenter == .classic {
                throw ServiceError.badOption("labels", labelsValue, expected: "classifier with segmenter=classic (the classic segmenter has no class head)")
            }
            let job = CharacterRequest(upload: try await self.upload(request),
                                       minScore: try Self.fraction(q["min_score"], "min_score", default: 0.3),
                                       nmsIoU: try Self.fraction(q["nms_iou"], "nms_iou", default: 0.5), segmenter: segmenter,
                                       labels: labels)
            return try await self.answer(self.characters, job)
        }
        router.post(RouterPath(Self.smileRoute)) { request, _ in
            let q = request.uri.queryParameters
            let faceCrop: Bool
            switch q["face_crop"] {
            case nil, "false": faceCrop = false
            case "true": faceCrop = true
            case let value?: throw ServiceError.badOption("face_crop", value, expected: "true or false")
            }
            let job = SmileRequest(upload: try await self.upload(request), faceCrop: faceCrop,
                                   minFaceScore: try Self.fraction(q["min_face_score"], "min_face_score", default: 0.5))
            return try await self.answer(self.smile, job)
        }
        router.get("/healthz") { _, _ in
            Self.json(JSONValue.object([("status", .string("ok")),
                                        ("routes", .array([.string(Self.charactersRoute), .string(Self.smileRoute)]))]).text)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = self.metrics.text(queueLengths: [(Self.charactersRoute, self.characters.queueLength),
                                                         (Self.smileRoute, self.smile.queueLength)])
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/openapi.json") { _, _ in Self.json(self.openAPI) }
        return router
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A query option in 0...1.
    static func fraction(_ raw: Substring?, _ name: String, default value: Double) throws -> Double {
        guard let raw else { return value }
        guard let v = Double(raw), (0...1).contains(v) else { throw ServiceError.badOption(name, raw, expected: "a number from 0 to 1") }
        return v
    }

    private func answer<Job>(_ queue: InferenceQueue<Job, Answer>, _ job: Job) async throws -> Response {
        do {
            return Self.json(try await queue.submit(job, timeout: .milliseconds(configuration.timeoutMilliseconds)).get().text)
        } catch let refusal as QueueRefusal {
            switch refusal {
            case .full: throw ServiceError.overloaded
            case .timedOut: throw ServiceError.timedOut(configuration.timeoutMilliseconds)
            case .stopped: throw ServiceError(.serviceUnavailable, "the server is shutting down", retryAfterSeconds: 1)
            }
        }
    }

    static let acceptedTypes = ["image/png", "image/jpeg", "image/jpg", "application/octet-stream", "multipart/form-data"]

    /// The image bytes of a request: the body, or its multipart `file` field.
    private func upload(_ request: Request) async throws -> Upload {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType.isEmpty || Self.acceptedTypes.contains(mediaType) else {
            throw ServiceError(.unsupportedMediaType, "content type \(mediaType) is not accepted: send the image as image/png, image/jpeg or application/octet-stream, or as the file field of multipart/form-data")
        }
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw ServiceError(.contentTooLarge, "the body is \(length) bytes, above the limit of \(limit) bytes")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServiceError(.contentTooLarge, "the body is larger than the limit of \(limit) bytes")
        }
        let bytes = Array(body.readableBytesView)
        var upload = Upload(bytes: bytes, fileName: nil)
        if mediaType == "multipart/form-data" {
            guard let boundary = Multipart.boundary(ofContentType: contentType) else {
                throw ServiceError(.badRequest, "multipart/form-data without a boundary parameter")
            }
            upload = try Multipart.file(named: "file", in: bytes, boundary: boundary)
        }
        guard !upload.bytes.isEmpty else {
            throw ServiceError(.badRequest, "the image is empty: send the PNG or JPEG bytes as the body (or as the file field of multipart/form-data)")
        }
        return upload
    }
}

/// Limits, errors, logs and metrics for every request, in one place.
struct ServiceMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: FoveaServer
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        server.metrics.inFlight.increment()
        defer { server.metrics.inFlight.decrement() }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorResponse(error, request).response
        }
        let path = request.uri.path
        let elapsed = clock.now - start
        let route = FoveaServer.routes[path] != nil ? path : "unknown"
        server.metrics.record(route: route, method: request.method.rawValue, status: response.status.code, duration: elapsed)
        logger.info("\(request.method) \(path) \(response.status.code) \(String(format: "%.1f", Double(elapsed.nanoseconds) / 1e6)) ms")
        return response
    }

    private func errorResponse(_ error: Error, _ request: Request) -> ServiceError {
        if let e = error as? ServiceError { return e }
        if let e = error as? any HTTPResponseError {
            let path = request.uri.path
            if e.status == .notFound, let allowed = FoveaServer.routes[path] {
                return ServiceError(.methodNotAllowed, "\(path) takes \(allowed), not \(request.method)", allow: allowed)
            }
            if e.status == .notFound {
                return ServiceError(.notFound, "no route \(request.method) \(path); routes: \(FoveaServer.routes.keys.sorted().joined(separator: ", "))")
            }
            return ServiceError(e.status, e.status.reasonPhrase)
        }
        logger.error("\(request.method) \(request.uri.path): \(error)")
        return ServiceError(.internalServerError, "internal error: \(error)")
    }
}
