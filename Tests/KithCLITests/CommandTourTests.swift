import Foundation
import Testing

/// Every command a user can run, from `kith --experimental-dump-help`:
/// "record add", "audit verify-proof", ... (hidden ones and `help` left out).
private func leafCommands(_ cli: CLIHarness) throws -> [(path: String, discussion: String)] {
    let dump = try cli.run(["--experimental-dump-help"])
    let root = try #require(try dump.json() as? [String: Any])
    var found: [(String, String)] = []
    func walk(_ command: [String: Any], _ prefix: [String]) {
        guard let name = command["commandName"] as? String, command["shouldDisplay"] as? Bool != false, name != "help" else { return }
        let path = prefix + [name]
        let subcommands = command["subcommands"] as? [[String: Any]] ?? []
        if subcommands.isEmpty {
            found.append((path.dropFirst().joined(separator: " "), command["discussion"] as? String ?? ""))
        }
        for sub in subcommands { walk(sub, path) }
    }
    walk(try #require(root["command"] as? [String: Any]), [])
    return found
}

/// Runs commands as a tour and remembers which commands succeeded and
/// which failed with their documented code, to check nothing was missed.
private final class Tour {
    let cli: CLIHarness
    let commands: [String]
    private(set) var succeeded: Set<String> = []
    private(set) var failed: Set<String> = []

    init(_ cli: CLIHarness, commands: [String]) {
        self.cli = cli
        self.commands = commands
    }

    /// The longest known command the arguments start with.
    private func command(of arguments: [String]) -> String? {
        let words = arguments.prefix { !$0.hasPrefix("-") }
        return (1...max(1, min(3, words.count))).reversed().lazy.map { words.prefix($0).joined(separator: " ") }.first { self.commands.contains($0) }
    }

    /// Runs one step and checks its exit code, its JSON keys (every key in
    /// `keys` must be there; for an array, in each element), and text it
    /// must print. Returns the result for further checks.
    @discardableResult
    func step(
        _ arguments: [String], as user: String? = nil, code: Int32 = 0, keys: Set<String> = [], says: String? = nil, stdin: String? = nil,
        environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIHarness.Result {
        let result = try cli.run(arguments, as: user, stdin: stdin, environment: environment)
        let label = arguments.joined(separator: " ")
        #expect(result.code == code, "\(label): exit \(result.code), expected \(code)\n\(result.err)", sourceLocation: sourceLocation)
        // Never a Swift stack trace or crash report, whatever happened.
        #expect(!result.err.contains("Fatal error") && !result.err.contains("Stack dump") && !result.err.contains("0x0000"), "\(label): \(result.err)", sourceLocation: sourceLocation)
        if code != 0 {
            // An error is one 'kith:' line (a second says where to look), or ArgumentParser's usage block.
            #expect(result.err.hasPrefix("kith: ") || result.err.hasPrefix("Error: "), "\(label): \(result.err)", sourceLocation: sourceLocation)
        }
        if !keys.isEmpty {
            let parsed = try? result.json()
            let objects = (parsed as? [[String: Any]]) ?? (parsed as? [String: Any]).map { [$0] } ?? []
            #expect(!objects.isEmpty, "\(label): no JSON in \(result.out)", sourceLocation: sourceLocation)
            for object in objects {
                #expect(keys.isSubset(of: Set(object.keys)), "\(label): JSON keys \(object.keys.sorted()), expected \(keys.sorted())", sourceLocation: sourceLocation)
            }
        }
        if let says {
            #expect((result.out + result.err).contains(says), "\(label): expected '\(says)' in\n\(result.out)\(result.err)", sourceLocation: sourceLocation)
        }
        if let command = command(of: arguments) {
            if code == 0 { succeeded.insert(command) } else { failed.insert(command) }
        }
        return result
    }

    /// A command that runs until something stops it (`kith serve`): started
    /// in the background, and back once its first output has come.
    func start(_ arguments: [String], as user: String) throws -> (process: Process, out: Pipe, arguments: [String]) {
        let process = Process()
        process.executableURL = cli.binary
        process.arguments = arguments + ["--identity", cli.path("\(user).kithid"), "--passphrase-file", cli.path("\(user).pass")]
        process.environment = cli.environment()
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        _ = out.fileHandleForReading.availableData
        return (process, out, arguments)
    }

    /// Waits (up to 20 s) for a started command to end by itself, and checks it succeeded.
    func finish(_ started: (process: Process, out: Pipe, arguments: [String]), says: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = Date().addingTimeInterval(20)
        while started.process.isRunning && Date() < deadline { usleep(50_000) }
        if started.process.isRunning { started.process.terminate() }
        let output = String(decoding: started.out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let label = started.arguments.joined(separator: " ")
        #expect(started.process.terminationStatus == 0 && output.contains(says), "\(label): \(output)", sourceLocation: sourceLocation)
        if started.process.terminationStatus == 0, let command = command(of: started.arguments) { succeeded.insert(command) }
    }
}

@Suite("Every kith command, as a new user meets it")
struct CommandTourTests {
    @Test("every command's --help has an example and no escape code in a pipe; completions for bash, zsh and fish")
    func helpTeaches() throws {
        let cli = try CLIHarness()
        let commands = try leafCommands(cli)
        #expect(commands.count >= 36)
        for (path, discussion) in commands {
            #expect(discussion.contains("Example"), "'kith \(path) --help' has no example")
            // argument-parser wraps prose to the terminal; a hard break inside a sentence comes out as a ragged line.
            for paragraph in discussion.components(separatedBy: "\n\n") {
                let lines = paragraph.components(separatedBy: "\n")
                for (line, next) in zip(lines, lines.dropFirst()) where !line.hasSuffix(":") {
                    let laidOut = next.first?.isWhitespace == true || next.hasPrefix("- ") || next.hasPrefix("* ")
                    #expect(laidOut, "'kith \(path) --help' breaks a line inside a paragraph, before: \(next.prefix(40))")
                }
            }
        }
        // Colour never reaches a pipe, and never with NO_COLOR.
        let help = try cli.run(["record", "add", "--help"])
        #expect(help.code == 0 && !help.out.contains("\u{1B}["))
        for shell in ["bash", "zsh", "fish"] {
            let script = try cli.run(["completions", shell])
            #expect(script.code == 0 && script.out.contains("import") && script.out.contains("export"), "\(shell) completions")
        }
    }

    @Test("the tour: every command succeeds once and fails once with its documented exit code and JSON")
    func tour() throws {
        let cli = try CLIHarness()
        let tour = Tour(cli, commands: try leafCommands(cli).map(\.path))

        // Founding and enrolling.
        try tour.step(["init", "--handle", "ana", "--kdf", "interactive", "--json"], as: "ana", keys: ["fingerprint", "vault", "identity", "user"])
        try tour.step(["init", "--handle", "ana", "--kdf", "interactive"], as: "ana", code: 64, says: "exists")
        for (handle, role) in [("robin", "user"), ("alex", "user"), ("kai", "auditor")] {
            try tour.step(["enroll", "request", "--handle", handle, "--out", cli.path("\(handle).request"), "--kdf", "interactive", "--json"], as: handle, keys: ["identity", "request", "fingerprint"])
            try tour.step(["enroll", "approve", cli.path("\(handle).request"), "--role", role, "--yes", "--json"], as: "ana", keys: ["id", "handle", "role"])
        }
        try tour.step(["enroll", "request", "--handle", "robin", "--out", cli.path("robin.request")], as: "robin2", code: 64, says: "already exists")
        try Data("not a request".utf8).write(to: URL(fileURLWithPath: cli.path("junk.request")))
        try tour.step(["enroll", "approve", cli.path("junk.request"), "--role", "user", "--yes"], as: "ana", code: 65)
        try tour.step(["enroll", "list", "--json"], as: "ana", keys: ["id", "handle", "role", "fingerprint"])
        try Data("not the passphrase\n".utf8).write(to: URL(fileURLWithPath: cli.path("wrong.pass")))
        let wrongPassphrase = ["--identity", cli.path("ana.kithid"), "--passphrase-file", cli.path("wrong.pass")]
        try tour.step(["enroll", "list"] + wrongPassphrase, code: 77, says: "wrong passphrase")

        // Groups, sharing, policy.
        try tour.step(["group", "create", "Trans Support", "--json"], as: "ana", keys: ["id", "name"])
        try tour.step(["group", "create", "Elsewhere"], as: "robin", code: 77, says: "access denied")
        try tour.step(["share", "Trans Support", "--with", "robin", "--role", "lead", "--json"], as: "ana", keys: ["group", "handle", "role"])
        try tour.step(["share", "Trans Support", "--with", "alex", "--role", "boss"], as: "robin", code: 64, says: "provide one of 'lead', 'caseworker' or 'viewer'")
        try tour.step(["share", "Trans Support", "--with", "alex", "--role", "caseworker"], as: "robin", says: "caseworker")
        try tour.step(["group", "list", "--json"], as: "robin", keys: ["id", "name", "role", "members"])
        try tour.step(["group", "list"], as: "robin", code: 64, says: "no vault", environment: ["KITH_VAULT": ""])
        let policy = try tour.step(["policy", "show", "Trans Support", "--json"], as: "robin", keys: ["group", "roles"])
        try tour.step(["policy", "show", "Nowhere"], as: "robin", code: 66, says: "not found")
        try Data(policy.out.utf8).write(to: URL(fileURLWithPath: cli.path("policy.json")))
        try tour.step(["policy", "set", "Trans Support", cli.path("policy.json"), "--json"], as: "robin", keys: ["group", "roles", "new_keys"])
        try Data("{\"roles\": 3}".utf8).write(to: URL(fileURLWithPath: cli.path("bad-policy.json")))
        try tour.step(["policy", "set", "Trans Support", cli.path("bad-policy.json")], as: "robin", code: 64)

        // Records and notes.
        let member = try cli.id(
            tour.step(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam", "--field", "sensitive:status=x", "--json"], as: "robin", keys: ["id"]))
        try tour.step(["record", "add", "--group", "Trans Support", "--kind", "note", "--field", "text=x"], as: "alex", code: 64, says: "not a record kind here")
        let caseID = try cli.id(
            tour.step(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=housing", "--json"], as: "alex", keys: ["id"]))
        try tour.step(["record", "show", member, "--json"], as: "robin", keys: ["id", "group", "kind", "version", "author", "time", "fields", "compartments", "withheld"])
        try tour.step(["record", "show", "not-an-id"], as: "robin", code: 64, says: "not a Kith id")
        try tour.step(["record", "list", "--group", "Trans Support", "--json"], as: "alex", keys: ["id", "kind", "version", "author", "time"])
        try tour.step(["record", "list", "--group", "Trans Support", "--kind", "pet"], as: "alex", code: 64, says: "provide one of 'member', 'case', 'note' or 'attachment'")
        try tour.step(["record", "update", caseID, "--field", "need=shelter", "--json"], as: "alex", keys: ["id", "version"])
        try tour.step(["record", "update", caseID], as: "alex", code: 64, says: "nothing to update")
        try tour.step(["record", "history", caseID, "--json"], as: "alex", keys: ["version", "author", "time", "compartments", "log_entry"])
        try tour.step(["record", "history", String(repeating: "0", count: 32)], as: "alex", code: 66, says: "not found")
        try tour.step(["note", "add", caseID, "--text", "Called the shelter.", "--json"], as: "alex", keys: ["id"])
        try tour.step(["note", "add", member, "--text", "x"], as: "alex", code: 64, says: "notes belong to cases")
        try tour.step(["note", "list", caseID, "--json"], as: "alex", keys: ["id", "author", "time", "text"])
        try tour.step(["note", "list", String(repeating: "1", count: 32)], as: "alex", code: 66, says: "not found")

        // Attachments.
        try Data("a letter".utf8).write(to: URL(fileURLWithPath: cli.path("letter.txt")))
        let attachment = try cli.id(tour.step(["attach", "add", caseID, cli.path("letter.txt"), "--json"], as: "alex", keys: ["id"]))
        try tour.step(["attach", "add", caseID, cli.path("missing.txt")], as: "alex", code: 66, says: "not found")
        try tour.step(["attach", "list", caseID, "--json"], as: "alex", keys: ["id", "name", "size", "author", "time", "compartment"])
        try tour.step(["attach", "list", member], as: "alex", code: 64)
        try tour.step(["attach", "get", attachment, "--out", cli.path("letter-out.txt"), "--json"], as: "alex", keys: ["id", "name", "size", "out"])
        try tour.step(["attach", "get", attachment, "--out", cli.path("letter-out.txt")], as: "alex", code: 64)

        // Import and export.
        try Data("name,pronouns\nKim,she\nJo,they\n".utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        try Data("name,pronouns\nKim,she\nJo,they,extra\n".utf8).write(to: URL(fileURLWithPath: cli.path("bad.csv")))
        try tour.step(
            ["import", cli.path("people.csv"), "--group", "Trans Support", "--kind", "member", "--dry-run", "--json"], as: "alex", keys: ["dry_run", "group", "kind", "would_import", "columns", "rejected", "blank_rows"])
        try tour.step(["import", cli.path("people.csv"), "--group", "Trans Support", "--kind", "member", "--json"], as: "alex", keys: ["group", "kind", "imported", "records", "blank_rows"])
        try tour.step(["import", cli.path("bad.csv"), "--group", "Trans Support", "--kind", "member"], as: "alex", code: 64, says: "row 3")
        try tour.step(["find", "--group", "Trans Support", "kim", "--json"], as: "alex", keys: ["results", "total", "unchecked", "too_many", "indexed"])
        try tour.step(["find", "--group", "Trans Support", "pronouns=she"], as: "alex", code: 64, says: "not a field search looks at")
        try tour.step(["export", "--group", "Trans Support", "--format", "json"], as: "robin", keys: ["group", "exported_at", "exported_by", "records"])
        try tour.step(["export", "--group", "Trans Support", "--format", "csv", "--out", cli.path("out.csv")], as: "robin", says: "Exported")
        try tour.step(["export", "--group", "Trans Support", "--format", "csv", "--out", cli.path("out.csv")], as: "robin", code: 64, says: "exists")

        // Retention and erasure.
        try tour.step(["retention", "show", "--group", "Trans Support", "--json"], as: "alex", keys: ["group", "rules", "due", "total", "now"])
        try tour.step(["retention", "show", "--group", "Nowhere"], as: "alex", code: 66, says: "not found")
        try tour.step(["retention", "apply", "--group", "Trans Support", "--yes", "--json"], as: "robin", keys: ["group", "batches", "erased"])
        try tour.step(["retention", "apply", "--group", "Trans Support", "--yes"], as: "alex", code: 77, says: "only a lead")
        let duplicate = try cli.id(
            tour.step(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam again", "--json"], as: "robin", keys: ["id"]))
        try tour.step(["record", "erase", duplicate, "--reason", "duplicate of Sam", "--yes", "--json"], as: "robin", keys: ["group", "records", "entry", "already_erased", "attachments_removed", "purge"])
        try tour.step(["record", "erase", duplicate, "--reason", "x"], as: "alex", code: 77, says: "only a lead")

        // Recovery: nova, newly enrolled, recovers the group through two trustees.
        try cli.setUpMore(users: [("nova", "user"), ("tala", "user")])
        let recoveryKeys: Set<String> = [
            "group", "group_id", "setup", "threshold", "trustees", "set_up_by", "set_up_at", "keys_covered", "keys_in_group", "requests", "your_share", "workable", "last_recovered_entry", "rotation_due",
        ]
        let requestKeys: Set<String> = ["request", "requester", "requester_fingerprint", "time", "approved_by", "needed", "yours", "approved_by_you"]
        try tour.step(["recovery", "setup", "Trans Support", "--threshold", "2", "--trustees", "alex,kai,tala", "--json"], as: "robin", keys: recoveryKeys)
        try tour.step(["recovery", "setup", "Trans Support", "--threshold", "2", "--trustees", "kai,tala"], as: "alex", code: 77, says: "only a lead")
        try tour.step(["recovery", "show", "Trans Support", "--json"], as: "kai", keys: recoveryKeys)
        try tour.step(["recovery", "show", "Nowhere"], as: "kai", code: 66, says: "not found")
        try tour.step(["recovery", "request", "Trans Support"], as: "kai", code: 77, says: "auditors never read records")
        try tour.step(["recovery", "request", "Trans Support", "--json"], as: "nova", keys: requestKeys)
        try tour.step(["recovery", "approve", "Trans Support", "--yes"], as: "robin", code: 77, says: "not a trustee")
        try tour.step(["recovery", "approve", "Trans Support", "--yes", "--json"], as: "kai", keys: requestKeys)
        try tour.step(["recovery", "complete", "Trans Support"], as: "nova", code: 64, says: "1 of the 2 approvals")
        #expect(try cli.run(["recovery", "approve", "Trans Support", "--yes"], as: "tala").code == 0)
        try tour.step(["recovery", "complete", "Trans Support", "--json"], as: "nova", keys: ["group", "keys_recovered", "keys_lost", "new_epochs", "damaged_shares", "recovery"])
        try tour.step(["vault", "purge", "--json"], keys: ["purge"])
        try tour.step(["vault", "purge", "--vault", cli.path("missing.kith")], code: 66, says: "not found")

        // Moving the vault to another engine (here into a new SQLite file; the PostgreSQL suite does the rest).
        try tour.step(
            ["vault", "migrate", "--from", cli.vault, "--to", cli.path("copy.kith"), "--json"],
            keys: ["from", "to", "engine", "entries", "copied_entries", "copied_records", "copied_attachments", "copied_checkpoints", "root"])
        try tour.step(["vault", "migrate", "--from", cli.vault, "--to", cli.vault], code: 64, says: "same vault")

        // Healing (nothing lost here) and accepting a restore.
        try tour.step(["vault", "heal", "--json"], as: "robin", keys: ["storeEntries", "restoredEntries", "restoredRecords", "stillMissingCount", "wrote"])
        try tour.step(["vault", "heal"], as: "robin", code: 66, says: "keeps no copy", environment: ["KITH_STATE_DIR": cli.path("no-state")])
        try tour.step(["vault", "accept-restore", "--reason", "tour", "--yes"], as: "robin", code: 77, says: "only an admin")
        try tour.step(["vault", "accept-restore", "--reason", "tour: nothing was lost", "--yes", "--json"], as: "ana", keys: ["entry"])

        // Unlock, status, lock.
        try tour.step(["unlock", "--for", "3d"], as: "alex", code: 64, says: "12 hours")
        try tour.step(["unlock", "--for", "2m", "--json"], as: "alex", keys: ["handle", "unlocked", "already", "idle_seconds_left"])
        try tour.step(["status", "--json"], as: "alex", keys: ["vault", "identity", "handle", "unlocked", "groups", "log_size", "founder_may_lead"])
        try tour.step(["status", "--identity", cli.path("nobody.kithid")], code: 66, says: "not found")
        // The web interface runs until the identity locks: started, then stopped by the lock below.
        let serving = try tour.start(["serve"], as: "alex")
        try tour.step(["serve", "--port", "80"], as: "alex", code: 64, says: "1024")
        try tour.step(["lock", "--json"], as: "alex", keys: ["handle", "was_unlocked"])
        tour.finish(serving, says: "stopped")
        try tour.step(["lock", "--identity", cli.path("nobody.kithid")], code: 66, says: "not found")

        // Revoke and rekey.
        try tour.step(["revoke", "Trans Support", "--from", "nobody"], as: "robin", code: 66, says: "not found")
        try tour.step(["group", "rekey", "Trans Support", "--rewrap"], as: "alex", code: 77, says: "access denied")
        try tour.step(["revoke", "Trans Support", "--from", "alex", "--json"], as: "robin", keys: ["group", "handle", "removed_role", "rekey"])
        try tour.step(["group", "rekey", "Trans Support", "--rewrap", "--json"], as: "robin", keys: ["group", "rekey"])

        // Removing someone from the vault.
        try tour.step(["user", "list", "--json"], as: "ana", keys: ["id", "handle", "role", "fingerprint", "removed"])
        try tour.step(["user", "list", "--identity", cli.path("nobody.kithid")], code: 66, says: "not found")
        try tour.step(["user", "remove", "alex", "--yes"], as: "robin", code: 77, says: "only an admin")
        try tour.step(["user", "remove", "alex", "--yes", "--json"], as: "ana", keys: ["user", "groups_rekeyed", "groups_awaiting_new_keys", "audit_key_retired"])
        #expect(try cli.run(["enroll", "request", "--handle", "tala", "--out", cli.path("tala-new.request"), "--kdf", "interactive"], as: "tala-new").code == 0)
        try tour.step(["user", "replace", "tala", "--with", cli.path("tala-new.request"), "--yes"], as: "robin", code: 77, says: "only an admin")
        try tour.step(["user", "replace", "tala", "--with", cli.path("tala-new.request"), "--yes", "--json"], as: "ana", keys: ["removed", "user", "roles"])

        // The auditor's commands.
        try tour.step(["audit", "verify", "--json"], as: "kai", keys: ["entries", "valid", "root", "problems"])
        try tour.step(["audit", "verify", "--from-checkpoint", cli.path("missing.checkpoint")], as: "kai", code: 66, says: "not found")
        try tour.step(["audit", "log", "--json"], as: "kai", keys: ["seq", "time", "actor", "actor_id"])
        try tour.step(["audit", "log", "--type", "party"], as: "kai", code: 64)
        try tour.step(["audit", "witness", "--json"], as: "kai", keys: ["size", "witnesses", "already_cosigned", "previous_size"])
        try tour.step(["audit", "witness"], as: "robin", code: 77, says: "access denied")
        try tour.step(["audit", "checkpoint", "--out", cli.path("now.checkpoint"), "--json"], as: "kai", keys: ["size", "root", "witnesses", "note", "file"])
        try tour.step(["audit", "checkpoint", "--out", cli.path("now.checkpoint")], as: "kai", code: 64, says: "exists")
        let keys = try tour.step(["audit", "keys"], as: "kai")
        try Data(keys.out.utf8).write(to: URL(fileURLWithPath: cli.path("vault.vkeys")))
        try tour.step(["audit", "keys", "--json"], as: "kai", keys: ["origin", "vault_id", "signers", "witnesses"])
        // The verifier keys are public: reading them needs the vault, not an identity.
        try tour.step(["audit", "keys", "--vault", cli.path("missing.kith")], as: "kai", code: 66, says: "not found")
        let proof = try tour.step(["audit", "prove", "--entry", "3"], as: "kai")
        try Data(proof.out.utf8).write(to: URL(fileURLWithPath: cli.path("entry.tlog-proof")))
        try tour.step(["audit", "prove", "--entry", "3", "--json"], as: "kai")
        try tour.step(["audit", "prove", "--entry", "99999"], as: "kai", code: 64)
        try tour.step(["audit", "verify-proof", cli.path("entry.tlog-proof"), "--keys", cli.path("vault.vkeys"), "--json"], keys: ["holds", "witnessed", "proven", "unchecked"])
        try Data(proof.out.replacingOccurrences(of: "\n\n", with: "\n\nx").utf8).write(to: URL(fileURLWithPath: cli.path("bad.tlog-proof")))
        try tour.step(["audit", "verify-proof", cli.path("bad.tlog-proof"), "--hashes-only"], code: 65)
        try tour.step(["audit", "verify-proof", cli.path("entry.tlog-proof")], code: 64, says: "--keys")
        try tour.step(["audit", "consistency", "--from", cli.path("now.checkpoint")], as: "kai")
        try tour.step(["audit", "consistency", "--from", cli.path("missing.checkpoint")], as: "kai", code: 66)

        // Commands that need no vault.
        let selftest = try tour.step(["selftest", "--json"], keys: ["passed", "checks"])
        // kith starts with core dumps off (and not dumpable), before it opens anything.
        let checks = try #require((try selftest.json() as? [String: Any])?["checks"] as? [[String: Any]])
        #expect(checks.contains { ($0["name"] as? String)?.hasPrefix("no core dumps") == true && $0["passed"] as? Bool == true })
        try tour.step(["selftest", "--fast"], code: 64, says: "Unknown option")
        try tour.step(["completions", "zsh"])
        try tour.step(["completions", "tcsh"], code: 64, says: "bash, zsh or fish")

        // Kai changes passphrase (test-only values); later runs as Kai use the new one.
        try Data("kai's new passphrase, test-only\n".utf8).write(to: URL(fileURLWithPath: cli.path("kai-new.pass")))
        try tour.step(["passphrase", "change", "--new-passphrase-file", cli.path("kai-new.pass"), "--json"], as: "kai", keys: ["handle", "kdf", "duress_cleared"])
        try tour.step(["passphrase", "change", "--new-passphrase-file", cli.path("kai-new.pass")], as: "kai", code: 77, says: "wrong passphrase")
        try FileManager.default.removeItem(atPath: cli.path("kai.pass"))
        try FileManager.default.copyItem(atPath: cli.path("kai-new.pass"), toPath: cli.path("kai.pass"))
        // Opening the identity (not only the vault file) with the new passphrase.
        try tour.step(["status", "--json"], as: "kai", keys: ["handle", "unlocked"])
        try tour.step(["audit", "log", "--type", "searched"], as: "kai")

        try Data("a duress passphrase, test-only\n".utf8).write(to: URL(fileURLWithPath: cli.path("duress.pass")))
        try tour.step(["duress", "set", "--duress-passphrase-file", cli.path("duress.pass")], as: "alex")
        try tour.step(["duress", "set", "--duress-passphrase-file", cli.path("alex.pass")], as: "alex", code: 64, says: "must differ")
        try tour.step(["duress", "clear"], as: "alex")
        try tour.step(["duress", "clear", "--identity", cli.path("nobody.kithid")], code: 66)
        try tour.step(["duress", "limit", "--json"], keys: ["limit", "wrong_in_a_row"])
        try tour.step(["duress", "limit", "2"], code: 64, says: "3 to 100")
        try tour.step(["duress", "announce", "--json"], keys: ["announce"])
        try tour.step(["duress", "announce", "maybe"], code: 64, says: "on or off")
        // Last, since it wipes this device's state: panic (asks first; --yes does not).
        try tour.step(["panic"], as: "alex", code: 64, says: "--yes")
        try tour.step(["panic", "--yes"], as: "alex")

        // Nothing the tour missed: each command succeeded once and failed once.
        let all = Set(tour.commands)
        #expect(all.subtracting(tour.succeeded).sorted() == [], "never succeeded in the tour")
        #expect(all.subtracting(tour.failed).sorted() == [], "never failed in the tour")
    }

    @Test("--verbose adds what a bug report needs and no secret; errors say what to do next")
    func verboseErrors() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [])
        let plain = try cli.run(["record", "show", "nope"], as: "ana")
        #expect(plain.code == 64)
        let lines = plain.err.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].contains("kith record show --help"), "\(plain.err)")
        let verbose = try cli.run(["record", "show", "nope", "--verbose"], as: "ana")
        #expect(verbose.code == 64)
        #expect(verbose.err.contains("[verbose] command: kith record show (exit 64)"))
        #expect(verbose.err.contains("KithVaultError invalidInput"))
        #expect(verbose.err.contains("log entries replayed"))
        #expect(!verbose.err.contains("test-only passphrase"))
        // --verbose after '--' is an argument, not the flag.
        let note = try cli.run(["note", "add", String(repeating: "0", count: 32), "--text", "--", "--verbose"], as: "ana")
        #expect(!note.err.contains("[verbose]"))
    }
}
