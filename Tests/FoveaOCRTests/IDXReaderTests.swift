// Tests of the IDX reader: hand-built raw and gzipped files with known pixels,
// EMNIST's transposed storage, damaged files, the label mapping, and the
// committed mini set checked against numpy and the dataset README.
import CZlib
import Foundation
import XCTest
@testable import FoveaOCR

/// Paths of the package's data, located from this file.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let emnist = packageRoot.appendingPathComponent("Datasets/emnist")
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/emnist")

    static func mini(_ name: String) -> String { emnist.appendingPathComponent(name).path }
}

final class IDXReaderTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func write(_ bytes: [UInt8], _ name: String, gzip: Bool = false) throws -> String {
        let path = dir.appendingPathComponent(name).path
        if gzip {
            let file = try XCTUnwrap(gzopen(path, "wb"))
            XCTAssertEqual(Int(gzwrite(file, bytes, UInt32(bytes.count))), bytes.count)
            XCTAssertEqual(gzclose(file), Z_OK)
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return path
    }

    /// Two stored 2x3 images: 1...6 and 7...12, written byte by byte.
    private let twoImages: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
                                      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    private let threeLabels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 46]

    func testRawImagesUntransposedKeepStoredLayout() throws {
        let images = try IDX.readImages(path: write(twoImages, "a-idx3-ubyte"), transposed: false)
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(images.height, 2)
        XCTAssertEqual(images.width, 3)
        XCTAssertEqual(images.pixels, Array(1...12))
    }

    func testTransposedImagesAreUpright() throws {
        // Stored (r, c) shows at (c, r): stored rows [1 2 3] [4 5 6] become rows [1 4] [2 5] [3 6].
        let images = try IDX.readImages(path: write(twoImages, "a-idx3-ubyte"))
        XCTAssertEqual(images.height, 3)
        XCTAssertEqual(images.width, 2)
        XCTAssertEqual(Array(images.image(0)), [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(Array(images.image(1)), [7, 10, 8, 11, 9, 12])
    }

    func testGzippedFilesReadLikeRawOnes() throws {
        let images = try IDX.readImages(path: write(twoImages, "a-idx3-ubyte.gz", gzip: true))
        XCTAssertEqual(Array(images.image(1)), [7, 10, 8, 11, 9, 12])
        let labels = try IDX.readLabels(path: write(threeLabels, "l-idx1-ubyte.gz", gzip: true))
        XCTAssertEqual(labels, [5, 0, 46])
        XCTAssertEqual(try IDX.readLabels(path: write(threeLabels, "l-idx1-ubyte")), [5, 0, 46])
    }

    func testEncoderRoundTripsThroughReader() throws {
        let images = CharacterImages(count: 2, height: 3, width: 2, pixels: [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12])
        XCTAssertEqual(IDX.encodeImages(images), twoImages)
        XCTAssertEqual(IDX.encodeLabels([5, 0, 46]), threeLabels)
    }

    func testWrongMagicNamesTheFile() throws {
        let path = try write(twoImages, "swapped")
        XCTAssertThrowsError(try IDX.readLabels(path: path)) { error in
            guard case IDXError.wrongMagic(let p, let found, let expected) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertEqual(found, 0x803)
            XCTAssertEqual(expected, 0x801)
            XCTAssertTrue("\(error)".contains(path))
        }
    }

    func testTruncatedRawAndGzipFilesAreRejected() throws {
        let raw = try write(Array(twoImages.dropLast()), "short-idx3-ubyte")
        XCTAssertThrowsError(try IDX.readImages(path: raw)) { error in
            guard case IDXError.truncated(_, let expected, let found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, 28)
            XCTAssertEqual(found, 27)
        }
        let header = try write([0, 0, 8, 3, 0, 0], "header-only")
        XCTAssertThrowsError(try IDX.readImages(path: header)) { error in
            guard case IDXError.truncated = error else { return XCTFail("\(error)") }
        }
        let full = try write(twoImages + Array(repeating: 0, count: 500), "big.gz", gzip: true)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: full)))
        let cut = try write(Array(bytes.prefix(bytes.count - 12)), "cut.gz")
        XCTAssertThrowsError(try IDX.readImages(path: cut)) { error in
            guard case IDXError.badGzip(let p, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(p, cut)
        }
        let extra = try write(threeLabels + [1], "long-idx1-ubyte")
        XCTAssertThrowsError(try IDX.readLabels(path: extra)) { error in
            guard case IDXError.trailingBytes = error else { return XCTFail("\(error)") }
        }
    }

    /// Found by Tools/fuzz.sh (FuzzIDX): rows x cols of 32-bit dimensions overflowed Int and trapped;
    /// billions of 0x0 images took minutes.
    func testHugeDimensionsAreTruncationNotAnOverflowTrap() throws {
        let huge = try write([0, 0, 8, 3, 0, 4, 0x7D, 0xD6, 0xEB, 0xCB, 0xD3, 0xE8, 0xF4, 0xF3, 0xE7, 0xD9, 0, 1, 2, 3], "huge-idx3-ubyte")
        XCTAssertThrowsError(try IDX.readImages(path: huge)) { error in
            guard case IDXError.truncated(_, let expected, let found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, Int.max)
            XCTAssertEqual(found, 20)
        }
        let zero = try write([0, 0, 8, 3, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "zero-count-huge-idx3-ubyte")
        XCTAssertThrowsError(try IDX.readImages(path: zero))
        // Billions of 0x0 images in a 16-byte file: refused at once, not looped over.
        let empty = try write([0, 0, 8, 3, 0xCF, 0x9B, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0], "empty-images-idx3-ubyte")
        XCTAssertThrowsError(try IDX.readImages(path: empty)) { error in
            guard case IDXError.emptyImages(_, let n, 0, 0) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(n, 0xCF9B_0008)
            XCTAssertTrue("\(error)".contains("rows and columns must be at least 1"))
        }
    }

    func testMissingFileAndCountMismatch() throws {
        XCTAssertThrowsError(try IDX.readLabels(path: dir.appendingPathComponent("nope").path)) { error in
            guard case IDXError.unreadable = error else { return XCTFail("\(error)") }
        }
        let images = try write(twoImages, "i")
        let labels = try write(threeLabels, "l")
        XCTAssertThrowsError(try EMNISTDataset.load(images: images, labels: labels)) { error in
            guard case IDXError.countMismatch(_, 2, _, 3) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(images) && "\(error)".contains(labels))
        }
        let twoLabels = try write([0, 0, 8, 1, 0, 0, 0, 2, 1, 9], "l2")
        XCTAssertThrowsError(try EMNISTDataset.load(images: images, labels: twoLabels, classCount: 5)) { error in
            guard case IDXError.labelOutOfRange(_, 1, 9, 5) = error else { return XCTFail("\(error)") }
        }
    }

    func testMappingFileGivesCharacters() throws {
        let mapping = try LabelMapping(contentsOf: TestPaths.mini("emnist-bymerge-mapping.txt"))
        XCTAssertEqual(mapping, LabelMapping.emnistByMerge)
        XCTAssertEqual(mapping.label(10), "A")
        XCTAssertEqual(mapping.label(46), "t")
        let bad = try write(Array("0 48\n1 x\n".utf8), "bad-mapping.txt")
        XCTAssertThrowsError(try LabelMapping(contentsOf: bad)) { error in
            guard case LabelMappingError.badLine(_, 2, _) = error else { return XCTFail("\(error)") }
        }
        let gap = try write(Array("0 48\n2 50\n".utf8), "gap-mapping.txt")
        XCTAssertThrowsError(try LabelMapping(contentsOf: gap)) { error in
            guard case LabelMappingError.notDense(_, 1) = error else { return XCTFail("\(error)") }
        }
    }

    func testMiniSetMatchesNumpyTransposeAndReadmeCounts() throws {
        let train = try EMNISTDataset.load(images: TestPaths.mini("emnist-mini-train-images-idx3-ubyte.gz"),
                                           labels: TestPaths.mini("emnist-mini-train-labels-idx1-ubyte.gz"),
                                           classCount: 47)
        XCTAssertEqual(train.count, 2000)
        XCTAssertEqual(Array(train.labels.prefix(10)), [24, 22, 28, 0, 5, 8, 5, 1, 4, 3])
        // numpy: a = frombuffer(gunzip(file), uint8, offset=16).reshape(-1, 28, 28); a[0].T[14], a[1999].T[:, 14]
        let row14: [UInt8] = [0, 0, 0, 4, 113, 202, 249, 141, 52, 1, 0, 0, 0, 0,
                              0, 0, 0, 33, 91, 221, 245, 177, 34, 7, 0, 0, 0, 0]
        XCTAssertEqual(Array(train.images.image(0)[(14 * 28)..<(15 * 28)]), row14)
        let col14: [UInt8] = [0, 0, 0, 2, 82, 233, 252, 173, 22, 0, 1, 36, 175, 251,
                              250, 140, 9, 0, 21, 170, 251, 232, 82, 2, 0, 0, 0, 0]
        let last = Array(train.images.image(1999))
        XCTAssertEqual((0..<28).map { last[$0 * 28 + 14] }, col14)
        // Per-class counts from datasets/emnist/README.md (mini train column).
        var histogram = [Int](repeating: 0, count: 47)
        for l in train.labels { histogram[l] += 1 }
        XCTAssertEqual(Array(histogram.prefix(4)), [107, 121, 89, 106])
        XCTAssertEqual(histogram[46], 47)
        let test = try EMNISTDataset.load(images: TestPaths.mini("emnist-mini-test-images-idx3-ubyte.gz"),
                                          labels: TestPaths.mini("emnist-mini-test-labels-idx1-ubyte.gz"))
        XCTAssertEqual(test.count, 500)
    }

    func testSharedPoolTestSplitWhenPresent() throws {
        let images = TestPaths.shared.appendingPathComponent("emnist-bymerge-pool-test-images-idx3-ubyte.gz").path
        guard FileManager.default.fileExists(atPath: images) else {
            throw XCTSkip("\(images) is absent (the read-only data set beside the checkout, present in CI); testMiniSetMatchesNumpyTransposeAndReadmeCounts covers the reader on the committed mini set")
        }
        let labels = TestPaths.shared.appendingPathComponent("emnist-bymerge-pool-test-labels-idx1-ubyte.gz").path
        let pool = try EMNISTDataset.load(images: images, labels: labels, classCount: 47)
        XCTAssertEqual(pool.count, 12323)
        var histogram = [Int](repeating: 0, count: 47)
        for l in pool.labels { histogram[l] += 1 }
        // README.md pool test column: '0' 599, '1' 701, 'A' 113, 't' 310.
        XCTAssertEqual([histogram[0], histogram[1], histogram[10], histogram[46]], [599, 701, 113, 310])
    }
}
