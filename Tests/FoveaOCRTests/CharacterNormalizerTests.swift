// Tests of EMNIST-style normalisation on synthetic characters whose expected
// 28x28 result is computed by hand, on real EMNIST samples (nearly a fixed
// point), and on scan-like pictures made from them.
import FoveaImage
import XCTest
@testable import FoveaOCR

final class CharacterNormalizerTests: XCTestCase {
    /// A `width x height` grey picture of `paper` with the rectangle filled with `ink`.
    private func picture(width: Int, height: Int, rect: (x: Int, y: Int, w: Int, h: Int),
                         paper: UInt8 = 255, ink: UInt8 = 0) -> Image {
        var image = Image(width: width, height: height, channels: 1, fill: paper)
        for y in rect.y..<(rect.y + rect.h) {
            for x in rect.x..<(rect.x + rect.w) { image.pixels[y * width + x] = ink }
        }
        return image
    }

    /// Hand-computed expectation: 255 inside rows/cols ranges, 0 elsewhere.
    private func assertBlock(_ out: [UInt8], rows: Range<Int>, cols: Range<Int>,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(out.count, 784, file: file, line: line)
        for r in 0..<28 {
            for c in 0..<28 {
                let expected: UInt8 = rows.contains(r) && cols.contains(c) ? 255 : 0
                XCTAssertLessThanOrEqual(abs(Int(out[r * 28 + c]) - Int(expected)), 1,
                                         "pixel (\(r), \(c))", file: file, line: line)
            }
        }
    }

    /// Pearson correlation of two pictures' pixels.
    private func correlation(_ a: [UInt8], _ b: [UInt8]) -> Double {
        let x = a.map(Double.init), y = b.map(Double.init)
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    func testOffCentreVerticalBarEndsCentredWithAspectKept() throws {
        // A 10x40 dark bar at x 70, y 10 of a 100x60 page: the 40x40 frame maps onto
        // the inner 24x24, 1 source px = 0.6 output px, so the bar is 6 wide, 24 tall,
        // at rows 2..<26 and columns 2 + (40-10)/2*0.6 = 11 ..< 17.
        let out = try CharacterNormalizer().normalize(picture(width: 100, height: 60, rect: (70, 10, 10, 40)))
        assertBlock(out, rows: 2..<26, cols: 11..<17)
    }

    func testWideBarKeepsItsAspectRatio() throws {
        // 30x10 bar: scale 24/30 = 0.8, so 24 wide x 8 tall, rows 2 + (30-10)/2*0.8 = 10 ..< 18.
        let out = try CharacterNormalizer().normalize(picture(width: 50, height: 50, rect: (5, 33, 30, 10)))
        assertBlock(out, rows: 10..<18, cols: 2..<26)
    }

    func testPolarityIsDetectedAndSmallImagesAreUpsampled() throws {
        let dark = try CharacterNormalizer().normalize(picture(width: 60, height: 60, rect: (20, 5, 15, 45)))
        let light = try CharacterNormalizer().normalize(picture(width: 60, height: 60, rect: (20, 5, 15, 45),
                                                                paper: 0, ink: 255))
        XCTAssertEqual(dark, light)
        // A 3x3 image with one ink pixel: that pixel is the whole frame, upsampled to the inner 24x24.
        let tiny = try CharacterNormalizer().normalize(picture(width: 3, height: 3, rect: (1, 1, 1, 1)))
        assertBlock(tiny, rows: 2..<26, cols: 2..<26)
    }

    func testColourAndTransparentPicturesUseLumaOverWhite() throws {
        // Red ink (luma 0.299) on a transparent background (white paper).
        var rgba = Image(width: 40, height: 40, channels: 4, fill: 0)
        for y in 8..<32 {
            for x in 14..<26 { rgba.pixels.replaceSubrange((y * 40 + x) * 4..<(y * 40 + x + 1) * 4, with: [255, 0, 0, 255]) }
        }
        let out = try CharacterNormalizer().normalize(rgba)
        // 12x24 -> 24 tall, 12 wide: columns 2 + 6 = 8 ..< 20.
        assertBlock(out, rows: 2..<26, cols: 8..<20)
    }

    func testRealEmnistSampleIsNearlyAFixedPoint() throws {
        let data = try EMNISTDataset.load(images: TestPaths.mini("emnist-mini-test-images-idx3-ubyte.gz"),
                                          labels: TestPaths.mini("emnist-mini-test-labels-idx1-ubyte.gz"))
        for index in [0, 1, 2, 3] {
            let original = Array(data.images.image(index))
            let again = try CharacterNormalizer().normalize(Image(width: 28, height: 28, channels: 1, pixels: original))
            XCTAssertGreaterThan(correlation(original, again), 0.85, "EMNIST test image \(index)")
        }
    }

    /// The committed scan-like PNGs are EMNIST test images 0-2, inverted, stretched
    /// to 70x84 and placed off-centre on a 120x110 page (made with Pillow); normalising
    /// them must give back pictures close to the originals, and closer than to the others.
    func testScanLikePicturesComeBackCloseToTheirEmnistOriginals() throws {
        let data = try EMNISTDataset.load(images: TestPaths.mini("emnist-mini-test-images-idx3-ubyte.gz"),
                                          labels: TestPaths.mini("emnist-mini-test-labels-idx1-ubyte.gz"))
        let names = ["mini-test-0-4.png", "mini-test-1-n.png", "mini-test-2-C.png"]
        let normalized = try names.map {
            try CharacterNormalizer().normalize(Image(contentsOf: TestPaths.emnist.appendingPathComponent("samples/\($0)").path))
        }
        // Measured r: 0.90, 0.86, 0.81 with the own original (the stretch changed the aspect
        // ratio by 0.83), at most 0.41 with another one.
        for i in 0..<3 {
            let own = correlation(normalized[i], Array(data.images.image(i)))
            let others = (0..<3).filter { $0 != i }.map { correlation(normalized[i], Array(data.images.image($0))) }
            XCTAssertGreaterThan(own, 0.75, names[i])
            XCTAssertGreaterThan(own, others.max()! + 0.3, names[i])
        }
    }

    func testBlankPicturesAreRejected() {
        XCTAssertThrowsError(try CharacterNormalizer().normalize(Image(width: 10, height: 10, channels: 1, fill: 200))) { error in
            guard case NormalizationError.noInk = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try CharacterNormalizer().normalize(Image(width: 0, height: 5, channels: 1))) { error in
            guard case NormalizationError.emptyImage = error else { return XCTFail("\(error)") }
        }
    }
}
