// The Image value type itself: sample addressing.
import XCTest
@testable import FoveaImage

final class PixelAccessTests: XCTestCase {
    func testSubscriptAddressesInterleavedRowMajorSamples() {
        // 2x2 RGB laid out by hand: (x, y) → offset (y * 2 + x) * 3.
        var image = Image(width: 2, height: 2, channels: 3, pixels: Array(0..<12))
        XCTAssertEqual(image[1, 0, 2], 5)
        XCTAssertEqual(image[0, 1, 0], 6)
        image[1, 1, 1] = 99
        XCTAssertEqual(image.pixels[10], 99)
    }
}
