// ResultsFile: the JSON Lines output of a batch run, made to survive kills.
// Every row is appended whole by one write(2) on an O_APPEND descriptor and
// made durable with fsync before it counts as done; on open, a torn last line
// (a kill during a write) is cut off, and the rows already there tell which
// files to skip. An exclusive flock keeps two runs from interleaving rows.
import Foundation

public struct ResultRow: Sendable, Equatable {
    public var file: String
    public var ok: Bool
}

public final class ResultsFile: @unchecked Sendable {
    public let path: String
    private var fd: Int32
    /// The status of each file already recorded (its last row).
    public private(set) var recorded: [String: Bool] = [:]
    /// Bytes of a torn last line removed when the file was opened (0 when it ended cleanly).
    public private(set) var repairedBytes = 0

    /// Opens (creating if needed) and locks `path`, repairs a torn last line, reads the rows.
    public init(path: String) throws {
        self.path = path
        fd = try Self.openLocked(path)
        do {
            let scan = try Self.scan(path) { row, _ in recorded[row.file] = row.ok }
            if scan.tornBytes > 0 {
                guard ftruncate(fd, off_t(scan.validLength)) == 0, fsync(fd) == 0 else {
                    throw BatchError.writeFailed(file: path, reason: "cannot cut the torn last line: \(errnoText())")
                }
                repairedBytes = scan.tornBytes
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Rewrites the file without the error rows of `files` (for --retry-errors):
    /// a new file written and fsynced beside it, then renamed over it, so a kill
    /// leaves either the old rows or the new ones.
    public func dropErrorRows(of files: Set<String>) throws {
        guard recorded.contains(where: { !$0.value && files.contains($0.key) }) else { return }
        let temporary = path + ".rewrite-\(getpid())"
        let out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw BatchError.writeFailed(file: temporary, reason: errnoText()) }
        var kept = [String: Bool]()
        do {
            _ = try Self.scan(path) { row, line in
                if !row.ok && files.contains(row.file) { return }
                try Self.writeWhole(out, line + [0x0A], file: temporary)
                kept[row.file] = row.ok
            }
            guard fsync(out) == 0 else { throw BatchError.writeFailed(file: temporary, reason: errnoText()) }
        } catch {
            close(out)
            unlink(temporary)
            throw error
        }
        close(out)
        guard rename(temporary, path) == 0 else { throw BatchError.writeFailed(file: path, reason: errnoText()) }
        Self.syncFolder(of: path)
        close(fd)
        fd = try Self.openLocked(path)
        recorded = kept
    }

    /// Appends rows (each one line of JSON, no newline), one write each, then one
    /// fsync for the group: when this returns they are on disk.
    public func append(_ lines: [String]) throws {
        for line in lines { try Self.writeWhole(fd, Array((line + "\n").utf8), file: path) }
        guard fsync(fd) == 0 else { throw BatchError.writeFailed(file: path, reason: "fsync: \(errnoText())") }
    }

    // MARK: reading

    /// Calls `body` for each complete row of `path` (its file and status, and the
    /// line's bytes). A last line without its newline is torn: reported, not read.
    public static func scan(_ path: String, _ body: (ResultRow, [UInt8]) throws -> Void)
        throws -> (validLength: Int, tornBytes: Int, rows: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BatchError.resultsUnreadable(file: path, reason: errnoText()) }
        defer { close(fd) }
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var consumed = 0, lineNumber = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw BatchError.resultsUnreadable(file: path, reason: errnoText()) }
            if n == 0 { break }
            pending += chunk[0..<n]
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                let line = Array(pending[start..<newline])
                lineNumber += 1
                start = newline + 1
                consumed += line.count + 1
                if line.isEmpty { continue }
                try body(parse(line, file: path, lineNumber: lineNumber), line)
            }
            pending.removeFirst(start)
        }
        return (consumed, pending.count, lineNumber)
    }

    static func parse(_ line: [UInt8], file: String, lineNumber: Int) throws -> ResultRow {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw BatchError.malformedResults(file: file, line: lineNumber, detail: "not a JSON object")
        }
        guard let name = object["file"] as? String else {
            throw BatchError.malformedResults(file: file, line: lineNumber, detail: "no \"file\"")
        }
        switch object["status"] as? String {
        case "ok": return ResultRow(file: name, ok: true)
        case "error": return ResultRow(file: name, ok: false)
        default: throw BatchError.malformedResults(file: file, line: lineNumber, detail: "\"status\" is not \"ok\" or \"error\"")
        }
    }

    // MARK: system calls

    private static func openLocked(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BatchError.writeFailed(file: path, reason: "cannot open: \(errnoText())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw BatchError.resultsLocked(path)
        }
        return fd
    }

    /// One write(2) for the whole buffer; a short write (disk full) is finished
    /// or reported, never left as a silent partial line.
    static func writeWhole(_ fd: Int32, _ bytes: [UInt8], file: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BatchError.writeFailed(file: file, reason: errnoText())
            }
            offset += n
        }
    }

    /// Makes a rename durable: fsync of the folder that holds the entry.
    private static func syncFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
