// The files a batch run reads: folders walked recursively in a stable order,
// images recognised by their magic bytes (or an image extension, so a broken
// file named like an image becomes an error row instead of vanishing),
// --include/--exclude globs, and the deterministic shard of each file.
import FoveaImage
import Foundation

/// One input file. `file` is the key of its result row: the folder as given
/// joined with `relative`, the path below that folder (what shards hash).
public struct BatchItem: Sendable, Equatable {
    public var file: String
    public var relative: String

    public init(file: String, relative: String) {
        self.file = file
        self.relative = relative
    }
}

/// `--shard INDEX/COUNT`: file i belongs to shard FNV-1a(relative path) mod COUNT.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw BatchError.badShard("\(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses "INDEX/COUNT" (0-based index), e.g. "2/8".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { throw BatchError.badShard(text) }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public func contains(_ item: BatchItem) -> Bool {
        Int(Self.fnv1a64(item.relative) % UInt64(count)) == index
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: stable across processes, machines and
    /// Swift versions, unlike `Hasher`, which is seeded per process.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Which files of the folders are inputs.
public struct InputSelection: Sendable {
    /// Globs a file must match one of (all files when empty).
    public var include: [String] = []
    /// Globs that drop a file, or a whole folder below the input folder.
    public var exclude: [String] = []
    /// Paths never read as inputs even when inside a folder (the results file, the annotation folder).
    public var skipPaths: [String] = []

    public init(include: [String] = [], exclude: [String] = [], skipPaths: [String] = []) {
        self.include = include
        self.exclude = exclude
        self.skipPaths = skipPaths
    }

    /// A pattern without "/" matches the file name, one with "/" the path below
    /// the input folder (where "*" also crosses "/"), as fnmatch(3) does.
    static func matches(_ pattern: String, relative: String) -> Bool {
        if pattern.contains("/") { return fnmatch(pattern, relative, 0) == 0 }
        let name = relative.split(separator: "/").last.map(String.init) ?? relative
        return fnmatch(pattern, name, 0) == 0
    }

    func selects(_ relative: String) -> Bool {
        if exclude.contains(where: { Self.matches($0, relative: relative) }) { return false }
        return include.isEmpty || include.contains(where: { Self.matches($0, relative: relative) })
    }

    func prunes(directory relative: String) -> Bool {
        exclude.contains(where: { Self.matches($0, relative: relative) })
    }
}

public enum BatchInputs {
    /// Every input file under `folders` (a folder may also be a single file),
    /// sorted by relative path within each folder, folders in the order given.
    public static func list(_ folders: [String], selection: InputSelection = InputSelection()) throws -> [BatchItem] {
        let skip = Set(selection.skipPaths.map(canonical))
        var items = [BatchItem]()
        for folder in folders {
            var st = stat()
            guard stat(folder, &st) == 0 else { throw BatchError.noSuchFolder(folder) }
            let trimmed = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            if (st.st_mode & S_IFMT) != S_IFDIR {
                let name = URL(fileURLWithPath: trimmed).lastPathComponent
                items.append(BatchItem(file: folder, relative: name))
                continue
            }
            var found = [String]()
            var visited = Set<[UInt64]>()
            walk(trimmed, relative: "", device: st, selection: selection, skip: skip, visited: &visited, into: &found)
            found.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let prefix = trimmed == "." ? "" : (trimmed == "/" ? "/" : trimmed + "/")
            items += found.map { BatchItem(file: prefix + $0, relative: $0) }
        }
        return items
    }

    private static func walk(_ path: String, relative: String, device st: stat, selection: InputSelection,
                             skip: Set<String>, visited: inout Set<[UInt64]>, into found: inout [String]) {
        // Symbolic links to folders are followed once: the (device, inode) set stops cycles.
        guard visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names {
            let full = path + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            if skip.contains(canonical(full)) { continue }
            var target = stat()
            let resolves = stat(full, &target) == 0
            if resolves && (target.st_mode & S_IFMT) == S_IFDIR {
                // A folder named like an image is an input (an error row), not a place to look.
                if ImageFormat(pathExtension: name) != nil {
                    if selection.selects(rel) { found.append(rel) }
                    continue
                }
                if selection.prunes(directory: rel) { continue }
                walk(full, relative: rel, device: target, selection: selection, skip: skip, visited: &visited, into: &found)
                continue
            }
            guard selection.selects(rel) else { continue }
            // Named like an image: an input whatever it holds (a dangling link or
            // an unreadable file becomes an error row). Otherwise its first bytes decide.
            if ImageFormat(pathExtension: name) != nil || (resolves && (target.st_mode & S_IFMT) == S_IFREG && sniffsAsImage(full)) {
                found.append(rel)
            }
        }
    }

    /// True when the file starts with PNG's or JPEG's magic bytes.
    public static func sniffsAsImage(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 8)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
        return n > 0 && ImageFormat(sniffing: head.prefix(n)) != nil
    }

    /// An absolute path with "." and ".." resolved and links followed where they exist.
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
