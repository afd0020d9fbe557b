// BatchError: what stops a batch run or a merge before or while it writes
// results, and FailureReason: the short reason a single file's row is an
// error (for the summary's "failures by reason").
import FoveaFace
import FoveaImage
import FoveaOCR
import Foundation

public enum BatchError: Error, CustomStringConvertible, Sendable {
    case badShard(String)
    case noSuchFolder(String)
    case resultsLocked(String)
    case resultsUnreadable(file: String, reason: String)
    case malformedResults(file: String, line: Int, detail: String)
    case writeFailed(file: String, reason: String)
    case cannotLoadPipeline(task: String, reason: String)

    public var description: String {
        switch self {
        case .badShard(let text):
            return "--shard must be INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/4), got '\(text)'"
        case .noSuchFolder(let path):
            return "\(path): no such file or folder; give folders (searched recursively) or image files"
        case .resultsLocked(let path):
            return "\(path): another `fovea batch` is writing these results; wait for it or give another --output"
        case let .resultsUnreadable(file, reason):
            return "\(file): cannot read the results file (\(reason))"
        case let .malformedResults(file, line, detail):
            return "\(file): line \(line) is not a result row (\(detail)); only the last line may be torn by a crash "
                + "(it is repaired on restart). Remove or fix that line, or give another --output"
        case let .writeFailed(file, reason):
            return "\(file): cannot write results (\(reason)); the rows written so far are kept and a re-run resumes after them"
        case let .cannotLoadPipeline(task, reason):
            return "cannot load the \(task) pipeline: \(reason)"
        }
    }
}

/// The short reason of a failed file, for counting failures by kind.
public enum FailureReason {
    public static func of(_ error: Error) -> String {
        switch error {
        case let e as ImageError:
            switch e {
            case .unreadable(_, let reason):
                if reason.contains("directory") { return "a directory" }
                if reason.contains("no such") { return "missing (dangling link?)" }
                return "unreadable"
            case .emptyFile: return "empty file"
            case .unknownFormat: return "not an image"
            case .truncated: return "truncated"
            case .corrupt: return "corrupt"
            case .zeroSize: return "zero-size image"
            case .unsupported: return "unsupported variant"
            case .tooLarge: return "above the pixel limit"
            case .outOfMemory: return "out of memory"
            case .unknownExtension, .cannotEncode, .unwritable: return "annotation not written"
            }
        case let e as SmileError:
            switch e {
            case .tooSmall: return "too small"
            case .noFaceDetector: return "no face detector"
            }
        case is LineReaderError: return "no detector"
        default: return String(describing: type(of: error))
        }
    }
}
