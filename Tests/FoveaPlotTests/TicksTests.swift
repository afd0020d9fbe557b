// Nice 1-2-5 ticks and ranges, checked against hand-worked ranges and
// matplotlib's MaxNLocator (ReferenceTicks.swift).

import XCTest
@testable import FoveaPlot

final class TicksTests: XCTestCase {
    func testTicksMatchMatplotlibMaxNLocator() {
        XCTAssertGreaterThan(ReferenceTicks.cases.count, 50)
        for (lo, hi, expected) in ReferenceTicks.cases {
            let got = NiceTicks.ticks(from: lo, to: hi).values
            XCTAssertEqual(got.count, expected.count, "\(lo)…\(hi): \(got) vs \(expected)")
            for (g, e) in zip(got, expected) {
                XCTAssertEqual(g, e, accuracy: 1e-9 * (hi - lo), "\(lo)…\(hi)")
            }
        }
    }

    func testUnitRange() {
        let t = NiceTicks.ticks(from: 0, to: 1)
        XCTAssertEqual(t.values, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(t.labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(t.step, 0.2)
    }

    func testIntegerRangeKeepsTicksInside() {
        let t = NiceTicks.ticks(from: 0, to: 37)
        XCTAssertEqual(t.values, [0, 10, 20, 30])
        XCTAssertEqual(t.labels, ["0", "10", "20", "30"])
    }

    func testSmallMagnitudes() {
        let t = NiceTicks.ticks(from: 0.0013, to: 0.0042)
        XCTAssertEqual(t.values, [0.002, 0.003, 0.004])
        XCTAssertEqual(t.labels, ["0.002", "0.003", "0.004"])
    }

    func testSymmetricAndHundredRanges() {
        XCTAssertEqual(NiceTicks.ticks(from: -1, to: 1).values, [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(NiceTicks.ticks(from: -1, to: 1).labels, ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
        XCTAssertEqual(NiceTicks.ticks(from: 0, to: 100).values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(NiceTicks.ticks(from: 1, to: 20).values, [5, 10, 15, 20])
    }

    func testLargeValuesUseExponentLabels() {
        let t = NiceTicks.ticks(from: 0, to: 5e7)
        XCTAssertEqual(t.values, [0, 1e7, 2e7, 3e7, 4e7, 5e7])
        XCTAssertEqual(t.labels[1], "1e+07")
        XCTAssertEqual(NiceTicks.ticks(from: 0, to: 2.5e7).labels, ["0", "5e+06", "1e+07", "1.5e+07", "2e+07", "2.5e+07"])
        let tiny = NiceTicks.ticks(from: 1.0000005, to: 1.0000035)
        XCTAssertEqual(tiny.labels, ["1.000001", "1.000002", "1.000003"])
    }

    func testDegenerateInputsGiveNoTicks() {
        XCTAssertTrue(NiceTicks.ticks(from: .nan, to: 1).values.isEmpty)
        XCTAssertTrue(NiceTicks.ticks(from: 0, to: .infinity).values.isEmpty)
        XCTAssertTrue(NiceTicks.ticks(from: 2, to: 2).values.isEmpty)
        XCTAssertTrue(NiceTicks.ticks(from: 3, to: 1).values.isEmpty)
    }

    func testNiceRangeWidensToTicks() {
        XCTAssertEqual(NiceTicks.niceRange(0.05, 2.31), 0...2.5)
        XCTAssertEqual(NiceTicks.niceRange(1, 20), 0...20)
        // Span 11.1 / 5 = 2.22 rounds up to a step of 5.
        XCTAssertEqual(NiceTicks.niceRange(-3.2, 7.9), -5...10)
        // A single value 3 gets ±10 % (2.7…3.3), then widens to the 0.2 grid.
        XCTAssertEqual(NiceTicks.niceRange(3, 3), 2.6...3.4)
        XCTAssertEqual(NiceTicks.niceRange(0, 0), -0.6...0.6)
        XCTAssertEqual(NiceTicks.niceRange(.nan, 1), 0...1)
    }
}
