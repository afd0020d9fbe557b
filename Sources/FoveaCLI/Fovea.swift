// The `fovea` command: one subcommand per job, each in its own file.
import ArgumentParser
import FoveaBatch
import Foundation

@main
struct Fovea: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fovea",
        abstract: "Fovea: computer vision in Swift — images, a CNN engine, detection metrics and OCR.",
        subcommands: [
            InfoCommand.self,
            ConvertCommand.self,
            FilterCommand.self,
            EvaluateCommand.self,
            BenchNMSCommand.self,
            SummaryCommand.self,
            BenchCommand.self,
            TrainCommand.self,
            ClassifyCommand.self,
            FeaturesCommand.self,
            SynthLinesCommand.self,
            DetectCommand.self,
            BenchLinesCommand.self,
            SmileCommand.self,
            EvaluateFacesCommand.self,
            BenchSmileCommand.self,
            ServeCommand.self,
            ExportCommand.self,
            QuantizeCommand.self,
            ExportReferenceCommand.self,
            BatchCommand.self,
            EvaluateFaceDetectorCommand.self,
        ]
    )

    /// As ArgumentParser's own main, except that `fovea batch` exits with 2 on a
    /// usage error (ArgumentParser's 64) or a run that could not start, and 1
    /// only when files failed, as batch schedulers and scripts expect.
    static func main() async {
        let isBatch = CommandLine.arguments.dropFirst().first == "batch"
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if isBatch && (exitCode(for: error) == .validationFailure || error is BatchError) {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
