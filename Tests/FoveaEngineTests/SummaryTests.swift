// The Keras-style summary table: layout and totals against Keras 3's own
// model.summary() output (reference lines in ArchitecturesTests.swift, from
// Tools/keras_reference.py), frozen layers, and the number formatting.
import Foundation
import XCTest
@testable import FoveaEngine

final class SummaryTests: XCTestCase {
    override func setUp() {
        Engine.seed(1)
    }

    private func summary(_ model: Sequential) -> ModelSummary {
        ModelSummary(model: model.name, inputShape: model.inputShape, layers: model.layers, outputShapes: model.outputShapes)
    }

    func testTotalsLinesReadAsKerasPrintsThem() throws {
        let cases: [(String, Sequential)] = [
            ("textbook-cnn", try Architecture.textbookCNN.make()),
            ("fovea-emnist", try Architecture.foveaEMNIST.make()),
            ("lenet5-32x32x3-100", try Architecture.lenet5.make(classes: 100, inputShape: [32, 32, 3])),
            ("chollet-conv-base", try Architecture.cholletConvBase.make()),
        ]
        for (key, model) in cases {
            let lines = summary(model).table.split(separator: "\n").suffix(3).map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(lines, kerasReference[key]!.totalsLines, key)
        }
    }

    func testMultiOutputTableShowsEachHeadAndKerasTotals() throws {
        let table = ModelSummary(try MultiOutputArchitecture.textbookClsLoc.make()).table
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.suffix(3).map { $0.trimmingCharacters(in: .whitespaces) }, kerasReference["textbook-cls-loc"]!.totalsLines)
        let classHead = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("| head \"classification\"") }, table)
        let boxHead = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("| head \"bounding_box\"") }, table)
        XCTAssertTrue(lines[classHead + 2].hasPrefix("| classification (Dense)"), table)
        XCTAssertTrue(lines[boxHead + 2].hasPrefix("| bounding_box (Dense)"), table)
        XCTAssertTrue(lines[boxHead + 2].hasSuffix("|           516 |"), table)
    }

    func testTableRowsForTextbookCNN() throws {
        let table = summary(try Architecture.textbookCNN.make()).table
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "Model: \"sequential\"")
        XCTAssertEqual(lines[2], "| Layer (type)                    | Output Shape           |       Param # |")
        // Keras 3 prints these rows as "│ dense (Dense) │ (None, 256) │ 2,769,152 │" in the same column widths.
        XCTAssertTrue(lines.contains("| conv2d (Conv2D)                 | (None, 26, 26, 64)     |           640 |"), table)
        XCTAssertTrue(lines.contains("| flatten (Flatten)               | (None, 10816)          |             0 |"), table)
        XCTAssertTrue(lines.contains("| dense (Dense)                   | (None, 256)            |     2,769,152 |"), table)
        let rowLines = lines.filter { $0.hasPrefix("| ") }
        XCTAssertEqual(rowLines.count, 1 + kerasReference["textbook-cnn"]!.layers.count, "header + one row per layer")
        XCTAssertEqual(Set(rowLines.map(\.count)).count, 1, "all rows have the same width")
    }

    func testLongNamesWidenTheColumnInsteadOfBreakingTheTable() throws {
        let model = try Sequential(inputShape: [4], layers: [Dense(units: 3, name: "a_rather_long_layer_name_for_a_dense_layer")])
        let rows = summary(model).table.split(separator: "\n").filter { $0.hasPrefix("|") || $0.hasPrefix("+") }
        XCTAssertEqual(Set(rows.map(\.count)).count, 1, "every row and rule has the same width")
        XCTAssertTrue(rows.contains { $0.contains("a_rather_long_layer_name_for_a_dense_layer (Dense)") })
    }

    func testFrozenLayersAreNonTrainable() throws {
        // Chollet's feature extraction: with the conv base frozen only the
        // classifier trains: 93,322 - 55,744 = 37,578 (64*576+64 + 10*64+10).
        let model = try Architecture.cholletConvnet.make()
        for layer in model.layers.prefix(5) { layer.trainable = false }
        let s = summary(model)
        XCTAssertEqual(s.totalParams, 93_322)
        XCTAssertEqual(s.trainableParams, 37_578)
        XCTAssertEqual(s.nonTrainableParams, 55_744)
        XCTAssertEqual(s.rows.first?.trainableParams, 0)
        XCTAssertEqual(s.rows.first?.params, 320)
    }

    func testNumberAndMemoryFormatting() {
        XCTAssertEqual(ModelSummary.grouped(0), "0")
        XCTAssertEqual(ModelSummary.grouped(999), "999")
        XCTAssertEqual(ModelSummary.grouped(1_000), "1,000")
        XCTAssertEqual(ModelSummary.grouped(1_234_567_890), "1,234,567,890")
        XCTAssertEqual(ModelSummary.memory(0), "0.00 B")
        XCTAssertEqual(ModelSummary.memory(255), "1020.00 B")  // 1020 bytes stays below 1 KB
        XCTAssertEqual(ModelSummary.memory(256), "1.00 KB")
        XCTAssertEqual(ModelSummary.memory(896), "3.50 KB")
        XCTAssertEqual(ModelSummary.memory(262_144), "1.00 MB")
        XCTAssertEqual(ModelSummary.shapeText([26, 26, 64]), "(None, 26, 26, 64)")
    }

    func testJSONCarriesRowsAndTotals() throws {
        let s = summary(try Architecture.foveaEMNIST.make())
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as! [String: Any]
        XCTAssertEqual(object["totalParams"] as? Int, 881_487)
        XCTAssertEqual(object["nonTrainableParams"] as? Int, 896)
        let rows = object["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.count, 20)
        XCTAssertEqual(rows[1]["name"] as? String, "batch_normalization")
        XCTAssertEqual(rows[1]["params"] as? Int, 128)
        XCTAssertEqual(rows[1]["trainableParams"] as? Int, 64)
        XCTAssertEqual(try JSONDecoder().decode(ModelSummary.self, from: JSONEncoder().encode(s)), s)
    }
}
