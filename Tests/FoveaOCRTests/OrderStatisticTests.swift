// Quickselect against the standard library's sort: every k of random lists
// (with and without ties, sorted, reversed, constant) gives sorted()[k].
import XCTest
@testable import FoveaOCR

final class OrderStatisticTests: XCTestCase {
    func testEveryKMatchesTheSortedList() {
        var rng = SystemRandomNumberGenerator()
        var lists: [[Float]] = [[0], [1, 0], [2, 2, 2, 2, 2], Array(0..<50).map(Float.init), Array((0..<50).reversed()).map(Float.init)]
        for n in [3, 7, 16, 33, 100, 257] {
            lists.append((0..<n).map { _ in Float.random(in: -1...1, using: &rng) })
            lists.append((0..<n).map { _ in Float(Int.random(in: 0...4, using: &rng)) })  // many ties
        }
        for list in lists {
            let sorted = list.sorted()
            for k in list.indices {
                XCTAssertEqual(list.kthSmallest(k), sorted[k], "k \(k) of \(list.count)")
                var scratch = list
                XCTAssertEqual(scratch.selectKthSmallest(k), sorted[k])
                XCTAssertEqual(scratch.sorted(), sorted, "selection only reorders")
            }
        }
    }
}
