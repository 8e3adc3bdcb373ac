import KithVault
import Foundation

/// What the terminal allows: colour only when the stream is a terminal,
/// `NO_COLOR` is unset or empty (no-color.org), and `TERM` is not `dumb`.
enum Terminal {
    /// Standard output is a terminal (a person is reading, not a pipe).
    static let outputIsTerminal = isatty(STDOUT_FILENO) == 1
    /// Standard error is a terminal.
    static let errorIsTerminal = isatty(STDERR_FILENO) == 1
    /// Standard input is a terminal (a person could answer a question).
    static let inputIsTerminal = isatty(STDIN_FILENO) == 1

    private static let colourAllowed: Bool = {
        let environment = ProcessInfo.processInfo.environment
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }()

    /// Asks `question` on standard error and reads the answer: true only
    /// for "y" or "yes" (any case); anything else, or no answer, is no.
    static func confirm(_ question: String) -> Bool {
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        return readLine().map { ["y", "yes"].contains($0.trimmingCharacters(in: .whitespaces).lowercased()) } ?? false
    }

    static let colourOnOutput = colourAllowed && outputIsTerminal
    static let colourOnError = colourAllowed && errorIsTerminal

    enum Style: String {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case yellow = "33"
        case green = "32"
    }

    /// `text` in `style` when colour is on for that stream; unchanged otherwise.
    static func styled(_ text: String, _ style: Style, onError: Bool = false) -> String {
        guard onError ? colourOnError : colourOnOutput else { return text }
        return "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }
}

/// Times as a person reads them: "5 min ago" beside the exact time.
enum RelativeTime {
    /// How long ago `millis` (ms since 1970) was, from `now`.
    static func ago(_ millis: UInt64, now: Date = Date()) -> String {
        let seconds = now.timeIntervalSince1970 - Double(millis) / 1000
        if seconds < -60 { return "in the future (check this machine's clock)" }
        switch seconds {
        case ..<60: return "just now"
        case ..<3600: return "\(Int(seconds / 60)) min ago"
        case ..<86_400: return "\(Int(seconds / 3600)) h ago"
        case ..<(2 * 86_400): return "yesterday"
        case ..<(60 * 86_400): return "\(Int(seconds / 86_400)) days ago"
        case ..<(730 * 86_400): return "\(Int(seconds / (30 * 86_400))) months ago"
        default: return "\(Int(seconds / (365 * 86_400))) years ago"
        }
    }

    // Made once: a table formats one time per row.
    private static let localStyle = Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: .current)

    /// The short local form for tables: "2026-11-21 14:03 (5 min ago)".
    static func both(_ millis: UInt64) -> String {
        // "2026-11-21 14:03:08+01:00", cut to the minute.
        let exact = Date(timeIntervalSince1970: Double(millis) / 1000).formatted(localStyle).prefix(16)
        return "\(exact) (\(ago(millis)))"
    }
}

extension Terminal {
    /// `text` from the vault (or from a file someone else wrote) made safe
    /// to print for a person: every control character (C0 and C1, DEL,
    /// hence every escape sequence that could set the title, write the
    /// clipboard, move the cursor or erase a line), every bidi override,
    /// embedding and isolate, and the line and paragraph separators, shown
    /// visibly as <U+XXXX> instead of acting. With `keepNewlines`, line
    /// feeds stay (a note's lines); callers indent what follows them so a
    /// line of content cannot pass for a line of Kith's own.
    static func safe(_ text: String, keepNewlines: Bool = false) -> String {
        // One rule with the web interface: the library's.
        VisibleText.safe(text, keepNewlines: keepNewlines)
    }

    /// Whether `scalar` acts on a terminal or reorders text instead of being shown.
    static func isNeutralised(_ scalar: Unicode.Scalar) -> Bool { VisibleText.isNeutralised(scalar) }
}
