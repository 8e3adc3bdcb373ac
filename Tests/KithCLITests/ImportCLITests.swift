import Foundation
import Testing

@Suite("kith import and export at spreadsheet scale")
struct ImportCLITests {
    static let group = "Trans Support"

    /// A vault with a lead (robin) of the group.
    static func vault() throws -> CLIHarness {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user")])
        try cli.run(["group", "create", group], as: "ana")
        try cli.run(["share", group, "--with", "robin", "--role", "lead"], as: "ana")
        // The lead's first write makes the group's keys (one more log entry); done
        // here so that the imports below add exactly one entry a row.
        try cli.run(["record", "add", "--group", group, "--kind", "case", "--field", "need=setup"], as: "robin")
        return cli
    }

    /// A generated CSV of `rows` people; `bad` rows get a stray extra cell.
    static func csv(rows: Int, bad: Set<Int> = []) -> String {
        var text = "name,pronouns,sensitive:status\r\n"
        for index in 0..<rows {
            // Row numbers as a spreadsheet shows them: the header is row 1.
            text += "\"Person \(index), the \(index % 7)th\",they/them,status \(index)\(bad.contains(index + 2) ? ",oops" : "")\r\n"
        }
        return text
    }

    static func logSize(_ cli: CLIHarness) throws -> Int {
        let status = try cli.run(["status", "--json"], as: "robin")
        // The newest checkpoint covers the whole log (status prompts for nothing).
        let checkpoint = try #require((try status.json() as? [String: Any])?["checkpoint"] as? [String: Any])
        return try #require(checkpoint["size"] as? Int)
    }

    static func memberCount(_ cli: CLIHarness) throws -> Int {
        let list = try cli.run(["record", "list", "--group", group, "--kind", "member", "--json"], as: "robin")
        return try #require(try list.json() as? [Any]).count
    }

    @Test("10,000 rows import in one transaction with a progress bar on a terminal; the log grows by exactly 10,000")
    func tenThousandRows() throws {
        let cli = try Self.vault()
        try Data(Self.csv(rows: 10_000).utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        let before = try Self.logSize(cli)

        // Through script(1), so kith's standard error is a terminal, as for a person.
        let result = try cli.runInTerminal(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member"], as: "robin")
        #expect(result.code == 0, "\(result.out)")
        #expect(result.out.contains("importing [") && result.out.contains("10000/10000 (100%)"), "no progress bar")
        #expect(result.out.contains("Imported 10000 member records into Trans Support (rows 2-10001)."))
        #expect(result.out.contains("still on disk in plaintext"))

        #expect(try Self.logSize(cli) == before + 10_000)
        #expect(try Self.memberCount(cli) == 10_000)
        let verify = try cli.run(["audit", "verify", "--json"], as: "ana")
        #expect((try verify.json() as? [String: Any])?["valid"] as? Bool == true)

        // In a pipe there is no bar and no escape code.
        let piped = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member", "--dry-run"], as: "robin")
        #expect(piped.code == 0 && !piped.err.contains("importing [") && !piped.out.contains("\u{1B}["))
        #expect(piped.out.contains("Would import 10000 member records"))
        // A real import in a pipe, with colour allowed: still no bar and no escape code.
        try Data(Self.csv(rows: 3).utf8).write(to: URL(fileURLWithPath: cli.path("few.csv")))
        let quiet = try cli.run(["import", cli.path("few.csv"), "--group", Self.group, "--kind", "member"], as: "robin", environment: ["NO_COLOR": ""])
        #expect(quiet.code == 0 && !quiet.err.contains("importing [") && !(quiet.out + quiet.err).contains("\u{1B}["))
    }

    @Test("one bad row among 10,000 imports nothing and is named; --dry-run lists it with its reason")
    func oneBadRow() throws {
        let cli = try Self.vault()
        try Data(Self.csv(rows: 10_000, bad: [5_001]).utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        let before = try Self.logSize(cli)

        let result = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member"], as: "robin")
        #expect(result.code == 64)
        #expect(result.err.contains("kith: row 5001: it has 4 cells but the header has 3 columns"), "\(result.err)")
        #expect(result.err.contains("nothing was imported"))
        #expect(try Self.logSize(cli) == before)
        #expect(try Self.memberCount(cli) == 0)

        let dry = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member", "--dry-run", "--json"], as: "robin")
        #expect(dry.code == 64)
        let report = try #require(try dry.json() as? [String: Any])
        #expect(report["would_import"] as? Int == 9_999)
        let rejected = try #require(report["rejected"] as? [[String: Any]])
        #expect(rejected.count == 1 && rejected.first?["row"] as? Int == 5_001)
    }

    @Test("a viewer's import and a revoked lead's import are refused and write nothing")
    func refusedImporters() throws {
        let cli = try Self.vault()
        try cli.setUpMore(users: [("vic", "user")])
        try cli.run(["share", Self.group, "--with", "vic", "--role", "viewer"], as: "robin")
        try Data(Self.csv(rows: 3).utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        let before = try Self.logSize(cli)
        let viewer = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member"], as: "vic")
        #expect(viewer.code == 77 && viewer.err.contains("may not write"), "\(viewer.err)")
        // The dry run checks the same rights.
        let dry = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member", "--dry-run"], as: "vic")
        #expect(dry.code == 77)
        try cli.run(["revoke", Self.group, "--from", "vic"], as: "robin")
        let revoked = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member"], as: "vic")
        #expect(revoked.code == 77 && revoked.err.contains("no role"), "\(revoked.err)")
        #expect(try Self.logSize(cli) == before + 2)  // the share and the revoke only
    }

    @Test("an import killed halfway through (after the progress bar passed 50%) leaves nothing, and the log verifies")
    func killedImport() throws {
        let cli = try Self.vault()
        try Data(Self.csv(rows: 10_000).utf8).write(to: URL(fileURLWithPath: cli.path("killed.csv")))
        let before = try Self.logSize(cli)
        // On a terminal, so the progress bar says how far it got.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = cli.terminalArguments(["import", cli.path("killed.csv"), "--group", Self.group, "--kind", "member"], as: "robin")
        process.environment = cli.environment()
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        var percent = 0
        while percent < 50 {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            seen += String(decoding: chunk, as: UTF8.self)
            // The newest "(NN%)" the bar drew.
            if let open = seen.range(of: "(", options: .backwards), let close = seen.range(of: "%)", options: .backwards),
                open.upperBound < close.lowerBound, let value = Int(seen[open.upperBound..<close.lowerBound])
            {
                percent = value
            }
        }
        // SIGKILL to kith itself (and to script): no chance to clean up.
        let killer = Process()
        killer.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        killer.arguments = ["-KILL", "-f", cli.path("killed.csv")]
        try killer.run()
        killer.waitUntilExit()
        process.waitUntilExit()
        #expect(percent >= 50 && percent < 100, "killed at \(percent)%: \(seen)")
        // Halfway: sealed and partly signed, nothing appended.
        #expect(try Self.memberCount(cli) == 0)
        #expect(try Self.logSize(cli) == before)
        let verify = try cli.run(["audit", "verify", "--json"], as: "ana")
        #expect((try verify.json() as? [String: Any])?["valid"] as? Bool == true)
        // The same command run again imports everything.
        let again = try cli.run(["import", cli.path("killed.csv"), "--group", Self.group, "--kind", "member"], as: "robin")
        #expect(again.code == 0)
        #expect(try Self.memberCount(cli) == 10_000)
    }

    @Test("colour and bold only on a terminal, never with NO_COLOR or TERM=dumb; never in a pipe")
    func colourOnlyOnTerminals() throws {
        let cli = try Self.vault()
        let list = ["record", "list", "--group", Self.group]
        let coloured = try cli.runInTerminal(list, as: "robin", environment: ["NO_COLOR": ""])
        #expect(coloured.code == 0 && coloured.out.contains("\u{1B}[1mID"), "no bold header on a terminal: \(coloured.out)")
        let plain = try cli.runInTerminal(list, as: "robin", environment: ["NO_COLOR": "1"])
        #expect(plain.code == 0 && plain.out.contains("ID ") && !plain.out.contains("\u{1B}["))
        let dumb = try cli.runInTerminal(list, as: "robin", environment: ["NO_COLOR": "", "TERM": "dumb"])
        #expect(!dumb.out.contains("\u{1B}["))
        let piped = try cli.run(list, as: "robin", environment: ["NO_COLOR": ""])
        #expect(piped.code == 0 && !piped.out.contains("\u{1B}["))
        // An error on a terminal: 'kith:' in red, the same words.
        let error = try cli.runInTerminal(["record", "show", "nope"], as: "robin", environment: ["NO_COLOR": ""])
        #expect(error.out.contains("\u{1B}[31mkith:\u{1B}[0m 'nope' is not a Kith id"), "\(error.out)")
    }

    @Test("export as CSV, then import that file into another group: the same people, the same compartments")
    func exportImportRoundTrip() throws {
        let cli = try Self.vault()
        try Data(Self.csv(rows: 50).utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member"], as: "robin")
        let export = try cli.run(["export", "--group", Self.group, "--kind", "member", "--format", "csv", "--out", cli.path("export.csv")], as: "robin")
        #expect(export.code == 0 && export.out.contains("Exported 50 records"))
        // A folder that cannot be written is refused before anything is read or logged.
        let size = try Self.logSize(cli)
        let nowhere = try cli.run(["export", "--group", Self.group, "--out", "/nonexistent-kith-folder/x.json"], as: "robin")
        #expect(nowhere.code == 64 && nowhere.err.contains("cannot write in /nonexistent-kith-folder"))
        #expect(try Self.logSize(cli) == size)
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.path("export.csv"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        try cli.run(["group", "create", "Moved"], as: "ana")
        try cli.run(["share", "Moved", "--with", "robin", "--role", "lead"], as: "ana")
        let imported = try cli.run(["import", cli.path("export.csv"), "--group", "Moved", "--kind", "member", "--json"], as: "robin")
        #expect(imported.code == 0, "\(imported.err)")
        let ids = try #require((try imported.json() as? [String: Any])?["records"] as? [[String: Any]])
        let first = try #require(ids.first?["id"] as? String)
        let shown = try #require(try cli.run(["record", "show", first, "--json"], as: "robin").json() as? [String: Any])
        #expect((shown["compartments"] as? [String: String]) == ["name": "profile", "pronouns": "profile", "status": "sensitive"])
        #expect((shown["fields"] as? [String: String])?["name"] == "Person 0, the 0th")

        // JSON export: one document, every record, the reads logged as an export.
        let json = try cli.run(["export", "--group", "Moved", "--kind", "member"], as: "robin")
        let document = try #require(try json.json() as? [String: Any])
        #expect((document["records"] as? [Any])?.count == 50)
        #expect(document["exported_by"] as? String == "robin")
    }
}
