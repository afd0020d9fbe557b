// Built-in filters on a real photo crop against scipy.ndimage (sobel,
// uniform_filter, gaussian_filter, laplace; convolve2d for the even box), the Sobel sign convention on a
// ramp, and the 8-bit output mapping of `fovea filter`.
import XCTest
@testable import FoveaImage

final class FilterTests: XCTestCase {
    func testFiltersMatchScipyOnPhotoCrop() throws {
        let photo = try XCTUnwrap(try Fixtures.json("convolution.json")["photo"] as? [String: Any])
        let rgb = Image(width: 40, height: 30, channels: 3, pixels: try Fixtures.bytes(base64: photo["rgb"]))
        let plane = FloatPlane(gray: rgb)
        XCTAssertEqual(plane.values, try Fixtures.bytes(base64: photo["gray"]).map(Float.init), "Pillow L conversion")
        let expected = try XCTUnwrap(photo["filters"] as? [String: Any])
        let filters: [String: Filter] = [
            "sobel-x": .sobelX, "sobel-x-flipped": .sobelXFlipped, "sobel-y": .sobelY,
            "sobel-y-flipped": .sobelYFlipped, "sobel-magnitude": .sobelMagnitude, "box": .box(size: 3),
            "box5": .box(size: 5), "box4": .box(size: 4), "gaussian": .gaussian(sigma: 1), "gaussian1.5": .gaussian(sigma: 1.5),
            "laplacian": .laplacian, "sharpen": .sharpen,
        ]
        XCTAssertEqual(Set(expected.keys), Set(filters.keys))
        for (name, filter) in filters {
            let result = filter.apply(to: plane)
            XCTAssertEqual([result.width, result.height], [40, 30], name)
            assertClose(result.values, try Fixtures.floats(expected[name]), tolerance: 1e-4, name)
        }
        XCTAssertEqual(Filter.sobelMagnitude.apply(to: plane).absoluteClippedImage().pixels,
                       try Fixtures.bytes(base64: photo["sobelMagnitude8"]))
    }

    func testSobelSignsOnARamp() {
        // Brightness grows by 10 per column to the right and by 1 per row downward.
        var ramp = FloatPlane(width: 5, height: 5)
        for y in 0..<5 { for x in 0..<5 { ramp[x, y] = Float(10 * x + y) } }
        // Interior sobel-x: (1+2+1) * (right - left) = 4 * 20 = 80; sobel-y: 4 * 2 = 8.
        XCTAssertEqual(Filter.sobelX.apply(to: ramp)[2, 2], 80)
        XCTAssertEqual(Filter.sobelXFlipped.apply(to: ramp)[2, 2], -80)
        XCTAssertEqual(Filter.sobelY.apply(to: ramp)[2, 2], 8)
        XCTAssertEqual(Filter.sobelYFlipped.apply(to: ramp)[2, 2], -8)
        XCTAssertEqual(Filter.sobelMagnitude.apply(to: ramp)[2, 2], (80 * 80 + 8 * 8 as Float).squareRoot(), accuracy: 1e-4)
    }

    func testNamesAndParameters() {
        for name in Filter.names { XCTAssertEqual(Filter(name: name)?.name, name) }
        XCTAssertNil(Filter(name: "emboss"))
        XCTAssertNil(Filter(name: "box", size: 0))
        XCTAssertNil(Filter(name: "gaussian", sigma: 0))
        XCTAssertEqual(Filter(name: "gaussian", sigma: 2)?.kernel?.width, 13)  // radius ceil(3 * 2) = 6
        let kernel = Filter.gaussian(sigma: 0.8).kernel!
        XCTAssertEqual(kernel.values.reduce(0, +), 1, accuracy: 1e-5)
    }

    func testAbsoluteClippedMapping() {
        let plane = FloatPlane(rows: [[-3.4, 254.6, 300, -1000, .nan, 0.5]])
        XCTAssertEqual(plane.absoluteClippedImage().pixels, [3, 255, 255, 255, 0, 1])
    }
}
