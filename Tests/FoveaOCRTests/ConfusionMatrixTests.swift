// Tests of the confusion matrix figures on a hand-counted example.
import XCTest
@testable import FoveaOCR

final class ConfusionMatrixTests: XCTestCase {
    func testHandCountedExample() {
        // truth:     0 0 0 1 1 2 2 2 2
        // predicted: 0 1 0 1 1 1 1 0 2
        let m = ConfusionMatrix(classes: 4, truth: [0, 0, 0, 1, 1, 2, 2, 2, 2], predicted: [0, 1, 0, 1, 1, 1, 1, 0, 2])
        XCTAssertEqual(m.total, 9)
        XCTAssertEqual(m.correct, 5)
        XCTAssertEqual(m.accuracy, 5.0 / 9.0, accuracy: 1e-12)
        XCTAssertEqual(m[2, 1], 2)
        XCTAssertEqual(m.accuracy(ofClass: 0)!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(m.accuracy(ofClass: 2)!, 0.25, accuracy: 1e-12)
        XCTAssertNil(m.accuracy(ofClass: 3))
        let pairs = m.mostConfused(2)
        XCTAssertEqual(pairs.map { [$0.truth, $0.predicted, $0.count] }, [[2, 1, 2], [0, 1, 1]])
        XCTAssertEqual(ConfusionMatrix(classes: 3).accuracy, 0)
    }
}
