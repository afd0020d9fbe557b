// convolve2d against scipy.signal.convolve2d in full/same/valid modes, with
// square, non-square, even-sized and larger-than-image kernels.
import XCTest
@testable import FoveaImage

final class ConvolutionTests: XCTestCase {
    func testMatchesScipyConvolve2d() throws {
        let cases = try XCTUnwrap(try Fixtures.json("convolution.json")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 28)
        var refused = 0
        for spec in cases {
            let image = FloatPlane(width: try XCTUnwrap(spec["width"] as? Int), height: try XCTUnwrap(spec["height"] as? Int),
                                   values: try Fixtures.floats(spec["image"]))
            let kernel = FloatPlane(width: try XCTUnwrap(spec["kernelWidth"] as? Int),
                                    height: try XCTUnwrap(spec["kernelHeight"] as? Int),
                                    values: try Fixtures.floats(spec["kernel"]))
            let mode = try XCTUnwrap(ConvolutionMode(rawValue: try XCTUnwrap(spec["mode"] as? String)))
            let label = "\(image.width)x\(image.height) * \(kernel.width)x\(kernel.height) \(mode)"
            if spec["error"] != nil {
                refused += 1
                XCTAssertThrowsError(try image.convolved(with: kernel, mode: mode), label) { error in
                    XCTAssertTrue("\(error)".contains("\(kernel.width)x\(kernel.height)"), "\(error)")
                }
                continue
            }
            let out = try image.convolved(with: kernel, mode: mode)
            XCTAssertEqual(out.width, spec["outWidth"] as? Int, label)
            XCTAssertEqual(out.height, spec["outHeight"] as? Int, label)
            assertClose(out.values, try Fixtures.floats(spec["expected"]), label)
        }
        XCTAssertEqual(refused, 1, "scipy refuses exactly one case (neither input contains the other)")
    }

    func testHandWorkedEvenKernelCentring() throws {
        // [1 2 3 4] * [1 10]: full = [1, 12, 23, 34, 40]; same starts at (2-1)/2 = 0 → [1, 12, 23, 34].
        let row = FloatPlane(rows: [[1, 2, 3, 4]]), kernel = FloatPlane(rows: [[1, 10]])
        XCTAssertEqual(try row.convolved(with: kernel, mode: .full).values, [1, 12, 23, 34, 40])
        XCTAssertEqual(try row.convolved(with: kernel, mode: .same).values, [1, 12, 23, 34])
        XCTAssertEqual(try row.convolved(with: kernel, mode: .valid).values, [12, 23, 34])
        XCTAssertThrowsError(try FloatPlane(width: 0, height: 0, values: []).convolved(with: kernel))
    }
}
