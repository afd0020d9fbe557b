// The `fovea` command: one subcommand per job, each in its own file.
import ArgumentParser

@main
struct Fovea: ParsableCommand {
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
            EvaluateFaceDetectorCommand.self,
        ]
    )
}
