// ServiceError: every answer that is not a result — its HTTP status, the
// message in `{"error": "…"}`, extra headers (Retry-After) — and the one
// place that maps pipeline and decoder errors onto statuses. Anything a
// client sent that is wrong is a 4xx; 5xx is for the server's own state
// (overload, a missing model) or a bug.
import FoveaDetection
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation
import Hummingbird

public struct ServiceError: Error, CustomStringConvertible, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var retryAfterSeconds: Int?
    /// The methods a route takes, for 405.
    public var allow: String?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfterSeconds: Int? = nil, allow: String? = nil) {
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.allow = allow
    }

    public var description: String { "\(status.code) \(message)" }

    /// The JSON error response.
    public var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        if let allow { headers[.allow] = allow }
        let body = JSONValue.object([("error", .string(message))]).text + "\n"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func badOption(_ name: String, _ value: Substring, expected: String) -> ServiceError {
        ServiceError(.unprocessableContent, "query option \(name)=\(value) is not valid: expected \(expected)")
    }

    static let overloaded = ServiceError(.serviceUnavailable, "the server is at its limit of queued requests; retry shortly",
                                         retryAfterSeconds: 1)
    static func timedOut(_ milliseconds: Int) -> ServiceError {
        ServiceError(.serviceUnavailable, "the request was not answered within the server's \(milliseconds) ms limit; retry shortly",
                     retryAfterSeconds: 1)
    }

    /// The status a pipeline or decoder error deserves.
    static func from(_ error: Error) -> ServiceError {
        switch error {
        case let e as ServiceError:
            return e
        case let e as ImageError:
            switch e {
            case .tooLarge, .outOfMemory: return ServiceError(.contentTooLarge, e.description)
            default: return ServiceError(.badRequest, e.description)
            }
        case let e as LineInputError:
            return ServiceError(.contentTooLarge, e.description)
        case let e as SmileError:
            switch e {
            case .tooSmall: return ServiceError(.unprocessableContent, e.description)
            case .noFaceDetector: return ServiceError(.serviceUnavailable, e.description)
            }
        default:
            return ServiceError(.internalServerError, "internal error: \(error)")
        }
    }
}
