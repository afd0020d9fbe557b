// `fovea batch`: folders of images through the OCR or smile pipeline into a
// JSON Lines results file, in parallel, resumable after a kill, shardable
// over machines (`fovea batch run`, the default), and `fovea batch merge` to
// combine the shards' files. The work itself is FoveaBatch's; this parses.
import ArgumentParser
import FoveaBatch
import FoveaImage
import FoveaOCR
import Foundation

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run a pipeline over folders of images into a resumable JSON Lines file; merge shards.",
        subcommands: [BatchRunCommand.self, BatchMergeCommand.self],
        defaultSubcommand: BatchRunCommand.self
    )
}

struct BatchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline over every image in folders (recursively) into a results file (the default of `fovea batch`).",
        discussion: """
        Images are found by their first bytes (PNG, JPEG), and files named .png/.jpg/.jpeg are inputs whatever they \
        hold, so a broken one gets an error row. One JSON line per file: the object `fovea detect --json` or \
        `fovea smile --json` prints, with "file" (the folder as given joined with the path below it), "status" \
        ("ok" or "error"), "error" (on failures) and "elapsed_ms" (read, decode and pipeline for that file). \
        Re-running with the same --output skips the files already recorded (error rows too, unless \
        --retry-errors); a run killed at any moment loses at most the rows being written, which run again. \
        Exit status: 0 when every file succeeded, 1 when any failed, 2 for a usage error or a run that could \
        not start. A folder literally named "merge" is given as `fovea batch run merge`.
        """
    )

    @Argument(help: "Folders to read recursively (or single image files).")
    var folders: [String]

    @Option(help: "The pipeline: characters (read text lines, as `fovea detect`) or smile (as `fovea smile`).")
    var task: String

    @Option(help: "Results file (JSON Lines), appended to and resumed from.")
    var output: String

    @Option(help: "Worker threads, each with its own pipeline (default: all cores).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Only the files of shard INDEX of COUNT (0-based), by a stable hash of the path below the folder.")
    var shard: String?

    @Option(help: "Only files matching this glob (a name like '*.png', or a path below the folder with '/'); repeatable.")
    var include: [String] = []

    @Option(help: "Leave out files and folders matching this glob; repeatable.")
    var exclude: [String] = []

    @Option(help: "Write an annotated PNG per file into this folder, mirroring the input tree.")
    var annotateDir: String?

    @Flag(help: "Treat each whole image as one face crop (smile).")
    var faceCrop = false

    @Flag(help: "Run again the files whose recorded row is an error (their old rows are removed).")
    var retryErrors = false

    @Option(help: "Images with more pixels than this are error rows, refused before decoding.")
    var maxPixels = 100_000_000

    @Option(help: "Detector score below which a peak is not a character (characters; 0-1).")
    var minScore = 0.3

    @Option(help: "Face detector score below which a face is not reported (smile; 0-1).")
    var minFaceScore = 0.5

    @Option(help: "Model: the character detector (characters) or the face-crop model (smile).")
    var model: String?

    @Option(help: "Character classifier model (characters).")
    var classifier: String?

    @Option(help: "Where labels come from (characters): classifier, or detector-head (a detector trained with --class-head, given with --model).")
    var labels = LabelSource.classifier.rawValue

    @Option(help: "Threads of the engine's loops in each worker (default: all cores with --jobs 1, else 1).")
    var threads: Int?

    @Option(help: "Files a worker runs through its pipeline at once (one batched classification or face analysis); 1: one by one.")
    var batchSize = 32

    @Flag(help: "No progress bar on stderr (the summary is still printed).")
    var quiet = false

    func validate() throws {
        if task != "characters" && task != "smile" { throw ValidationError("--task must be characters or smile, got '\(task)'") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") } }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1, got \(maxPixels)") }
        if !(0...1).contains(minScore) { throw ValidationError("--min-score must be in 0...1, got \(minScore)") }
        if !(0...1).contains(minFaceScore) { throw ValidationError("--min-face-score must be in 0...1, got \(minFaceScore)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if faceCrop && task != "smile" { throw ValidationError("--face-crop is for --task smile") }
        if LabelSource(rawValue: labels) == nil {
            throw ValidationError("--labels must be classifier or detector-head, got '\(labels)'")
        }
        if labels != LabelSource.classifier.rawValue && task != "characters" { throw ValidationError("--labels is for --task characters") }
        for folder in folders where !FileManager.default.fileExists(atPath: folder) {
            throw ValidationError("\(folder): no such file or folder")
        }
    }

    func run() throws {
        let batchTask: BatchTask
        if task == "characters" {
            var options = LineReaderOptions()
            options.minScore = minScore
            options.labels = LabelSource(rawValue: labels)!
            batchTask = .characters(options, detector: model, classifier: classifier)
        } else {
            batchTask = .smile(model: model, minFaceScore: minFaceScore, faceCrop: faceCrop)
        }
        var config = BatchConfiguration(folders: folders, task: batchTask, output: output)
        config.jobs = jobs
        config.batchSize = batchSize
        config.shard = try shard.map { try Shard(parsing: $0) }
        config.selection = InputSelection(include: include, exclude: exclude)
        config.annotateDir = annotateDir
        config.retryErrors = retryErrors
        config.decode = DecodeOptions(maxPixels: maxPixels)
        config.engineThreads = threads
        config.progress = !quiet
        let summary = try BatchRunner.run(config) { text in FileHandle.standardError.write(Data(text.utf8)) }
        for line in summary.report(output: output) { note(line) }
        if summary.anyFailed { throw ExitCode.failure }
    }
}

struct BatchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the results files of shards into one, each file once; report missing and duplicated files.",
        discussion: """
        Exit status 1 when a file is recorded more than once, or with --expect when a file of the folders is in \
        no shard (or a shard holds a file not in them); error rows alone do not fail the merge. Give --expect \
        the folders exactly as the shards' runs were given them, with the same --include/--exclude.
        """
    )

    @Argument(help: "Results files of the shards (JSON Lines from `fovea batch`).")
    var inputs: [String]

    @Option(help: "The merged results file.")
    var output: String

    @Option(help: "The input folder the shards ran over; checks that every file is there exactly once. Repeatable.")
    var expect: [String] = []

    @Option(help: "As the runs' --include; repeatable.")
    var include: [String] = []

    @Option(help: "As the runs' --exclude; repeatable.")
    var exclude: [String] = []

    func validate() throws {
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw ValidationError("\(input): no such results file")
        }
    }

    func run() throws {
        let report = try BatchMerge.merge(inputs, output: output, expect: expect.isEmpty ? nil : expect,
                                          selection: InputSelection(include: include, exclude: exclude))
        for line in report.report(output: output) { note(line) }
        if !report.clean { throw ExitCode.failure }
    }
}
