// LineSet: text-line images with their characters as one COCO ground-truth
// file (category 1 "character"; each annotation carries its "char", each
// image its "text"), written by `fovea synth-lines` and read by the detector's
// trainer and the evaluation tools. `fovea evaluate` reads the same file as
// plain COCO.
import FoveaDetection
import Foundation

public struct LineRecord: Sendable {
    public var id: Int
    public var fileName: String
    public var width: Int
    public var height: Int
    public var text: String
    public var characters: [(box: Box, label: String)]

    public init(id: Int, fileName: String, width: Int, height: Int, text: String, characters: [(box: Box, label: String)]) {
        self.id = id
        self.fileName = fileName
        self.width = width
        self.height = height
        self.text = text
        self.characters = characters
    }
}

public enum LineSetError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read the ground truth (\(r))"
        case .malformed(let p, let r): return "\(p): not a text-line COCO file: \(r)"
        }
    }
}

public enum LineSet {
    public static let categoryName = "character"

    /// The COCO ground-truth document for `lines`.
    public static func json(_ lines: [LineRecord], description: String) throws -> Data {
        var images = [[String: Any]](), annotations = [[String: Any]]()
        var annotationID = 1
        for line in lines {
            images.append(["id": line.id, "file_name": line.fileName, "width": line.width, "height": line.height,
                           "text": line.text])
            for c in line.characters {
                annotations.append(["id": annotationID, "image_id": line.id, "category_id": 1,
                                    "bbox": [c.box.x1, c.box.y1, c.box.width, c.box.height],
                                    "area": c.box.width * c.box.height, "iscrowd": 0, "char": c.label])
                annotationID += 1
            }
        }
        let document: [String: Any] = [
            "info": ["description": description],
            "images": images, "annotations": annotations,
            "categories": [["id": 1, "name": categoryName]],
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }

    /// Reads lines back, characters of each line in reading order (by box centre).
    public static func load(contentsOfFile path: String) throws -> [LineRecord] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LineSetError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LineSetError.malformed(path: path, reason: "not a JSON object")
        }
        guard let images = root["images"] as? [[String: Any]] else {
            throw LineSetError.malformed(path: path, reason: "no \"images\" array")
        }
        var lines = [Int: LineRecord]()
        var order = [Int]()
        for (i, image) in images.enumerated() {
            guard let id = image["id"] as? Int, let name = image["file_name"] as? String else {
                throw LineSetError.malformed(path: path, reason: "images[\(i)] needs an integer id and a file_name")
            }
            lines[id] = LineRecord(id: id, fileName: name, width: image["width"] as? Int ?? 0,
                                   height: image["height"] as? Int ?? 0, text: image["text"] as? String ?? "",
                                   characters: [])
            order.append(id)
        }
        for (i, a) in ((root["annotations"] as? [[String: Any]]) ?? []).enumerated() {
            guard let imageID = a["image_id"] as? Int, let bbox = a["bbox"] as? [Double], bbox.count == 4 else {
                throw LineSetError.malformed(path: path, reason: "annotations[\(i)] needs an image_id and a 4-number bbox")
            }
            guard lines[imageID] != nil else {
                throw LineSetError.malformed(path: path, reason: "annotations[\(i)] names image \(imageID), which is not listed")
            }
            lines[imageID]!.characters.append(
                (Box(x: bbox[0], y: bbox[1], width: bbox[2], height: bbox[3]), a["char"] as? String ?? ""))
        }
        return order.map { id in
            var line = lines[id]!
            line.characters.sort { $0.box.x1 + $0.box.width / 2 < $1.box.x1 + $1.box.width / 2 }
            return line
        }
    }
}
