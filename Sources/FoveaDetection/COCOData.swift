// COCO ground truth (images, categories, annotations) and COCO results lists
// (detections), loaded with the checks pycocotools leaves to a crash.

/// Why a ground-truth or detection file could not be used.
public enum DetectionDataError: Error, CustomStringConvertible, Sendable {
    case unreadable(file: String)
    case json(JSONReadError)
    case missingField(file: String, field: String, entry: String)
    case invalidValue(file: String, entry: String, problem: String)
    case unknownImage(file: String, imageID: Int, entry: String)

    public var description: String {
        switch self {
        case .unreadable(let file):
            return "\(file): cannot read the file (does it exist and is it readable?)"
        case .json(let e):
            return e.description
        case .missingField(let file, let field, let entry):
            return "\(file): \(entry) has no \"\(field)\" field, which is required"
        case .invalidValue(let file, let entry, let problem):
            return "\(file): \(entry): \(problem)"
        case .unknownImage(let file, let imageID, let entry):
            return "\(file): \(entry) refers to image_id \(imageID), which is not among the ground truth's images"
        }
    }
}

public struct COCOImage: Sendable, Equatable {
    public var id: Int
    public var width: Double?
    public var height: Double?
    public var fileName: String?

    public init(id: Int, width: Double? = nil, height: Double? = nil, fileName: String? = nil) {
        self.id = id; self.width = width; self.height = height; self.fileName = fileName
    }
}

public struct COCOCategory: Sendable, Equatable {
    public var id: Int
    public var name: String

    public init(id: Int, name: String) { self.id = id; self.name = name }
}

/// A ground-truth object. `area` is the file's own `area` field, which COCOeval uses
/// for the area ranges (not the box's width × height).
public struct COCOAnnotation: Sendable, Equatable {
    public var id: Int
    public var imageID: Int
    public var categoryID: Int
    /// `[x, y, width, height]` exactly as in the file; COCOeval's IoU works on these numbers.
    public var bbox: (x: Double, y: Double, width: Double, height: Double)
    public var area: Double
    public var isCrowd: Bool
    public var box: Box { Box(x: bbox.x, y: bbox.y, width: bbox.width, height: bbox.height) }

    public init(id: Int, imageID: Int, categoryID: Int, bbox: (x: Double, y: Double, width: Double, height: Double),
                area: Double, isCrowd: Bool) {
        self.id = id; self.imageID = imageID; self.categoryID = categoryID; self.bbox = bbox
        self.area = area; self.isCrowd = isCrowd
    }

    public static func == (a: COCOAnnotation, b: COCOAnnotation) -> Bool {
        a.id == b.id && a.imageID == b.imageID && a.categoryID == b.categoryID && a.bbox == b.bbox
            && a.area == b.area && a.isCrowd == b.isCrowd
    }
}

/// One entry of a COCO results list.
public struct COCODetection: Sendable, Equatable {
    public var imageID: Int
    public var categoryID: Int
    /// `[x, y, width, height]` exactly as in the file.
    public var bbox: (x: Double, y: Double, width: Double, height: Double)
    public var score: Double
    public var box: Box { Box(x: bbox.x, y: bbox.y, width: bbox.width, height: bbox.height) }

    public init(imageID: Int, categoryID: Int, bbox: (x: Double, y: Double, width: Double, height: Double), score: Double) {
        self.imageID = imageID; self.categoryID = categoryID; self.bbox = bbox; self.score = score
    }

    public static func == (a: COCODetection, b: COCODetection) -> Bool {
        a.imageID == b.imageID && a.categoryID == b.categoryID && a.bbox == b.bbox && a.score == b.score
    }
}

/// A COCO ground-truth file.
public struct COCOGroundTruth: Sendable {
    public var images: [COCOImage]
    public var categories: [COCOCategory]
    public var annotations: [COCOAnnotation]

    public init(images: [COCOImage], categories: [COCOCategory], annotations: [COCOAnnotation]) {
        self.images = images; self.categories = categories; self.annotations = annotations
    }

    public init(contentsOfFile path: String) throws(DetectionDataError) {
        try self.init(reader: JSONReader(contentsOfFile: path))
    }

    public init(json: [UInt8], name: String = "ground truth") throws(DetectionDataError) {
        try self.init(reader: JSONReader(bytes: json, file: name))
    }

    init(reader r: JSONReader) throws(DetectionDataError) {
        let file = r.file
        var images: [COCOImage] = [], categories: [COCOCategory] = [], annotations: [COCOAnnotation] = []
        var seen: Set<String> = []
        try r.readObject("the ground-truth file") { key throws(DetectionDataError) in
            seen.insert(key)
            switch key {
            case "images":
                try r.readArray("\"images\"") { i throws(DetectionDataError) in
                    let entry = { "images[\(i)]" }
                    var id: Int?, width: Double?, height: Double?, name: String?
                    try r.readObject(entry()) { k throws(DetectionDataError) in
                        switch k {
                        case "id": id = try r.readInt("\(entry()).id")
                        case "width": width = r.readNullIfPresent() ? nil : try r.readNumber("\(entry()).width")
                        case "height": height = r.readNullIfPresent() ? nil : try r.readNumber("\(entry()).height")
                        case "file_name": name = r.readNullIfPresent() ? nil : try r.readString("\(entry()).file_name")
                        default: try r.skipValue()
                        }
                    }
                    guard let id else { throw .missingField(file: file, field: "id", entry: entry()) }
                    images.append(COCOImage(id: id, width: width, height: height, fileName: name))
                }
            case "categories":
                try r.readArray("\"categories\"") { i throws(DetectionDataError) in
                    let entry = { "categories[\(i)]" }
                    var id: Int?, name: String?
                    try r.readObject(entry()) { k throws(DetectionDataError) in
                        switch k {
                        case "id": id = try r.readInt("\(entry()).id")
                        case "name": name = try r.readString("\(entry()).name")
                        default: try r.skipValue()
                        }
                    }
                    guard let id else { throw .missingField(file: file, field: "id", entry: entry()) }
                    categories.append(COCOCategory(id: id, name: name ?? "category \(id)"))
                }
            case "annotations":
                try r.readArray("\"annotations\"") { i throws(DetectionDataError) in
                    let entry = { "annotations[\(i)]" }
                    var id: Int?, imageID: Int?, categoryID: Int?, bbox: (x: Double, y: Double, width: Double, height: Double)?, area: Double?, crowd = false
                    try r.readObject(entry()) { k throws(DetectionDataError) in
                        switch k {
                        case "id": id = try r.readInt("\(entry()).id")
                        case "image_id": imageID = try r.readInt("\(entry()).image_id")
                        case "category_id": categoryID = try r.readInt("\(entry()).category_id")
                        case "bbox": bbox = try readBBox(r, entry: entry)
                        case "area": area = try r.readNumber("\(entry()).area")
                        case "iscrowd": crowd = try r.readNumber("\(entry()).iscrowd") != 0
                        default: try r.skipValue()
                        }
                    }
                    guard let id else { throw .missingField(file: file, field: "id", entry: entry()) }
                    guard let imageID else { throw .missingField(file: file, field: "image_id", entry: entry()) }
                    guard let categoryID else { throw .missingField(file: file, field: "category_id", entry: entry()) }
                    guard let bbox else { throw .missingField(file: file, field: "bbox", entry: entry()) }
                    guard let area else { throw .missingField(file: file, field: "area", entry: entry()) }
                    try checkSize(bbox, file: file, entry: entry())
                    annotations.append(COCOAnnotation(id: id, imageID: imageID, categoryID: categoryID,
                                                      bbox: bbox,
                                                      area: area, isCrowd: crowd))
                }
            default:
                try r.skipValue()
            }
        }
        try r.expectEnd()
        for field in ["images", "categories", "annotations"] where !seen.contains(field) {
            throw .missingField(file: file, field: field, entry: "the ground-truth object")
        }
        self.init(images: images, categories: categories, annotations: annotations)
    }
}

/// Loading COCO results lists: `[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}, ...]`.
public enum COCOResults {
    public static func load(contentsOfFile path: String) throws(DetectionDataError) -> [COCODetection] {
        try read(JSONReader(contentsOfFile: path))
    }

    public static func load(json: [UInt8], name: String = "detections") throws(DetectionDataError) -> [COCODetection] {
        try read(JSONReader(bytes: json, file: name))
    }

    static func read(_ r: JSONReader) throws(DetectionDataError) -> [COCODetection] {
        let file = r.file
        var out: [COCODetection] = []
        try r.readArray("the detections file (a COCO results list)") { i throws(DetectionDataError) in
            let entry = { "detection [\(i)]" }
            var imageID: Int?, categoryID: Int?, bbox: (x: Double, y: Double, width: Double, height: Double)?, score: Double?
            try r.readObject(entry()) { k throws(DetectionDataError) in
                switch k {
                case "image_id": imageID = try r.readInt("\(entry()).image_id")
                case "category_id": categoryID = try r.readInt("\(entry()).category_id")
                case "bbox": bbox = try readBBox(r, entry: entry)
                case "score": score = try r.readNumber("\(entry()).score")
                default: try r.skipValue()
                }
            }
            guard let imageID else { throw .missingField(file: file, field: "image_id", entry: entry()) }
            guard let categoryID else { throw .missingField(file: file, field: "category_id", entry: entry()) }
            guard let bbox else { throw .missingField(file: file, field: "bbox", entry: entry()) }
            guard let score else { throw .missingField(file: file, field: "score", entry: entry()) }
            try checkSize(bbox, file: file, entry: entry())
            out.append(COCODetection(imageID: imageID, categoryID: categoryID,
                                     bbox: bbox, score: score))
        }
        try r.expectEnd()
        return out
    }
}

private func readBBox(_ r: JSONReader, entry: () -> String) throws(DetectionDataError) -> (x: Double, y: Double, width: Double, height: Double) {
    // A fixed-size buffer rather than a growing array: this runs once per detection.
    var v = (0.0, 0.0, 0.0, 0.0)
    var count = 0
    try r.readArray("\(entry()).bbox") { i throws(DetectionDataError) in
        let x = try r.readNumber("\(entry()).bbox[\(i)]")
        switch i {
        case 0: v.0 = x
        case 1: v.1 = x
        case 2: v.2 = x
        case 3: v.3 = x
        default: break
        }
        count += 1
    }
    guard count == 4 else {
        throw .invalidValue(file: r.file, entry: entry(), problem: "bbox has \(count) numbers; expected [x, y, width, height]")
    }
    return v
}

private func checkSize(_ bbox: (x: Double, y: Double, width: Double, height: Double), file: String,
                       entry: String) throws(DetectionDataError) {
    if bbox.width < 0 || bbox.height < 0 {
        throw .invalidValue(file: file, entry: entry,
                            problem: "bbox [\(bbox.x), \(bbox.y), \(bbox.width), \(bbox.height)] has a negative width or height; expected [x, y, width >= 0, height >= 0]")
    }
}
