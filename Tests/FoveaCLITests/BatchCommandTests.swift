// End-to-end tests of `fovea batch`: its rows are `fovea detect --json` /
// `fovea smile --json`'s objects; every kind of bad file becomes an error row
// and sets the exit status; re-runs skip what is recorded (--retry-errors
// redoes error rows); SIGKILL at random moments loses and duplicates nothing;
// shards partition the files and `merge` finds gaps and duplicates.
import Foundation
import XCTest

final class BatchCommandTests: XCTestCase {
    private let lines = CLI.packageRoot.appendingPathComponent("Datasets/ocr-samples")
    private let crops = CLI.packageRoot.appendingPathComponent("Datasets/smiles-sample/images")

    private func rows(_ path: URL) throws -> [[String: Any]] {
        try String(contentsOf: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not a JSON row: \($0)")
        }
    }

    private func json(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    private func withoutRunFields(_ o: [String: Any]) -> NSDictionary {
        var o = o
        for key in ["file", "status", "elapsed_ms"] { o[key] = nil }
        return o as NSDictionary
    }

    func testRowsAreTheObjectsOfDetectAndSmileWithFileStatusAndTime() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let out = dir.appendingPathComponent("lines.jsonl")
        let r = try CLI.run(["batch", "Datasets/ocr-samples", "--task", "characters", "--output", out.path, "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("12 files: 12 ok, 0 failed"), r.stderr)
        let batch = try rows(out)
        let names = (1...12).map { "Datasets/ocr-samples/line-\(String(format: "%06d", $0)).png" }
        XCTAssertEqual(Set(batch.map { $0["file"] as? String ?? "" }), Set(names))
        let detect = try json(try CLI.run(["detect", "--json"] + names).stdout)
        let byFile = Dictionary(uniqueKeysWithValues: batch.map { ($0["file"] as! String, $0) })
        for d in detect {
            let b = try XCTUnwrap(byFile[d["file"] as! String])
            XCTAssertEqual(b["status"] as? String, "ok")
            XCTAssertGreaterThan(try XCTUnwrap(b["elapsed_ms"] as? Double), 0)
            XCTAssertEqual(withoutRunFields(b), withoutRunFields(d), "\(d["file"]!)")
        }

        let smiles = dir.appendingPathComponent("smiles.jsonl")
        let s = try CLI.run(["batch", crops.path, "--task", "smile", "--face-crop", "--output", smiles.path, "--include", "pos_*"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let scored = try rows(smiles)
        XCTAssertFalse(scored.isEmpty)
        let files = scored.map { $0["file"] as! String }
        XCTAssertTrue(files.allSatisfy { $0.hasPrefix(crops.path + "/pos_") }, "\(files)")
        let smile = try json(try CLI.run(["smile", "--face-crop", "--json"] + files).stdout)
        XCTAssertEqual(smile.count, scored.count)
        for (b, d) in zip(scored, smile) { XCTAssertEqual(withoutRunFields(b), withoutRunFields(d)) }
    }

    func testDetectorHeadLabelsAreWhatDetectPrintsAndAModelWithoutAHeadIsAUsageError() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let out = dir.appendingPathComponent("head.jsonl")
        let head = ["--labels", "detector-head", "--model", "Models/ocr-detector-head.safetensors"]
        let r = try CLI.run(["batch", "Datasets/ocr-samples", "--task", "characters", "--output", out.path, "--include", "line-00000[1-3].png"] + head)
        XCTAssertEqual(r.status, 0, r.stderr)
        let batch = try rows(out)
        XCTAssertEqual(batch.count, 3)
        let byFile = Dictionary(uniqueKeysWithValues: batch.map { ($0["file"] as! String, $0) })
        let detect = try json(try CLI.run(["detect", "--json"] + head + byFile.keys.sorted()).stdout)
        XCTAssertEqual(detect.count, 3)
        for d in detect { XCTAssertEqual(withoutRunFields(try XCTUnwrap(byFile[d["file"] as! String])), withoutRunFields(d)) }
        // The default detector has no class head: refused before any file runs (exit 2, no rows).
        let none = dir.appendingPathComponent("none.jsonl")
        let refused = try CLI.run(["batch", "Datasets/ocr-samples", "--task", "characters", "--output", none.path, "--labels", "detector-head"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("has no class head"), refused.stderr)
        let written = (try? String(contentsOf: none, encoding: .utf8)) ?? ""
        XCTAssertEqual(written, "", "no rows before the pipeline loads")
        let wrongTask = try CLI.run(["batch", crops.path, "--task", "smile", "--output", none.path, "--labels", "detector-head"])
        XCTAssertEqual(wrongTask.status, 2, wrongTask.stderr)
        XCTAssertTrue(wrongTask.stderr.contains("--labels is for --task characters"), wrongTask.stderr)
    }

    func testEveryKindOfBadFileIsAnErrorRowAndTheRunGoesOn() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("nested"), withIntermediateDirectories: true)
        let good = try Data(contentsOf: lines.appendingPathComponent("line-000001.png"))
        try good.write(to: input.appendingPathComponent("good.png"))
        try good.write(to: input.appendingPathComponent("nested/no-extension"))
        try Data().write(to: input.appendingPathComponent("empty.png"))
        try good.prefix(good.count / 2).write(to: input.appendingPathComponent("truncated.png"))
        var corrupt = good
        for i in 40..<min(corrupt.count, 200) { corrupt[i] ^= 0x5A }
        try corrupt.write(to: input.appendingPathComponent("corrupt.png"))
        try Data("just some notes\n".utf8).write(to: input.appendingPathComponent("notes.jpg"))
        try Data(contentsOf: CLI.packageRoot.appendingPathComponent("Datasets/photos/astronaut.png"))
            .write(to: input.appendingPathComponent("huge.png"))
        try FileManager.default.createDirectory(at: input.appendingPathComponent("folder.png"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: input.appendingPathComponent("dangling.jpg").path,
                                                   withDestinationPath: dir.appendingPathComponent("gone.jpg").path)
        try Data("readme".utf8).write(to: input.appendingPathComponent("README.md"))
        // Root reads a mode-000 file anyway, so that case is only checked as another user.
        let locked = input.appendingPathComponent("locked.png")
        try good.write(to: locked)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked.path)
        let asRoot = geteuid() == 0

        let out = dir.appendingPathComponent("results.jsonl")
        let r = try CLI.run(["batch", input.path, "--task", "characters", "--output", out.path, "--max-pixels", "100000"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.crashed)
        let byName = Dictionary(uniqueKeysWithValues: try rows(out).map {
            (String(($0["file"] as! String).dropFirst(input.path.count + 1)), $0)
        })
        let expected: [String: String?] = [
            "good.png": nil, "nested/no-extension": nil,
            "empty.png": "the file is empty",
            "truncated.png": "truncated PNG file",
            "corrupt.png": "corrupt PNG data",
            "notes.jpg": "not a PNG or JPEG image (file starts with 6A 75 73 74",
            "huge.png": "image is 512x512 = 262144 pixels, above the limit of 100000 pixels",
            "folder.png": "cannot read the file (it is a directory)",
            "dangling.jpg": "cannot read the file (no such file)",
            "locked.png": asRoot ? nil : "cannot read the file (permission denied",
        ]
        XCTAssertEqual(Set(byName.keys), Set(expected.keys), "README.md is not an input")
        for (name, message) in expected {
            let row = try XCTUnwrap(byName[name], name)
            if let message {
                XCTAssertEqual(row["status"] as? String, "error", name)
                XCTAssertTrue((row["error"] as? String ?? "").contains(message), "\(name): \(row["error"] ?? "no error")")
                XCTAssertEqual(Set(row.keys), ["file", "status", "error", "elapsed_ms"], name)
            } else {
                XCTAssertEqual(row["status"] as? String, "ok", "\(name): \(row["error"] ?? "")")
                XCTAssertEqual(row["text"] as? String, byName["good.png"]?["text"] as? String, name)
            }
        }
        let failures = asRoot ? 7 : 8
        XCTAssertTrue(r.stderr.contains("\(expected.count) files: \(expected.count - failures) ok, \(failures) failed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("failures by reason: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("above the pixel limit 1"), r.stderr)

        let usage = try CLI.run(["batch", input.path, "--task", "characters", "--output", out.path, "--shard", "3/3"])
        XCTAssertEqual(usage.status, 2, usage.stderr)
        XCTAssertEqual(try CLI.run(["batch", "/no/such/folder", "--task", "smile", "--output", out.path]).status, 2)
        let noBatch = try CLI.run(["batch", input.path, "--task", "characters", "--output", out.path, "--batch-size", "0"])
        XCTAssertEqual(noBatch.status, 2, noBatch.stderr)
        XCTAssertTrue(noBatch.stderr.contains("--batch-size must be at least 1"), noBatch.stderr)
        let noModel = try CLI.run(["batch", input.path, "--task", "smile", "--face-crop", "--output", dir.appendingPathComponent("m.jsonl").path,
                                   "--model", "/no/such/model.safetensors"])
        XCTAssertEqual(noModel.status, 2, noModel.stderr)
        XCTAssertTrue(noModel.stderr.contains("cannot load the smile pipeline"), noModel.stderr)
        let allGood = try CLI.run(["batch", input.path, "--task", "characters", "--output", dir.appendingPathComponent("ok.jsonl").path,
                                   "--include", "good.png"])
        XCTAssertEqual(allGood.status, 0, allGood.stderr)
    }

    func testReRunsSkipRecordedFilesAndRetryErrorsRedoesTheErrorRows() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let out = dir.appendingPathComponent("smiles.jsonl")
        // A pixel limit below 64x64: every crop is an error row.
        let first = try CLI.run(["batch", crops.path, "--task", "smile", "--face-crop", "--max-pixels", "100", "--output", out.path])
        XCTAssertEqual(first.status, 1)
        XCTAssertEqual(try rows(out).count, 60)
        XCTAssertTrue(try rows(out).allSatisfy { ($0["error"] as? String ?? "").contains("above the limit of 100 pixels") })
        let again = try CLI.run(["batch", crops.path, "--task", "smile", "--face-crop", "--output", out.path])
        XCTAssertEqual(again.status, 1, "recorded errors still fail the run")
        XCTAssertTrue(again.stderr.contains("60 files: 0 ok, 0 failed, 60 already in"), again.stderr)
        let retry = try CLI.run(["batch", crops.path, "--task", "smile", "--face-crop", "--output", out.path, "--retry-errors",
                                 "--annotate-dir", dir.appendingPathComponent("annotated").path])
        XCTAssertEqual(retry.status, 0, retry.stderr)
        let final = try rows(out)
        XCTAssertEqual(final.count, 60)
        XCTAssertEqual(Set(final.map { $0["file"] as! String }).count, 60)
        XCTAssertTrue(final.allSatisfy { $0["status"] as? String == "ok" && ($0["faces"] as? [Any])?.count == 1 })
        let annotated = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("annotated").path)
        XCTAssertEqual(annotated.count, 60)
        XCTAssertTrue(annotated.contains("pos_25.png"), "\(annotated.prefix(5))")
    }

    func testKilledAtRandomMomentsEveryFileIsRecordedExactlyOnce() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let input = dir.appendingPathComponent("in")
        // 120 files in two folders, links to the 12 sample lines: more than a
        // run gets through before the first kill (with 24, a fast machine
        // finished them all before it, and the test could not tell).
        let count = 120
        for folder in ["a", "b/c"] {
            let sub = input.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for k in 1...(count / 2) {
                let line = lines.appendingPathComponent("line-\(String(format: "%06d", (k - 1) % 12 + 1)).png")
                try FileManager.default.createSymbolicLink(atPath: sub.appendingPathComponent("l\(k).png").path, withDestinationPath: line.path)
            }
        }
        let out = dir.appendingPathComponent("results.jsonl")
        let arguments = ["batch", input.path, "--task", "characters", "--output", out.path, "--jobs", "2", "--quiet"]
        var generator = SystemRandomNumberGenerator()
        var delays = [Double](), recordedAfterKill = [Int]()
        for _ in 0..<4 {
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = arguments
            process.currentDirectoryURL = CLI.packageRoot
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let delay = Double.random(in: 0.05...0.8, using: &generator)
            delays.append(delay)
            usleep(UInt32(delay * 1e6))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            recordedAfterKill.append(text.filter { $0 == "\n" }.count)
        }
        let last = try CLI.run(arguments)
        XCTAssertEqual(last.status, 0, "kills after \(delays) s: \(last.stderr)")
        let text = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        let final = try rows(out)
        let files = final.map { $0["file"] as! String }
        XCTAssertEqual(files.count, count, "kills after \(delays) s, rows then \(recordedAfterKill)")
        XCTAssertEqual(Set(files).count, count, "duplicates after kills at \(delays) s")
        XCTAssertTrue(final.allSatisfy { $0["status"] as? String == "ok" })
        // The kills landed at different moments: some before the end, after some rows.
        XCTAssertTrue(recordedAfterKill.contains { $0 < count }, "\(recordedAfterKill)")
    }

    func testShardsPartitionTheFilesAndMergeReportsGapsAndDuplicates() throws {
        let dir = try CLI.temporaryDirectory(for: self)
        let shards = (0..<3).map { dir.appendingPathComponent("shard-\($0).jsonl") }
        // Three processes at once, as a job array runs them.
        let group = DispatchGroup()
        nonisolated(unsafe) var statuses = [Int32](repeating: -1, count: 3)
        let folder = crops.path
        for i in 0..<3 {
            group.enter()
            DispatchQueue.global().async {
                statuses[i] = (try? CLI.run(["batch", folder, "--task", "smile", "--face-crop", "--output", shards[i].path,
                                             "--shard", "\(i)/3", "--jobs", "1"]))?.status ?? -1
                group.leave()
            }
        }
        group.wait()
        XCTAssertEqual(statuses, [0, 0, 0])
        let sets = try shards.map { Set(try rows($0).map { $0["file"] as! String }) }
        let all = Set(try FileManager.default.contentsOfDirectory(atPath: crops.path).map { crops.path + "/" + $0 })
        XCTAssertEqual(all.count, 60)
        XCTAssertEqual(sets[0].union(sets[1]).union(sets[2]), all)
        XCTAssertTrue(sets[0].isDisjoint(with: sets[1]) && sets[0].isDisjoint(with: sets[2]) && sets[1].isDisjoint(with: sets[2]))
        XCTAssertTrue(sets.allSatisfy { !$0.isEmpty }, "\(sets.map(\.count))")

        let merged = dir.appendingPathComponent("all.jsonl")
        let m = try CLI.run(["batch", "merge"] + shards.map(\.path) + ["--output", merged.path, "--expect", crops.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(Set(try rows(merged).map { $0["file"] as! String }), all)
        XCTAssertEqual(try rows(merged).count, 60)

        let gap = try CLI.run(["batch", "merge", shards[0].path, shards[1].path, shards[0].path,
                               "--output", merged.path, "--expect", crops.path])
        XCTAssertEqual(gap.status, 1)
        XCTAssertTrue(gap.stderr.contains("duplicated (kept one row, an ok one if any): \(sets[0].count)"), gap.stderr)
        XCTAssertTrue(gap.stderr.contains("missing (in the folder, in no shard): \(sets[2].count)"), gap.stderr)
        XCTAssertEqual(try rows(merged).count, sets[0].count + sets[1].count)
    }
}
