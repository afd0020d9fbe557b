// `fovea info`: header facts of PNG/JPEG files, each fully decoded so damaged
// files are caught; bad files are reported on stderr while the rest still print.
import ArgumentParser
import Foundation
import FoveaImage

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show width, height, channels, bit depth and format of PNG and JPEG images.",
        discussion: """
            Every file is decoded in full, so truncated or corrupt files are reported even when \
            their header looks fine. Files that fail are named on stderr and make the exit status 1; \
            the other files are still reported.
            """
    )

    @Argument(help: ArgumentHelp("PNG or JPEG files to describe.", valueName: "image"))
    var images: [String]

    @Flag(help: "Print a JSON array (one object per file, with an \"error\" field for bad files) instead of a table.")
    var json = false

    @Option(help: "Refuse images with more pixels than this (guards against decompression bombs).")
    var maxPixels = DecodeOptions().maxPixels

    struct Entry: Encodable {
        var file: String
        var format: String?
        var width: Int?
        var height: Int?
        var channels: Int?
        var bitDepth: Int?
        var decodedChannels: Int?
        var interlaced: Bool?
        var orientation: Int?
        var error: String?
    }

    func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
    }

    func run() throws {
        var entries: [Entry] = []
        for path in images {
            do {
                let info = try ImageInfo(contentsOf: path)
                _ = try Image(contentsOf: path, options: DecodeOptions(maxPixels: maxPixels, applyOrientation: false))
                entries.append(Entry(file: path, format: info.format.rawValue, width: info.width, height: info.height,
                                     channels: info.channels, bitDepth: info.bitDepth,
                                     decodedChannels: info.decodedChannels, interlaced: info.interlaced,
                                     orientation: info.orientation))
            } catch {
                ImageCommandOutput.error("fovea info: \(error)")
                entries.append(Entry(file: path, error: "\(error)"))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
        } else {
            printTable(entries.filter { $0.error == nil })
        }
        if entries.contains(where: { $0.error != nil }) { throw ExitCode.failure }
    }

    private func printTable(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        let header = ["FILE", "FORMAT", "WIDTH", "HEIGHT", "CHANNELS", "BITS", "NOTES"]
        let rows = entries.map { entry -> [String] in
            var notes: [String] = []
            if entry.interlaced == true { notes.append(entry.format == "png" ? "interlaced" : "progressive") }
            if let orientation = entry.orientation, orientation != 1 { notes.append("EXIF orientation \(orientation)") }
            return [entry.file, entry.format?.uppercased() ?? "", "\(entry.width ?? 0)", "\(entry.height ?? 0)",
                    "\(entry.channels ?? 0)", "\(entry.bitDepth ?? 0)", notes.joined(separator: ", ")]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let cells = row.enumerated().map { column, cell in
                column <= 1 || column == row.count - 1
                    ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}

/// Messages for people on stderr, shared by the image commands.
enum ImageCommandOutput {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Creates the folder that will hold `path`, so `out/result.png` works on a fresh checkout.
    static func createParentFolder(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ImageError.unwritable(file: path, reason: "cannot create folder \(folder.path)")
        }
    }
}
