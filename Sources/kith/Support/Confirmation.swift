import ArgumentParser
import KithVault

/// The question asked before a step that cannot be undone, and a group's
/// name as a person types it in a command.
extension Terminal {
    /// On a terminal, asks `question`; a "no" prints `declined` and exits 1
    /// with nothing written. Without a terminal nobody can answer, so it
    /// refuses with `notOnTerminal` (which names --yes).
    static func confirmOrStop(_ question: String, notOnTerminal: String, declined: String) throws {
        guard inputIsTerminal else { throw KithVaultError.invalidInput(notOnTerminal) }
        guard confirm(question) else {
            Output.error(declined)
            throw ExitCode(1)
        }
    }

    /// `name` as typed on a command line: neutralised, and quoted (with its
    /// own quotes escaped) when it has a space or a quote.
    static func commandLineName(_ name: String) -> String {
        let shown = safe(name)
        return shown.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" }) ? "\"\(shown.replacingOccurrences(of: "\"", with: "\\\""))\"" : shown
    }
}
