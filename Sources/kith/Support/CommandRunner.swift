import ArgumentParser
import Foundation
import KithCrypto
import KithLog
import KithVault

/// A kith command: its work goes in `execute()`; `run()` turns every error
/// into one line saying what is wrong and what to do, on standard error,
/// with the documented exit code. No stack trace ever reaches the user.
protocol KithCommand: ParsableCommand {
    func execute() throws
}

extension KithCommand {
    func run() throws {
        // Plaintext a killed `attach get` or export left on this device goes
        // at the next kith command of any kind, not only the next that opens
        // a vault as the same user (found by the crash matrix).
        PartialFiles(stateDirectory: GlobalOptions.checkpointMemory().directory).cleanUp()
        do {
            try execute()
        } catch let error as KithVaultError {
            try fail(error, error.message, code: error.exitCode)
        } catch let error as KithCryptoError {
            try fail(error, error.description, code: error == .authenticationFailed || error == .invalidSignature ? 65 : 1)
        } catch let error as KithLogError {
            // A bad proof, checkpoint or signature is a data error; a wrong index a usage error.
            if case .outOfRange = error { try fail(error, error.description, code: 64) }
            try fail(error, error.description, code: 65)
        } catch let error as ExitCode {
            throw error
        } catch {
            try fail(error, "\(error)", code: 1)
        }
    }

    /// Line one says what is wrong (and usually what to do); line two,
    /// for a usage error or an unexpected failure, where to look next.
    private func fail(_ error: Error, _ message: String, code: Int32) throws -> Never {
        let name = Terminal.styled("kith:", .red, onError: true)
        // Messages can carry names from the vault (a group's, a handle): neutralised like all content.
        var lines = ["\(name) \(Terminal.safe(message))"]
        switch code {
        case 64: lines.append("      Run '\(Self.commandPath) --help' for its options and examples.")
        case 1: lines.append("      If this keeps happening, run the command again with --verbose and report what it prints.")
        default: break
        }
        if Diagnostics.verbose { lines += Diagnostics.report(error, command: Self.commandPath, code: code) }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        throw ExitCode(code)
    }

    /// "kith record add": the command's full name.
    static var commandPath: String {
        (Diagnostics.path(to: Self.self) ?? ["kith", Self._commandName]).joined(separator: " ")
    }
}

/// Printing helpers.
enum Output {
    /// A library result as its documented JSON (the same `Encodable` shape a web interface prints).
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        print(jsonSafe(String(decoding: try encoder.encode(value), as: UTF8.self)))
    }

    /// JSON with every scalar a terminal could act on written as a \uXXXX
    /// escape: JSON escapes C0 controls itself, but leaves C1 controls and
    /// bidi overrides raw. They only occur inside strings, and a parser
    /// reads the escape back as the same character.
    static func jsonSafe(_ json: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if Terminal.isNeutralised(scalar) && scalar.value >= 0x7F {
                out.append(contentsOf: String(format: "\\u%04x", scalar.value).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// A hand-built object, for the commands whose output has no library type yet.
    static func json(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        print(jsonSafe(String(decoding: data, as: UTF8.self)))
    }

    /// "1 row", "2 rows".
    static func count(_ number: Int, _ noun: String, plural: String? = nil) -> String {
        "\(number) \(number == 1 ? noun : plural ?? noun + "s")"
    }

    static func time(_ millis: UInt64) -> String {
        Timestamp.iso8601(millis: millis)
    }

    /// Columns padded to line up.
    static func table(_ header: [String], _ rows: [[String]]) {
        // Every cell may come from the vault: neutralised before it is measured and padded.
        let all = [header] + rows.map { $0.map { Terminal.safe($0) } }
        // Measured in terminal columns by grapheme (an Arabic name, an emoji, a CJK name all line up).
        let widths = header.indices.map { column in all.map { DisplayWidth.of($0[column]) }.max() ?? 0 }
        for (number, row) in all.enumerated() {
            let cells = row.enumerated().map { index, cell in
                // Right-to-left text is isolated so it never reorders the columns around it.
                let shown = Terminal.isolated(cell)
                return index == row.count - 1 ? shown : shown + String(repeating: " ", count: max(0, widths[index] - DisplayWidth.of(cell)))
            }
            // Styled after padding: escape codes have no width on screen.
            var line = cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            print(number == 0 ? Terminal.styled(line, .bold) : line)
        }
    }

    /// A warning on standard error, in yellow on a colour terminal.
    static func warning(_ message: String) {
        error(Terminal.styled("kith: warning:", .yellow, onError: true) + " " + message)
    }

    /// A line for a person on standard output, with anything from the vault in it neutralised.
    static func say(_ text: String) {
        print(Terminal.safe(text))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}
