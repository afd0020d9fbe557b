// BatchInputs and Shard: which files a run reads (recursion, magic bytes,
// files named like images whatever they hold, globs, the results file left
// out), in a stable order, and the FNV-1a shard of each.
import FoveaBatch
import Foundation
import XCTest

final class BatchInputsTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-batch-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0]
        try Data(png).write(to: root.appendingPathComponent("b.png"))
        try Data(jpeg).write(to: root.appendingPathComponent("no-extension"))
        try Data(png).write(to: root.appendingPathComponent("sub/deeper/c.PNG"))
        try Data("text".utf8).write(to: root.appendingPathComponent("sub/notes.txt"))
        try Data("text".utf8).write(to: root.appendingPathComponent("sub/liar.jpg"))
        try Data("{}\n".utf8).write(to: root.appendingPathComponent("results.jsonl"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("folder.png"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("gone.jpg").path, withDestinationPath: "/no/such/file")
        // A link back up must not loop.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("sub/up").path, withDestinationPath: root.path)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func testFindsImagesByContentAndFilesNamedLikeImagesSortedAndSkipsTheRest() throws {
        let items = try BatchInputs.list([root.path], selection: InputSelection(skipPaths: [root.appendingPathComponent("results.jsonl").path]))
        XCTAssertEqual(items.map(\.relative), ["b.png", "folder.png", "gone.jpg", "no-extension", "sub/deeper/c.PNG", "sub/liar.jpg"])
        XCTAssertEqual(items[0].file, root.path + "/b.png")
    }

    func testGlobsMatchNamesOrPathsAndExcludePrunesFolders() throws {
        let pngs = try BatchInputs.list([root.path], selection: InputSelection(include: ["*.png", "*.PNG"]))
        XCTAssertEqual(pngs.map(\.relative), ["b.png", "folder.png", "sub/deeper/c.PNG"])
        let noSub = try BatchInputs.list([root.path], selection: InputSelection(exclude: ["sub", "gone.*"]))
        XCTAssertEqual(noSub.map(\.relative), ["b.png", "folder.png", "no-extension"])
        let byPath = try BatchInputs.list([root.path], selection: InputSelection(include: ["sub/*"]))
        XCTAssertEqual(byPath.map(\.relative), ["sub/deeper/c.PNG", "sub/liar.jpg"])
    }

    func testAFileArgumentIsOneItemAndAMissingFolderIsAnError() throws {
        let one = try BatchInputs.list([root.appendingPathComponent("b.png").path])
        XCTAssertEqual(one, [BatchItem(file: root.appendingPathComponent("b.png").path, relative: "b.png")])
        XCTAssertThrowsError(try BatchInputs.list(["/no/such/folder"])) { error in
            XCTAssertTrue("\(error)".contains("/no/such/folder: no such file or folder"), "\(error)")
        }
    }

    func testFNV1aMatchesTheReferenceVectorsAndShardsPartition() throws {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv): 64-bit FNV-1a.
        XCTAssertEqual(Shard.fnv1a64(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(Shard.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(Shard.fnv1a64("foobar"), 0x8594_4171_f739_67e8)
        let items = (0..<1000).map { BatchItem(file: "x/\($0).png", relative: "\($0).png") }
        let shards = try (0..<4).map { try Shard(index: $0, count: 4) }
        for item in items { XCTAssertEqual(shards.filter { $0.contains(item) }.count, 1) }
        let sizes = shards.map { s in items.filter { s.contains($0) }.count }
        XCTAssertTrue(sizes.allSatisfy { $0 > 200 && $0 < 300 }, "\(sizes)")
        XCTAssertEqual(try Shard(parsing: "2/8"), try Shard(index: 2, count: 8))
        for bad in ["8/8", "-1/4", "1", "a/b", "0/0"] { XCTAssertThrowsError(try Shard(parsing: bad), bad) }
    }
}
