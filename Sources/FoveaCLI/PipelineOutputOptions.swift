// The output options `fovea detect` and `fovea smile` share: JSON Lines or a
// table, annotated pictures (one file or a folder), engine threads, and how
// a file that could not be processed is reported.
import ArgumentParser
import FoveaDetection
import FoveaEngine
import Foundation

struct PipelineOutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per image (JSON Lines) on stdout.")
    var json = false

    @Option(help: "Write the annotated picture (PNG) here; one input image only.")
    var annotate: String?

    @Option(help: "Write an annotated PNG per input image into this folder.")
    var annotateDir: String?

    @Option(help: "Threads for the engine's loops (default: all cores).")
    var threads: Int?

    func check(inputs: Int) throws {
        if annotate != nil && annotateDir != nil { throw ValidationError("give --annotate or --annotate-dir, not both") }
        if annotate != nil && inputs != 1 { throw ValidationError("--annotate takes one input image; use --annotate-dir for several") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    }

    /// Sets the thread count and makes the annotation folder.
    func prepare() throws {
        if let threads { Engine.setThreads(threads) }
        if let annotateDir { try FileManager.default.createDirectory(atPath: annotateDir, withIntermediateDirectories: true) }
    }

    /// Where the annotated picture of `input` goes, if anywhere.
    func annotationPath(for input: String) -> String? {
        annotate ?? annotateDir.map {
            URL(fileURLWithPath: $0).appendingPathComponent(
                URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent + ".png").path
        }
    }

    /// A file that could not be processed: `{"file", "error"}` on its JSON line, else a note on stderr.
    func report(_ file: String, _ error: Error) {
        if json {
            print(JSONValue.object([("file", .string(file)), ("error", .string("\(error)"))]).text)
        } else {
            note("error: \(file): \(error)")
        }
    }
}
