// `fovea train landmarks --architecture`: a choice for the landmark model
// alone, refused before any data is read when it cannot apply, and its
// values named when mistyped. (Training itself is covered in FoveaFaceTests.)
import Foundation
import XCTest

final class TrainLandmarksCommandTests: XCTestCase {
    func testArchitectureWithoutLandmarksOnlyIsRefusedBeforeReadingData() throws {
        let r = try CLI.run(["train", "landmarks", "--architecture", "heatmap", "--data", "no-such-folder",
                             "--output", "unused.safetensors"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--architecture heatmap is for the landmark model alone; add --landmarks-only"), r.stderr)
    }

    func testUnknownArchitectureNamesTheChoices() throws {
        let r = try CLI.run(["train", "landmarks", "--landmarks-only", "--architecture", "hourglass", "--data", "no-such-folder",
                             "--output", "unused.safetensors"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("'dense'") && r.stderr.contains("'heatmap'"), r.stderr)
    }
}
