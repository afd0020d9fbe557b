// ModelLocator: where committed models (Models/*.safetensors) are found when
// the user names none: $FOVEA_MODELS_DIR, Models/ beside or above the executable, ./Models.
import Foundation

public enum ModelLocatorError: Error, CustomStringConvertible {
    case notFound(tried: [String])
    case namedNotFound(fileName: String, tried: [String], hint: String)

    public var description: String {
        switch self {
        case .namedNotFound(let name, let tried, let hint):
            return "no default model \(name) found (looked in: \(tried.joined(separator: ", "))). Pass --model FILE, set FOVEA_MODELS_DIR to the folder holding it, or \(hint)"
        case .notFound(let tried):
            return "no default model \(ModelLocator.defaultFileName) found (looked in: \(tried.joined(separator: ", "))). "
                + "Pass --model FILE, set FOVEA_MODELS_DIR to the folder holding it, or train one: "
                + "Tools/train_default_classifier.sh (or `fovea train classifier --images … --labels … "
                + "--output Models/\(ModelLocator.defaultFileName)`)"
        }
    }
}

public enum ModelLocator {
    public static let defaultFileName = "emnist-default.safetensors"
    public static let environmentVariable = "FOVEA_MODELS_DIR"

    /// The folders searched, in order: $FOVEA_MODELS_DIR; the nearest folder
    /// named Models beside the executable or above it (a package checkout
    /// runs .build/<config>/fovea, an install runs <prefix>/bin/fovea); then
    /// ./Models in the current directory.
    public static func candidateFolders(environment: [String: String], executable: URL,
                                        currentDirectory: URL) -> [URL] {
        var folders = [URL]()
        if let dir = environment[environmentVariable], !dir.isEmpty {
            folders.append(URL(fileURLWithPath: dir))
        }
        var folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        while true {
            let models = folder.appendingPathComponent("Models")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: models.path, isDirectory: &isDirectory), isDirectory.boolValue {
                folders.append(models)
                break
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        folders.append(currentDirectory.appendingPathComponent("Models"))
        return folders
    }

    /// The first existing default model among the candidate folders.
    /// The first readable `fileName` among the candidate folders; `hint`
    /// tells the user how to make one when there is none.
    public static func model(named fileName: String, hint: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             executable: URL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]),
                             currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> URL {
        let files = candidateFolders(environment: environment, executable: executable, currentDirectory: currentDirectory)
            .map { $0.appendingPathComponent(fileName).standardizedFileURL }
        if let found = files.first(where: { FileManager.default.isReadableFile(atPath: $0.path) }) { return found }
        var seen = Set<String>()
        throw ModelLocatorError.namedNotFound(fileName: fileName, tried: files.map(\.path).filter { seen.insert($0).inserted },
                                              hint: hint)
    }

    public static func defaultModel(environment: [String: String] = ProcessInfo.processInfo.environment,
                                    executable: URL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]),
                                    currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        throws -> URL {
        let files = candidateFolders(environment: environment, executable: executable, currentDirectory: currentDirectory)
            .map { $0.appendingPathComponent(defaultFileName).standardizedFileURL }
        if let found = files.first(where: { FileManager.default.isReadableFile(atPath: $0.path) }) { return found }
        var seen = Set<String>()
        throw ModelLocatorError.notFound(tried: files.map(\.path).filter { seen.insert($0).inserted })
    }
}
