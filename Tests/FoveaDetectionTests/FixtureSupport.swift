// Loads the committed reference fixtures (generated with pycocotools, faster-coco-eval
// and numpy; see Fixtures/README.md) with Foundation's JSONDecoder, independently of
// Fovea's own JSON reader. (JSONSerialization on Linux misrounds some doubles by an ulp,
// e.g. 0.1111111111111111, so it cannot check bit-exact IoU.)
import Foundation
import XCTest
@testable import FoveaDetection

enum Fixture {
    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                // A missing folder is a broken package (Package.swift copies it as a
                // resource), so it fails the test rather than skipping it.
                throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey:
                    "the Fixtures folder is missing from the test bundle: check the target's resources in Package.swift"])
            }
            return url
        }
    }

    static func json(_ relativePath: String) throws -> Any {
        let data = try Data(contentsOf: try root.appendingPathComponent(relativePath))
        return try JSONDecoder().decode(AnyJSON.self, from: data).value
    }

    static func path(_ relativePath: String) throws -> String {
        try root.appendingPathComponent(relativePath).path
    }

    static let mapNames = [
        "random_tiny", "random_small", "random_medium", "random_crowded", "random_large",
        "edge_perfect", "edge_no_detections", "edge_absent_categories_only", "edge_unknown_category_ids",
        "edge_single_box", "edge_touching_boxes", "edge_zero_area_boxes", "edge_area_range_boundaries",
        "edge_max_dets_100", "edge_score_ties", "edge_iou_exactly_at_thresholds", "edge_no_ground_truth",
    ]
}

/// Any JSON value as Double, String, Bool, [Any], [String: Any] or NSNull.
struct AnyJSON: Decodable {
    let value: Any
    init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !array.isAtEnd { items.append(try array.decode(AnyJSON.self).value) }
            value = items
        } else if let object = try? decoder.container(keyedBy: Key.self) {
            var dict: [String: Any] = [:]
            for k in object.allKeys { dict[k.stringValue] = try object.decode(AnyJSON.self, forKey: k).value }
            value = dict
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { value = NSNull() }
            else if let b = try? single.decode(Bool.self) { value = b }
            else if let d = try? single.decode(Double.self) { value = d }
            else { value = try single.decode(String.self) }
        }
    }
    struct Key: CodingKey {
        let stringValue: String
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

func doubles(_ any: Any?) -> [Double] {
    (any as? [Any] ?? []).map(number)
}

func number(_ any: Any?) -> Double {
    any as? Double ?? .nan
}

func cornerBox(_ any: Any?) -> Box {
    let v = doubles(any)
    return Box(x1: v[0], y1: v[1], x2: v[2], y2: v[3])
}
