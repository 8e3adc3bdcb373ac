import Foundation

/// A one-line progress bar on standard error, drawn only when standard
/// error is a terminal (never in pipes, logs or tests), and at most a few
/// times a second so drawing never slows the work.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastDraw: TimeInterval = 0
    private var drawn = false

    init(_ label: String) {
        self.label = label
        self.enabled = Terminal.errorIsTerminal
    }

    func update(done: Int, total: Int) {
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        guard done >= total || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = total > 0 ? min(width, done * width / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = total > 0 ? done * 100 / total : 100
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) (\(percent)%)".utf8))
        drawn = true
    }

    /// Ends the line so later output starts clean.
    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
