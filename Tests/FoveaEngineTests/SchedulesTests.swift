// Learning-rate schedules against their closed forms.

import XCTest
import Foundation
@testable import FoveaEngine

final class SchedulesTests: XCTestCase {
    func testStepAndCosine() {
        let step = LearningRateSchedule.step(every: 3, factor: 0.1)
        XCTAssertEqual([0, 2, 3, 6].map { step.rate(base: 1, step: $0) }, [1, 1, 0.1, 0.01].map(Float.init), accuracy: 1e-7)
        let cosine = LearningRateSchedule.cosine(total: 10)
        XCTAssertEqual(cosine.rate(base: 2, step: 0), 2)
        XCTAssertEqual(cosine.rate(base: 2, step: 5), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(base: 2, step: 3), Float(1 + cos(Double.pi * 0.3)), accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(base: 2, step: 20), 0, accuracy: 1e-7)
        XCTAssertEqual(LearningRateSchedule.constant.rate(base: 0.3, step: 99), 0.3)
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
