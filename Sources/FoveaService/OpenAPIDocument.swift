// OpenAPIDocument: the OpenAPI 3 description of every route, parameter, body
// and error `fovea serve` has, served at GET /openapi.json. The schemas are
// those of `fovea detect --json` and `fovea smile --json`; schemathesis
// (Tools/fuzz_service.sh) checks the server against this document.
import FoveaDetection
import FoveaFace

enum OpenAPIDocument {
    static func json(configuration: ServiceConfiguration) -> JSONValue {
        .object([
            ("openapi", .string("3.0.3")),
            ("info", .object([
                ("title", .string("Fovea")),
                ("version", .string("1.0.0")),
                ("description", .string("""
                    Handwritten text-line reading (characters, boxes, text) and smile scoring (faces, landmarks, \
                    smile probability). Send the image bytes as the body (image/png, image/jpeg or \
                    application/octet-stream) or as the `file` field of multipart/form-data. Bodies above \
                    \(configuration.maxBodyBytes) bytes and images above \(configuration.maxPixels) pixels get 413.
                    """)),
            ])),
            ("paths", .object([
                ("/v1/characters", .object([("post", operation(
                    id: "readCharacters", summary: "Read the characters of a handwritten text-line image",
                    parameters: [
                        parameter("min_score", number(0, 1, default: 0.3), "Detector score below which a peak is not a character."),
                        parameter("nms_iou", number(0, 1, default: 0.5), "IoU above which the weaker of two detections is dropped."),
                        parameter("segmenter", .object([("type", .string("string")), ("enum", .array([.string("cnn"), .string("classic")])),
                                                        ("default", .string("cnn"))]),
                                  "cnn (the detector) or classic (Otsu + connected components)."),
                        parameter("labels", .object([("type", .string("string")), ("enum", .array([.string("classifier"), .string("detector-head")])),
                                                     ("default", .string("classifier"))]),
                                  "Where labels come from: classifier (the EMNIST classifier on each crop) or detector-head (the served detector's class head; 422 when it has none)."),
                    ],
                    result: ref("LineReading"), description: "What `fovea detect --json` prints for the image."))])),
                ("/v1/smile", .object([("post", operation(
                    id: "scoreSmiles", summary: "Find the faces of a photo and score how widely each smiles",
                    parameters: [
                        parameter("face_crop", .object([("type", .string("boolean")), ("default", .bool(false))]),
                                  "Treat the whole image as one face crop."),
                        parameter("min_face_score", number(0, 1, default: 0.5), "Face detector score below which a face is not reported."),
                    ],
                    result: ref("SmileReading"), description: "What `fovea smile --json` prints for the image."))])),
                ("/healthz", .object([("get", .object([
                    ("operationId", .string("health")), ("summary", .string("200 once the models are loaded")),
                    ("responses", .object([("200", .object([
                        ("description", .string("The server is up and its models are loaded.")),
                        ("content", .object([("application/json", .object([("schema", ref("Health"))]))])),
                    ]))])),
                ]))])),
                ("/metrics", .object([("get", .object([
                    ("operationId", .string("metrics")), ("summary", .string("Prometheus metrics")),
                    ("responses", .object([("200", .object([
                        ("description", .string("Prometheus text format: requests by route and status, latency histograms per route, requests in flight, queue length, batch sizes.")),
                        ("content", .object([("text/plain", .object([("schema", .object([("type", .string("string"))]))]))])),
                    ]))])),
                ]))])),
                ("/openapi.json", .object([("get", .object([
                    ("operationId", .string("openapi")), ("summary", .string("This document")),
                    ("responses", .object([("200", .object([
                        ("description", .string("The OpenAPI 3 document.")),
                        ("content", .object([("application/json", .object([("schema", .object([("type", .string("object"))]))]))])),
                    ]))])),
                ]))])),
            ])),
            ("components", .object([("schemas", schemas)])),
        ])
    }

    private static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }

    private static func number(_ low: Double, _ high: Double, default value: Double) -> JSONValue {
        .object([("type", .string("number")), ("minimum", .number(low)), ("maximum", .number(high)), ("default", .number(value))])
    }

    private static func parameter(_ name: String, _ schema: JSONValue, _ description: String) -> JSONValue {
        .object([("name", .string(name)), ("in", .string("query")), ("required", .bool(false)),
                 ("description", .string(description)), ("schema", schema)])
    }

    private static func errorResponse(_ description: String, retryAfter: Bool = false) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("description", .string(description)),
            ("content", .object([("application/json", .object([("schema", ref("Error"))]))])),
        ]
        if retryAfter {
            fields.append(("headers", .object([("Retry-After", .object([
                ("description", .string("Seconds to wait before retrying.")),
                ("schema", .object([("type", .string("integer"))])),
            ]))])))
        }
        return .object(fields)
    }

    private static func operation(id: String, summary: String, parameters: [JSONValue], result: JSONValue,
                                  description: String) -> JSONValue {
        let binary = JSONValue.object([("schema", .object([("type", .string("string")), ("format", .string("binary"))]))])
        return .object([
            ("operationId", .string(id)),
            ("summary", .string(summary)),
            ("parameters", .array(parameters)),
            ("requestBody", .object([
                ("required", .bool(true)),
                ("content", .object([
                    ("image/png", binary), ("image/jpeg", binary), ("application/octet-stream", binary),
                    ("multipart/form-data", .object([("schema", .object([
                        ("type", .string("object")), ("required", .array([.string("file")])),
                        ("properties", .object([("file", .object([("type", .string("string")), ("format", .string("binary"))]))])),
                    ]))])),
                ])),
            ])),
            ("responses", .object([
                ("200", .object([("description", .string(description)),
                                 ("content", .object([("application/json", .object([("schema", result)]))]))])),
                ("400", errorResponse("Empty or undecodable image, or a malformed multipart body.")),
                ("404", errorResponse("No such route.")),
                ("405", errorResponse("The route does not take this method.")),
                ("413", errorResponse("Body, image or line too large.")),
                ("415", errorResponse("Content type not accepted.")),
                ("422", errorResponse("A query option out of range, or an image that cannot hold what is asked (a face in a 1x1 image).")),
                ("503", errorResponse("Too many requests queued, the request timed out, or a model is missing; retry later.", retryAfter: true)),
            ])),
        ])
    }

    private static func type(_ name: String) -> JSONValue { .object([("type", .string(name))]) }

    private static func pair() -> JSONValue {
        .object([("type", .string("array")), ("minItems", .int(2)), ("maxItems", .int(2)), ("items", type("number"))])
    }

    private static func object(_ properties: [(String, JSONValue)], required: [String]) -> JSONValue {
        .object([("type", .string("object")), ("required", .array(required.map { .string($0) })),
                 ("properties", .object(properties))])
    }

    private static var schemas: JSONValue {
        let box = JSONValue.object([("type", .string("array")), ("minItems", .int(4)), ("maxItems", .int(4)), ("items", type("number")),
                                    ("description", .string("x, y of the top-left corner, width, height, in input pixels (COCO)"))])
        let character = object([
            ("box", box), ("label", type("string")), ("score", type("number")),
            ("alternatives", .object([("type", .string("array")), ("items", .object([
                ("type", .string("array")), ("minItems", .int(2)), ("maxItems", .int(2)),
                ("items", .object([("oneOf", .array([type("string"), type("number")]))])),
            ]))])),
        ], required: ["box", "label", "score", "alternatives"])
        let landmarks = object(FacePoint.allCases.map { ($0.name, pair()) }, required: FacePoint.allCases.map(\.name))
        let face = object([
            ("box", box), ("score", type("number")),
            ("smile", object([("probability", type("number")), ("smiling", type("boolean"))], required: ["probability", "smiling"])),
            ("landmarks", landmarks),
        ], required: ["box", "score", "smile", "landmarks"])
        return .object([
            ("LineReading", object([
                ("file", type("string")), ("width", type("integer")), ("height", type("integer")), ("text", type("string")),
                ("characters", .object([("type", .string("array")), ("items", character)])), ("elapsed_ms", type("number")),
            ], required: ["width", "height", "text", "characters", "elapsed_ms"])),
            ("SmileReading", object([
                ("file", type("string")), ("width", type("integer")), ("height", type("integer")),
                ("faces", .object([("type", .string("array")), ("items", face)])), ("elapsed_ms", type("number")),
            ], required: ["width", "height", "faces", "elapsed_ms"])),
            ("Health", object([("status", type("string")), ("routes", .object([("type", .string("array")), ("items", type("string"))]))],
                              required: ["status"])),
            ("Error", object([("error", type("string"))], required: ["error"])),
        ])
    }
}
