// `fovea batch merge`: the shards' results files into one, each file once,
// with a report of files recorded more than once and, against the input
// folder, files no shard recorded (or recorded but not in the folder).
import Foundation

public struct MergeReport: Sendable {
    public var inputs = 0
    /// Rows in the merged file (one per file).
    public var files = 0
    /// Of them, error rows.
    public var errorRows = 0
    /// Files recorded more than once, with how many times.
    public var duplicates: [(file: String, count: Int)] = []
    /// Expected (in --expect) but in no shard.
    public var missing: [String] = []
    /// In a shard but not in --expect.
    public var unexpected: [String] = []
    /// Inputs whose last line was torn (ignored), with its size in bytes.
    public var torn: [(file: String, bytes: Int)] = []

    public var clean: Bool { duplicates.isEmpty && missing.isEmpty && unexpected.isEmpty }

    public func report(output: String, limit: Int = 20) -> [String] {
        var lines = ["merged \(inputs) results files into \(output): \(files) files (\(errorRows) error rows)"]
        for t in torn { lines.append("note: \(t.file): ignored a torn last line (\(t.bytes) bytes)") }
        func list(_ title: String, _ names: [String]) {
            guard !names.isEmpty else { return }
            lines.append("\(title): \(names.count)")
            lines += names.prefix(limit).map { "  \($0)" }
            if names.count > limit { lines.append("  … and \(names.count - limit) more") }
        }
        list("duplicated (kept one row, an ok one if any)", duplicates.map { "\($0.file) (\($0.count) rows)" })
        list("missing (in the folder, in no shard)", missing)
        list("unexpected (in a shard, not in the folder)", unexpected)
        return lines
    }
}

public enum BatchMerge {
    /// Merges `inputs` into `output` (written whole, then renamed into place).
    /// With `expect`, the files a run over those folders would read are checked.
    public static func merge(_ inputs: [String], output: String, expect: [String]?,
                             selection: InputSelection = InputSelection()) throws -> MergeReport {
        let outputPath = BatchInputs.canonical(output)
        if let same = inputs.first(where: { BatchInputs.canonical($0) == outputPath }) {
            throw BatchError.writeFailed(file: output, reason: "it is also an input (\(same)); give another --output")
        }
        var report = MergeReport()
        report.inputs = inputs.count
        var order = [String]()
        var chosen = [String: (line: [UInt8], ok: Bool)]()
        var counts = [String: Int]()
        for input in inputs {
            let scan = try ResultsFile.scan(input) { row, line in
                counts[row.file, default: 0] += 1
                if let kept = chosen[row.file] {
                    if !kept.ok && row.ok { chosen[row.file] = (line, true) }
                } else {
                    order.append(row.file)
                    chosen[row.file] = (line, row.ok)
                }
            }
            if scan.tornBytes > 0 { report.torn.append((input, scan.tornBytes)) }
        }
        report.files = order.count
        report.errorRows = chosen.values.filter { !$0.ok }.count
        report.duplicates = order.compactMap { counts[$0]! > 1 ? ($0, counts[$0]!) : nil }
        if let expect {
            var skip = selection
            skip.skipPaths += [output] + inputs
            let expected = try BatchInputs.list(expect, selection: skip).map(\.file)
            let expectedSet = Set(expected)
            report.missing = expected.filter { chosen[$0] == nil }
            report.unexpected = order.filter { !expectedSet.contains($0) }
        }
        try writeAtomically(order.map { chosen[$0]!.line }, to: output)
        return report
    }

    private static func writeAtomically(_ lines: [[UInt8]], to output: String) throws {
        let temporary = output + ".merge-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BatchError.writeFailed(file: temporary, reason: errnoText()) }
        do {
            var buffer = [UInt8]()
            for line in lines {
                buffer += line
                buffer.append(0x0A)
                if buffer.count > 1 << 20 { try ResultsFile.writeWhole(fd, buffer, file: temporary); buffer.removeAll(keepingCapacity: true) }
            }
            try ResultsFile.writeWhole(fd, buffer, file: temporary)
            guard fsync(fd) == 0 else { throw BatchError.writeFailed(file: temporary, reason: errnoText()) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, output) == 0 else { throw BatchError.writeFailed(file: output, reason: errnoText()) }
    }
}
