// End-to-end tests of `fovea evaluate`: --json against the pycocotools/VOC reference
// numbers in the committed detection fixtures, the human summary, and bad inputs
// (each must give a readable message on stderr and a non-zero exit, never a crash).
import Foundation
import XCTest

final class EvaluateCommandTests: XCTestCase {
    let fixtures = CLI.packageRoot.appendingPathComponent("Tests/FoveaDetectionTests/Fixtures/map")

    func paths(_ name: String) -> (gt: String, dets: String, expected: URL) {
        let dir = fixtures.appendingPathComponent(name)
        return (dir.appendingPathComponent("gt.json").path, dir.appendingPathComponent("detections.json").path,
                dir.appendingPathComponent("expected.json"))
    }

    /// Parses JSON with JSONDecoder (correctly rounded on Linux, unlike JSONSerialization).
    func decode(_ data: Data) throws -> Any {
        try JSONDecoder().decode(CLIJSON.self, from: data).value
    }

    func checkJSONMatchesExpected(_ name: String) throws -> CLIResult {
        let p = paths(name)
        let r = try CLI.run(["evaluate", "--ground-truth", p.gt, "--detections", p.dets, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.crashed)
        let got = try XCTUnwrap(try decode(Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        let expected = try XCTUnwrap(try decode(Data(contentsOf: p.expected)) as? [String: Any])
        let gtDoc = try XCTUnwrap(try decode(Data(contentsOf: URL(fileURLWithPath: p.gt))) as? [String: Any])
        var names: [Double: String] = [:]
        for c in gtDoc["categories"] as? [[String: Any]] ?? [] { names[c["id"] as! Double] = c["name"] as? String }

        let coco = try XCTUnwrap(got["coco"] as? [String: Any])
        let wantCOCO = try XCTUnwrap(expected["coco"] as? [String: Any])
        let stats = wantCOCO["stats"] as? [Double] ?? (wantCOCO["stats"] as? [Any] ?? []).compactMap { $0 as? Double }
        for (key, want) in zip(["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"], stats) {
            XCTAssertEqual(coco[key] as? Double ?? .nan, want, accuracy: 1e-9, "\(name) \(key)")
        }
        let perCat = try XCTUnwrap(coco["per_category"] as? [String: Any])
        for c in wantCOCO["per_category"] as? [[String: Any]] ?? [] {
            let entry = try XCTUnwrap(perCat[names[c["category_id"] as! Double]!] as? [String: Any], "\(name) \(c)")
            XCTAssertEqual(entry["AP"] as? Double ?? .nan, c["ap"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(entry["AP50"] as? Double ?? .nan, c["ap50"] as! Double, accuracy: 1e-9)
        }
        let wantVOC = try XCTUnwrap(expected["voc"] as? [String: Any])
        for (key, field, perField) in [("voc07", "map_11point", "ap_11point"), ("voc", "map_allpoint", "ap_allpoint")] {
            let v = try XCTUnwrap(got[key] as? [String: Any])
            XCTAssertEqual(v["mAP"] as? Double ?? .nan, wantVOC[field] as! Double, accuracy: 1e-9, "\(name) \(key)")
            let per = try XCTUnwrap(v["per_category"] as? [String: Any])
            for c in wantVOC["per_class"] as? [[String: Any]] ?? [] {
                XCTAssertEqual(per[names[c["category_id"] as! Double]!] as? Double ?? .nan, c[perField] as! Double,
                               accuracy: 1e-9, "\(name) \(key) \(c)")
            }
        }
        return r
    }

    func testJSONMatchesExpectedOnRandomMedium() throws {
        _ = try checkJSONMatchesExpected("random_medium")
    }

    func testJSONMatchesExpectedWithUnknownCategoriesAndSaysHowMany() throws {
        let r = try checkJSONMatchesExpected("edge_unknown_category_ids")
        // expected.json: 24 detections, of which num_det over the listed categories is 12.
        XCTAssertTrue(r.stderr.contains("ignored 12 detection"), r.stderr)
    }

    func testEmptyDetectionListIsValid() throws {
        _ = try checkJSONMatchesExpected("edge_no_detections")
    }

    func testDuplicateCategoryNamesGetDistinctJSONKeys() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let gt = dir.appendingPathComponent("gt.json"), dets = dir.appendingPathComponent("dets.json")
        try Data("""
            {"images": [{"id": 1}], "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "dog"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100},
                             {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 50, 10, 10], "area": 100}]}
            """.utf8).write(to: gt)
        // Category 1 found exactly, category 2 missed: AP 1 (less pycocotools' epsilon) and 0.
        try Data(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]"#.utf8).write(to: dets)
        let r = try CLI.run(["evaluate", "--ground-truth", gt.path, "--detections", dets.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(try decode(Data(r.stdout.utf8)) as? [String: Any])
        let voc = try XCTUnwrap((doc["voc"] as? [String: Any])?["per_category"] as? [String: Double], r.stdout)
        XCTAssertEqual(voc, ["dog (id 1)": 1.0, "dog (id 2)": 0.0])
    }

    func testHumanOutputHasPycocotoolsSummaryAndTable() throws {
        let p = paths("random_tiny")
        let r = try CLI.run(["evaluate", "--ground-truth", p.gt, "--detections", p.dets])
        XCTAssertEqual(r.status, 0, r.stderr)
        // random_tiny's expected AP is 0.37604…, AR@100 small 0.9.
        XCTAssertTrue(r.stdout.contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.376"), r.stdout)
        XCTAssertTrue(r.stdout.contains(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.900"), r.stdout)
        XCTAssertTrue(r.stdout.contains("class_35"), r.stdout)
    }

    // MARK: bad input

    /// Runs evaluate on a ground truth and detections given as text; expects failure with `phrase` on stderr.
    func expectFailure(gt: String? = nil, dets: String? = nil, extra: [String] = [], phrase: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let p = paths("random_tiny")
        var gtPath = p.gt, detPath = p.dets
        if let gt { gtPath = dir.appendingPathComponent("gt.json").path; try gt.write(toFile: gtPath, atomically: true, encoding: .utf8) }
        if let dets { detPath = dir.appendingPathComponent("dets.json").path; try dets.write(toFile: detPath, atomically: true, encoding: .utf8) }
        let r = try CLI.run(["evaluate", "--ground-truth", gtPath, "--detections", detPath] + extra, file: file, line: line)
        XCTAssertNotEqual(r.status, 0, "expected failure, got stdout: \(r.stdout)", file: file, line: line)
        XCTAssertFalse(r.crashed, "crashed: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(phrase), "stderr lacks '\(phrase)': \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stdout.isEmpty, r.stdout, file: file, line: line)
    }

    static let gtSmall = """
        {"images": [{"id": 1, "width": 100, "height": 100}], "categories": [{"id": 1, "name": "cat"}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0}]}
        """

    func testMalformedJSON() throws {
        try expectFailure(dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5"#, phrase: "expected ',' or '}'")
        try expectFailure(gt: #"{"images": [}"#, phrase: "line 1, column 13")
        try expectFailure(dets: "", phrase: "end of file")
    }

    func testMissingRequiredFields() throws {
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]"#, phrase: "no \"score\" field")
        try expectFailure(gt: #"{"images": [], "categories": []}"#, phrase: "no \"annotations\" field")
        try expectFailure(gt: #"{"images": [{"id": 1}], "categories": [], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 4}]}"#,
                          phrase: "annotations[0] has no \"bbox\" field")
    }

    func testDetectionOnImageAbsentFromGroundTruth() throws {
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 99, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]"#,
                          phrase: "image_id 99")
    }

    func testNegativeWidthOrHeight() throws {
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4], "score": 0.5}]"#,
                          phrase: "negative width or height")
        try expectFailure(gt: Self.gtSmall.replacingOccurrences(of: "[10, 10, 20, 20]", with: "[10, 10, 20, -20]"),
                          phrase: "negative width or height")
    }

    func testNaNAndInfiniteNumbers() throws {
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": NaN}]"#,
                          phrase: "score is NaN")
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, -NaN, 3, 4], "score": 0.5}]"#,
                          phrase: "bbox[1] is NaN")
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, Infinity, 4], "score": 0.5}]"#,
                          phrase: "infinite")
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, -Infinity, 4], "score": 0.5}]"#,
                          phrase: "infinite")
        try expectFailure(gt: Self.gtSmall, dets: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1e999}]"#,
                          phrase: "too large")
    }

    func testUnreadableFileAndUnsupportedIoUType() throws {
        try expectFailure(extra: ["--detections", "/nonexistent/dets.json"], phrase: "cannot read")
        try expectFailure(extra: ["--iou-type", "segm"], phrase: "only 'bbox'")
    }
}

/// Any JSON value as Double, String, Bool, [Any], [String: Any] or NSNull.
struct CLIJSON: Decodable {
    let value: Any
    init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !array.isAtEnd { items.append(try array.decode(CLIJSON.self).value) }
            value = items
        } else if let object = try? decoder.container(keyedBy: Key.self) {
            var dict: [String: Any] = [:]
            for k in object.allKeys { dict[k.stringValue] = try object.decode(CLIJSON.self, forKey: k).value }
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

final class EvaluatePlotTests: XCTestCase {
    func testPlotDirGetsPNGCurves() throws {
        let dir = try CLI.temporaryDirectory(for: self).appendingPathComponent("plots")
        let map = CLI.packageRoot.appendingPathComponent("Tests/FoveaDetectionTests/Fixtures/map/random_small")
        let r = try CLI.run(["evaluate", "--ground-truth", map.appendingPathComponent("gt.json").path,
                             "--detections", map.appendingPathComponent("detections.json").path, "--plot-dir", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertTrue(files.contains("pr_all.png"), "\(files)")
        // random_small's expected.json lists 5 categories; every one with GT gets a chart.
        let expected = try JSONDecoder().decode(CLIJSON.self, from: Data(contentsOf: map.appendingPathComponent("expected.json"))).value
        let cats = ((expected as? [String: Any])?["coco"] as? [String: Any])?["per_category"] as? [[String: Any]] ?? []
        let withGT = cats.filter { ($0["num_gt"] as? Double ?? 0) > 0 }.count
        XCTAssertEqual(files.count, withGT + 1, "\(files)")
        for f in files {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(f))
            XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(f) is not a PNG")
        }
    }

    func testPlotDirThatIsAFileFails() throws {
        let file = try CLI.temporaryDirectory(for: self).appendingPathComponent("taken")
        try Data("x".utf8).write(to: file)
        let map = CLI.packageRoot.appendingPathComponent("Tests/FoveaDetectionTests/Fixtures/map/random_tiny")
        let r = try CLI.run(["evaluate", "--ground-truth", map.appendingPathComponent("gt.json").path,
                             "--detections", map.appendingPathComponent("detections.json").path, "--plot-dir", file.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertFalse(r.crashed)
        XCTAssertTrue(r.stderr.contains("cannot create the plot folder"), r.stderr)
    }
}
