import Foundation
import Testing

/// Content a hostile writer puts in the vault never acts on a reader's
/// terminal: escape sequences (title, clipboard, erase, cursor), carriage
/// returns, C1 controls and bidi overrides are shown as <U+XXXX>.
@Suite("Hostile content on screen")
struct HostileContentCLITests {
    /// ESC ] 0 ; title BEL (set the title), OSC 52 (write the clipboard), erase line, CR, C1 CSI, a bidi override.
    static let hostile = "Sam\u{1B}]0;pwned\u{07}\u{1B}]52;c;ZWNobyBoaQ==\u{07}\u{1B}[2K\r\u{9B}31mwritten by admin\u{202E}evil"

    /// Bytes a terminal would act on.
    static func acting(_ text: String) -> [String] {
        text.unicodeScalars.filter { scalar in
            (scalar.value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value)
        }.map { String(format: "U+%04X", $0.value) }
    }

    @Test("record show, note list, record list, group list, audit log and errors print hostile content neutralised")
    func neutralised() throws {
        let cli = try CLIHarness.auditedVault()
        let member = try cli.id(
            cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=\(Self.hostile)", "--json"], as: "robin"))
        let caseID = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=x", "--json"], as: "robin"))
        #expect(try cli.run(["note", "add", caseID, "--text", "first line\n[now] admin (fake):\n  \(Self.hostile)"], as: "robin").code == 0)
        #expect(try cli.run(["group", "create", "Look\u{202E}alike"], as: "ana").code == 0)

        for (arguments, user) in [
            (["record", "show", member], "robin"), (["note", "list", caseID], "robin"), (["record", "list", "--group", "Trans Support"], "robin"),
            (["group", "list"], "ana"), (["audit", "log"], "kai"), (["export", "--group", "Trans Support", "--format", "csv"], "robin"),
        ] {
            let result = try cli.run(arguments, as: user)
            #expect(result.code == 0, "\(arguments): \(result.err)")
            if arguments[0] == "export" { continue }  // a file's bytes, not a screen: checked below
            #expect(Self.acting(result.out).isEmpty, "\(arguments.prefix(2)): \(Self.acting(result.out))")
            #expect(Self.acting(result.err).isEmpty, "\(arguments.prefix(2)) stderr")
        }
        let shown = try cli.run(["record", "show", member], as: "robin").out
        #expect(shown.contains("<U+001B>]0;pwned<U+0007>"))
        #expect(shown.contains("<U+000D><U+009B>31mwritten by admin<U+202E>evil"))
        // A note's own lines stay lines, indented, so none passes for a note header.
        let notes = try cli.run(["note", "list", caseID], as: "robin").out
        #expect(notes.contains("\n  [now] admin (fake):\n"))
        #expect(try cli.run(["group", "list"], as: "ana").out.contains("Look<U+202E>alike"))
        // JSON keeps the value exact, escaped as JSON escapes it.
        let json = try cli.run(["record", "show", member, "--json"], as: "robin")
        #expect(Self.acting(json.out).isEmpty)
        #expect((try json.json() as? [String: Any]).flatMap { $0["fields"] as? [String: String] }?["name"] == Self.hostile)
        // An error naming vault content neutralises it too.
        let refused = try cli.run(["share", "Look\u{202E}alike", "--with", "robin", "--role", "caseworker"], as: "robin")
        #expect(refused.code != 0)
        #expect(Self.acting(refused.err).isEmpty, "\(refused.err)")
    }
}

/// A CSV export says when a cell could run as a formula in a spreadsheet
/// and the protection is off.
@Suite("Formulas in CSV exports")
struct FormulaCLITests {
    @Test("a formula-like cell in a CSV export is flagged without --safe-for-spreadsheets and guarded with it")
    func formulaWarning() throws {
        let cli = try CLIHarness.auditedVault()
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name==HYPERLINK(\"http://x\")"], as: "robin").code == 0)
        let open = try cli.run(["export", "--group", "Trans Support", "--format", "csv", "--out", cli.path("open.csv")], as: "robin")
        #expect(open.code == 0, "\(open.err)")
        #expect(open.err.contains("formula protection is off: 1 cell starts with"))
        let guarded = try cli.run(["export", "--group", "Trans Support", "--format", "csv", "--safe-for-spreadsheets", "--out", cli.path("safe.csv")], as: "robin")
        #expect(guarded.code == 0)
        #expect(!guarded.err.contains("formula"))
        #expect(try String(contentsOfFile: cli.path("safe.csv"), encoding: .utf8).contains("'=HYPERLINK"))
    }
}

/// Content that never goes through the command line: `--field NAME=-` and a
/// note read from standard input; a sensitive value or a note given in argv
/// gets a warning naming the way that keeps it out of the process list.
@Suite("Sensitive values off the command line")
struct OffTheCommandLineCLITests {
    @Test("NAME=- takes the value from standard input, a note with no --text too, and argv values are warned about")
    func standardInput() throws {
        let cli = try CLIHarness.auditedVault()
        let added = try cli.run(
            ["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Jo", "--field", "sensitive:status=-", "--field", "phone=-", "--json"],
            as: "robin", stdin: "positive\n+44 7700 900123\n")
        #expect(added.code == 0, "\(added.err)")
        #expect(!added.err.contains("warning"), "\(added.err)")
        let shown = try #require(try cli.run(["record", "show", try cli.id(added), "--json"], as: "robin").json() as? [String: Any])
        #expect((shown["fields"] as? [String: String]) == ["name": "Jo", "status": "positive", "phone": "+44 7700 900123"])
        // Not enough lines for every NAME=-: refused, nothing written.
        let short = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "a=-", "--field", "b=-"], as: "robin", stdin: "one")
        #expect(short.code == 64 && short.err.contains("no line left for the value of b"), "\(short.err)")

        let onArgv = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "sensitive:status=x"], as: "robin")
        #expect(onArgv.code == 0)
        #expect(onArgv.err.contains("warning") && onArgv.err.contains("--field 'sensitive:status=-'"), "\(onArgv.err)")

        let caseID = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=x", "--json"], as: "robin"))
        let piped = try cli.run(["note", "add", caseID], as: "robin", stdin: "Called back.\nBed from Monday.\n")
        #expect(piped.code == 0, "\(piped.err)")
        #expect(!piped.err.contains("warning"))
        let notes = try #require(try cli.run(["note", "list", caseID, "--json"], as: "robin").json() as? [[String: Any]])
        #expect(notes.first?["text"] as? String == "Called back.\nBed from Monday.")
        let argvNote = try cli.run(["note", "add", caseID, "--text", "typed in argv"], as: "robin")
        #expect(argvNote.code == 0 && argvNote.err.contains("warning"))
    }

    @Test("note add on a terminal with $EDITOR opens it on a private file that is gone afterwards")
    func editor() throws {
        let cli = try CLIHarness.auditedVault()
        let caseID = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=x", "--json"], as: "robin"))
        // A stand-in editor: records the file it was given and its mode, then writes the note above the guide.
        let seen = cli.path("editor-saw")
        let script = cli.path("fake-editor.sh")
        try Data(
            """
            #!/bin/sh
            echo "$1" > '\(seen)'
            stat -c %a "$(dirname "$1")" >> '\(seen)'
            awk '{ print ($5 == $8) ? "foreground" : "background" }' /proc/$$/stat >> '\(seen)'
            touch "$1~"
            { printf 'Met at the clinic.\\nBed from Monday.\\n'; cat "$1"; } > "$1.new" && mv "$1.new" "$1"
            """.utf8
        ).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        let added = try cli.runInTerminal(["note", "add", caseID], as: "robin", environment: ["EDITOR": script, "VISUAL": ""])
        #expect(added.code == 0, "\(added.out) \(added.err)")
        let lines = try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n").map(String.init)
        let file = try #require(lines.first)
        #expect(lines.dropFirst().first == "700")
        // A terminal editor must own the terminal (one in a background process group is stopped as it reads).
        #expect(lines.dropFirst(2).first == "foreground")
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(!FileManager.default.fileExists(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path))
        let notes = try #require(try cli.run(["note", "list", caseID, "--json"], as: "robin").json() as? [[String: Any]])
        #expect(notes.last?["text"] as? String == "Met at the clinic.\nBed from Monday.")
        // An editor that fails adds nothing.
        let failing = try cli.runInTerminal(["note", "add", caseID], as: "robin", environment: ["EDITOR": "false", "VISUAL": ""])
        #expect(failing.code == 64)
        #expect(try (cli.run(["note", "list", caseID, "--json"], as: "robin").json() as? [[String: Any]])?.count == notes.count)
    }
}
