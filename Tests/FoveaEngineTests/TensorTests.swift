import XCTest
@testable import FoveaEngine

final class TensorTests: XCTestCase {
    func testReshapeKeepsValuesAndChecksCount() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let r = t.reshaped([3, 2])
        XCTAssertEqual(r.shape, [3, 2])
        XCTAssertEqual(r.data, [1, 2, 3, 4, 5, 6])
        r.data[0] = 9
        XCTAssertEqual(t.data[0], 1, "reshaped must not alias the source")
    }
}
