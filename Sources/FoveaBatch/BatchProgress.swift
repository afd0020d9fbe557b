// The progress bar a batch run draws on stderr (files done / total, files/s,
// ETA, errors so far) and the summary it ends with. On a terminal the bar is
// redrawn in place; into a file or pipe a plain line every 10 seconds.
import Foundation

struct ProgressLine {
    let total: Int
    let terminal: Bool
    let enabled: Bool
    private let interval: Double
    private var lastPrinted = LockedDouble()

    init(total: Int, terminal: Bool, enabled: Bool) {
        self.total = total
        self.terminal = terminal
        self.enabled = enabled
        interval = terminal ? 0.2 : 10
    }

    /// The line to print now, or nil when it is not yet time.
    func line(done: Int, errors: Int, seconds: Double) -> String? {
        guard enabled, seconds - lastPrinted.value >= interval else { return nil }
        lastPrinted.value = seconds
        return render(done: done, errors: errors, seconds: seconds) + (terminal ? "" : "\n")
    }

    func final(done: Int, errors: Int, seconds: Double) -> String? {
        guard enabled else { return nil }
        return (terminal ? render(done: done, errors: errors, seconds: seconds) : "") + (terminal ? "\n" : "")
    }

    func render(done: Int, errors: Int, seconds: Double) -> String {
        let width = 24
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? formatDuration(Double(total - done) / rate) : "--:--"
        let text = String(format: "[%@] %d/%d files  %.1f files/s  ETA %@  errors %d", bar, done, total, rate, eta, errors)
        return terminal ? "\r" + text + "\u{1B}[K" : text
    }
}

/// The progress line's clock, read and set from the main thread only.
private final class LockedDouble: @unchecked Sendable {
    var value = 0.0
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

extension BatchSummary {
    /// The lines the run ends with: counts, failures by reason, throughput.
    public func report(output: String) -> [String] {
        var lines = [String(format: "%d files: %d ok, %d failed, %d already in %@ (%d of them errors)", selected, ok, failed,
                            skipped, output, earlierErrors)]
        if !failuresByReason.isEmpty {
            lines.append("failures by reason: " + failuresByReason.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        lines.append(String(format: "%d files in %.2f s: %.1f files/s", processed, seconds, filesPerSecond))
        if earlierErrors > 0 { lines.append("earlier error rows kept; --retry-errors runs those files again") }
        return lines
    }
}
