import Foundation
import GRDB
import Testing

@testable import KithPostgres

/// The crash matrix (issue 25, part 2): each operation that writes is killed
/// with SIGKILL at its durability points (every fsync, rename and link: each
/// SQLite commit and each file published, just before and just after, by a
/// preloaded shim, CrashPoints/crashpoint.c) and at random moments. After
/// each kill: the log verifies, the operation is wholly done or not at all
/// (or, where the docs say so, finished by running it again), no plaintext
/// partial file is left once kith runs again, and running it again ends
/// where an uninterrupted run would.
///
/// `make test` runs a sample; `make crash-matrix` (KITH_CRASH_TRIALS=100,
/// KITH_CRASH_POINTS=all) runs the full matrix and prints its figures.
@Suite("Crash matrix", .serialized)
struct CrashMatrixCLITests {
    static let environment = ProcessInfo.processInfo.environment
    /// Random-moment kills per operation.
    static let randomTrials = Int(environment["KITH_CRASH_TRIALS"] ?? "") ?? 1
    /// Durability points tried per operation (spread over all of them), or all.
    static let pointLimit = environment["KITH_CRASH_POINTS"] == "all" ? Int.max : (Int(environment["KITH_CRASH_POINTS"] ?? "") ?? 2)

    /// One kind of write, with what "done" looks like.
    struct Operation: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: @Sendable (Template) -> [String]
        /// Who runs it (nil: no identity, as for vault migrate).
        let user: String?
        /// Whether the operation visibly happened: true, false, or a problem (half done).
        let state: @Sendable (CLIHarness, Template) throws -> Outcome
        /// Exit codes a second run may give when the first one finished.
        var againWhenDone: Set<Int32> = [0]
        /// Whether a second run may give `againWhenDone` even when the first did not finish.
        var rerunAlways = false
        /// Run on each copy before the operation (not killed): what it needs to find.
        var prepare: (@Sendable (CLIHarness, Template) throws -> Void)?

        var testDescription: String { name }
    }

    enum Outcome: Equatable {
        case done, notDone
        case broken(String)
    }

    /// What the template vault holds, by id.
    struct Template: Sendable {
        let engine: Engine
        /// The vault: a file, or a postgres:// address.
        let vault: String
        let directory: URL
        let member: String
        let other: String
        let caseID: String
        let attachment: String
    }

    enum Engine: String, Sendable, CaseIterable { case sqlite, postgres }

    static let group = "Trans Support"
    static let letter = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })

    /// A vault made once, copied for every trial: robin leads, alex is case
    /// worker, kai audits; 40 members, a case with a 300 KB attachment, a
    /// retention rule due for notes, a CSV of 200 people to import.
    static let sqliteTemplate: Result<Template, Error> = Result { try makeTemplate(.sqlite) }
    static let postgresTemplate: Result<Template, Error> = Result { try makeTemplate(.postgres) }

    static func makeTemplate(_ engine: Engine) throws -> Template {
        let cli = try CLIHarness(vault: engine == .postgres ? try TestDatabase.make() : nil)
        try cli.setUp(users: [("robin", "user"), ("alex", "user"), ("kai", "auditor")])
        func must(_ arguments: [String], as user: String, stdin: String? = nil) throws -> CLIHarness.Result {
            let result = try cli.run(arguments, as: user, stdin: stdin)
            guard result.code == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "\(arguments): \(result.err)"]) }
            return result
        }
        try must(["group", "create", group], as: "ana")
        try must(["share", group, "--with", "robin", "--role", "lead"], as: "ana")
        try must(["share", group, "--with", "alex", "--role", "caseworker"], as: "robin")
        let rows = (0..<40).map { "Member \($0),they,+961 3 \(200_000 + $0)" }.joined(separator: "\n")
        try Data(("name,pronouns,phone\n" + rows + "\n").utf8).write(to: URL(fileURLWithPath: cli.path("first.csv")))
        try must(["import", cli.path("first.csv"), "--group", group, "--kind", "member"], as: "robin")
        let member = try cli.id(try must(["record", "add", "--group", group, "--kind", "member", "--field", "name=Sam", "--json"], as: "alex"))
        let other = try cli.id(try must(["record", "add", "--group", group, "--kind", "member", "--field", "name=Noor", "--json"], as: "alex"))
        let caseID = try cli.id(try must(["record", "add", "--group", group, "--kind", "case", "--member", member, "--field", "need=housing", "--json"], as: "alex"))
        try must(["note", "add", caseID, "--from-file", "-"], as: "alex", stdin: "Called back; safe to text.\n")
        try letter.write(to: URL(fileURLWithPath: cli.path("letter.pdf")))
        let attachment = try cli.id(try must(["attach", "add", caseID, cli.path("letter.pdf"), "--name", "letter", "--json"], as: "alex"))
        let shown = try must(["policy", "show", group, "--json"], as: "robin")
        var policy = (try shown.json() as? [String: Any]) ?? [:]
        policy["retention"] = ["note": 1]
        try JSONSerialization.data(withJSONObject: policy).write(to: URL(fileURLWithPath: cli.path("policy.json")))
        try must(["policy", "set", group, cli.path("policy.json")], as: "robin")
        let people = (0..<200).map { "Person \($0),she,+961 3 \(300_000 + $0)" }.joined(separator: "\n")
        try Data(("name,pronouns,phone\n" + people + "\n").utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        try letter.write(to: URL(fileURLWithPath: cli.path("second.pdf")))
        // Kept alive for the suite: the copies are made from its folder.
        keep.append(cli)
        return Template(engine: engine, vault: cli.vault, directory: cli.directory, member: member, other: other, caseID: caseID, attachment: attachment)
    }
    nonisolated(unsafe) static var keep: [CLIHarness] = []

    /// The preloaded shim, compiled once for the suite.
    static let shim: Result<String, Error> = Result {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("CrashPoints/crashpoint.c").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kith-crashpoint-\(getpid()).so").path
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-shared", "-fPIC", "-O1", "-o", output, source, "-ldl"]
        try compiler.run()
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "cc could not build \(source)"]) }
        return output
    }

    static func members(_ cli: CLIHarness) throws -> Int? {
        let list = try cli.run(["record", "list", "--group", group, "--kind", "member", "--json"], as: "robin")
        return (try? list.json() as? [Any])?.count
    }

    static let operations: [Operation] = [
        Operation(
            name: "import", arguments: { t in ["import", t.directory.appendingPathComponent("people.csv").path, "--group", group, "--kind", "member"] },
            user: "robin",
            state: { cli, _ in
                switch try members(cli) {
                case 42: return .notDone
                case 242: return .done
                case let count: return .broken("\(count.map(String.init) ?? "no") members after a killed import of 200 into 42")
                }
            }),
        Operation(
            name: "record update", arguments: { t in ["record", "update", t.member, "--field", "pronouns=they"] }, user: "alex",
            state: { cli, t in
                let shown = try cli.run(["record", "show", t.member, "--json"], as: "robin")
                guard let record = try? shown.json() as? [String: Any], let fields = record["fields"] as? [String: String] else {
                    return .broken("the member does not show: \(shown.err)")
                }
                switch (record["version"] as? Int, fields["pronouns"]) {
                case (1, nil): return .notDone
                case (2, "they"): return .done
                case let other: return .broken("version and field \(other)")
                }
            }),
        revoke(nil), revoke("--rewrap"), revoke("--reencrypt"),
        Operation(
            name: "attach add", arguments: { t in ["attach", "add", t.caseID, t.directory.appendingPathComponent("second.pdf").path, "--name", "second"] },
            user: "alex",
            state: { cli, t in
                let listed = try cli.run(["attach", "list", t.caseID, "--json"], as: "robin")
                switch (try? listed.json() as? [[String: Any]])?.count {
                case 1: return .notDone
                case 2: return .done
                case let count: return .broken("\(count.map(String.init) ?? "no") attachments: \(listed.err)")
                }
            }),
        Operation(
            name: "attach get", arguments: { t in ["attach", "get", t.attachment, "--out", t.directory.appendingPathComponent("out.pdf").path] },
            user: "robin",
            state: { cli, _ in
                guard let saved = FileManager.default.contents(atPath: cli.path("out.pdf")) else { return .notDone }
                return saved == letter ? .done : .broken("out.pdf holds \(saved.count) bytes that are not the attachment")
            }),
        Operation(
            name: "export", arguments: { t in ["export", "--group", group, "--format", "csv", "--out", t.directory.appendingPathComponent("everyone.csv").path] },
            user: "robin",
            state: { cli, _ in
                guard let saved = FileManager.default.contents(atPath: cli.path("everyone.csv")) else { return .notDone }
                let lines = saved.filter { $0 == 0x0A }.count
                // A header, 42 members, a case, its note and its attachment.
                return lines == 46 ? .done : .broken("everyone.csv has \(lines) lines, not a header and 45 records")
            }),
        Operation(
            name: "record erase", arguments: { t in ["record", "erase", t.other, "--reason", "asked to be forgotten", "--yes"] }, user: "robin",
            state: { cli, t in
                let shown = try cli.run(["record", "show", t.other], as: "robin")
                if shown.code == 0 { return .notDone }
                return shown.err.contains("erased") ? .done : .broken("the record neither shows nor is erased: \(shown.code) \(shown.err)")
            }, againWhenDone: [0, 64, 66]),
        Operation(
            name: "retention apply", arguments: { _ in ["retention", "apply", "--group", group, "--yes"] }, user: "robin",
            state: { cli, t in
                let notes = try cli.run(["note", "list", t.caseID, "--json"], as: "robin", environment: later)
                switch (try? notes.json() as? [Any])?.count {
                case 1: return .notDone
                case 0: return .done
                case let count: return .broken("\(count.map(String.init) ?? "no") notes: \(notes.err)")
                }
            }, rerunAlways: true),
        Operation(
            name: "vault migrate", arguments: { t in ["vault", "migrate", "--from", t.vault, "--to", t.directory.appendingPathComponent("copy.kith").path] },
            user: nil,
            state: { cli, _ in
                let copy = cli.path("copy.kith")
                guard FileManager.default.fileExists(atPath: copy) else { return .notDone }
                let verified = try cli.run(["audit", "verify", "--vault", copy, "--json"])
                let original = try cli.run(["audit", "verify", "--json"])
                guard let a = try? verified.json() as? [String: Any], let b = try? original.json() as? [String: Any], a["valid"] as? Bool == true else {
                    return .notDone  // an unfinished copy: refused, and carried on by running it again
                }
                return a["entries"] as? Int == b["entries"] as? Int ? .done : .notDone
            }, againWhenDone: [0, 64], rerunAlways: true),
    ]

    /// `kith vault heal` after the store came back from a backup: robin wrote
    /// two members the backup lacks, and heals from his device's journal.
    static let heal = Operation(
        name: "vault heal", arguments: { _ in ["vault", "heal"] }, user: "robin",
        state: { cli, _ in
            let ids = ((try? String(contentsOfFile: cli.path("heal-ids"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            let listed = try cli.run(["record", "list", "--group", group, "--kind", "member", "--json"], as: "robin")
            if listed.code == 65 { return .notDone }  // still refused as rolled back: nothing was put back
            guard listed.code == 0, (try? listed.json() as? [Any])?.count == 44 else { return .broken("listing after a killed heal: \(listed.code) \(listed.err)") }
            // The entries are back; their records go in just after (a rerun puts back any a kill left out).
            for id in ids where try cli.run(["record", "show", id], as: "alex").code != 0 { return .notDone }
            return .done
        }, rerunAlways: true,
        prepare: { cli, t in
            try backUp(t)
            var ids: [String] = []
            for name in ["After the backup", "And another"] {
                ids.append(try cli.id(try cli.run(["record", "add", "--group", group, "--kind", "member", "--field", "name=\(name)", "--json"], as: "robin")))
            }
            try ids.joined(separator: "\n").write(toFile: cli.path("heal-ids"), atomically: true, encoding: .utf8)
            try restore(t)
            guard try cli.run(["record", "list", "--group", group], as: "robin").code == 65 else {
                throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "the restored vault was not refused as rolled back"])
            }
        })

    /// Takes a backup of the store as an operator would (its tables copied aside).
    static func backUp(_ t: Template) throws {
        let tables = ["log_entries", "records", "checkpoints"]
        try operatorSQL(t, tables.flatMap { ["DROP TABLE IF EXISTS backup_\($0)", "CREATE TABLE backup_\($0) AS SELECT * FROM \($0)"] })
    }

    /// Restores what `backUp` took, behind every client's back.
    static func restore(_ t: Template) throws {
        let copy = [
            "DELETE FROM records", "DELETE FROM checkpoints", "DELETE FROM log_entries", "INSERT INTO log_entries SELECT * FROM backup_log_entries ORDER BY seq",
            "INSERT INTO records SELECT * FROM backup_records", "INSERT INTO checkpoints SELECT * FROM backup_checkpoints",
        ]
        switch t.engine {
        case .sqlite:
            try operatorSQL(t, ["DROP TRIGGER IF EXISTS log_entries_no_delete", "DROP TRIGGER IF EXISTS log_entries_no_update"] + copy)
        case .postgres:
            try operatorSQL(
                t, ["ALTER TABLE log_entries DISABLE TRIGGER USER"] + copy + ["UPDATE log_head SET entry_count = (SELECT count(*) FROM log_entries)", "ALTER TABLE log_entries ENABLE TRIGGER USER"])
        }
    }

    static func operatorSQL(_ t: Template, _ statements: [String]) throws {
        switch t.engine {
        case .sqlite:
            let queue = try DatabaseQueue(path: t.vault)
            try queue.writeWithoutTransaction { db in for statement in statements { try db.execute(sql: statement) } }
            try queue.close()
        case .postgres:
            let connection = try TestDatabase.connection(database: TestDatabase.name(of: t.vault))
            for statement in statements { try connection.execute(statement) }
        }
    }

    /// The clock a month and more on, for retention.
    static let later = ["KITH_TEST_CLOCK_OFFSET_DAYS": "40"]

    static func revoke(_ mode: String?) -> Operation {
        Operation(
            name: "revoke " + (mode ?? "(plain)"), arguments: { _ in ["revoke", group, "--from", "alex"] + (mode.map { [$0] } ?? []) }, user: "robin",
            state: { cli, t in
                let asAlex = try cli.run(["record", "show", t.member], as: "alex")
                let asRobin = try cli.run(["record", "show", t.member], as: "robin")
                guard asRobin.code == 0 else { return .broken("the lead cannot read a member after a killed revoke: \(asRobin.err)") }
                switch asAlex.code {
                case 0: return .notDone
                case 77: return .done
                default: return .broken("alex got \(asAlex.code): \(asAlex.err)")
                }
            },
            // A second run finishes an unfinished rekey (0) or says there is nothing to do (64).
            againWhenDone: [0, 64], rerunAlways: true)
    }

    /// A fresh copy of the template in a new harness (and, on PostgreSQL, a
    /// new database made from the template's).
    static func trialHarness(_ engine: Engine) throws -> (CLIHarness, Template) {
        let template = try (engine == .sqlite ? sqliteTemplate : postgresTemplate).get()
        var vault: String?
        if engine == .postgres {
            let copy = try TestDatabase.make()
            let name = TestDatabase.name(of: copy)
            let connection = try TestDatabase.connection()
            try connection.execute("DROP DATABASE \(name)")
            try connection.execute("CREATE DATABASE \(name) TEMPLATE \(TestDatabase.name(of: template.vault))")
            vault = copy
        }
        let cli = try CLIHarness(vault: vault)
        for name in try FileManager.default.contentsOfDirectory(atPath: template.directory.path) {
            try FileManager.default.copyItem(at: template.directory.appendingPathComponent(name), to: cli.directory.appendingPathComponent(name))
        }
        let here = Template(
            engine: engine, vault: cli.vault, directory: cli.directory, member: template.member, other: template.other, caseID: template.caseID,
            attachment: template.attachment)
        return (cli, here)
    }

    /// Every operation on every engine the machine has.
    static var cases: [(Engine, Operation)] {
        let engines: [Engine] = TestDatabase.available ? [.sqlite, .postgres] : [.sqlite]
        // KITH_CRASH_OPERATIONS="vault heal,import" runs only those (a longer run of one operation).
        let only = environment["KITH_CRASH_OPERATIONS"].map { Set($0.split(separator: ",").map(String.init)) }
        return engines.flatMap { engine in (operations + [heal]).filter { only?.contains($0.name) ?? true }.map { (engine, $0) } }
    }

    /// Where a trial kills kith.
    enum KillAt: CustomStringConvertible {
        case point(Int, after: Bool)
        case moment(TimeInterval)
        case never

        var description: String {
            switch self {
            case .point(let n, let after): return "\(after ? "just after" : "just before") durability point \(n)"
            case .moment(let seconds): return String(format: "%.0f ms in", seconds * 1000)
            case .never: return "a clean run"
            }
        }
    }

    /// Runs the operation in a copy, killed as asked; returns whether it was
    /// killed, the number of durability points it reached, and its time.
    static func run(_ operation: Operation, in cli: CLIHarness, template: Template, killAt: KillAt) throws -> (killed: Bool, points: Int, seconds: TimeInterval) {
        let process = Process()
        process.executableURL = cli.binary
        process.arguments = operation.arguments(template) + (operation.user.map { ["--identity", cli.path("\($0).kithid"), "--passphrase-file", cli.path("\($0).pass")] } ?? [])
        var extra = ["LD_PRELOAD": try shim.get(), "KITH_CRASH_COUNT_FILE": cli.path("crash-count"), "KITH_NO_AGENT": "1"]
        if operation.name == "retention apply" { extra.merge(later) { $1 } }
        if case .point(let n, let after) = killAt {
            extra["KITH_CRASH_AT"] = String(n)
            extra["KITH_CRASH_WHEN"] = after ? "after" : "before"
        }
        process.environment = cli.environment(extra)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        if case .moment(let seconds) = killAt {
            let deadline = started.addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(500) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        let counted = (try? String(contentsOfFile: cli.path("crash-count"), encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        try? FileManager.default.removeItem(atPath: cli.path("crash-count"))
        let killed = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        if !killed && process.terminationStatus != 0 {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "\(operation.name) (\(killAt)) exited \(process.terminationStatus)"])
        }
        return (killed, counted, seconds)
    }

    /// Plaintext a killed save may leave: hidden partial folders beside the output.
    static func plaintextPartials(_ cli: CLIHarness) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cli.directory.path)) ?? []
        return names.filter { $0.hasPrefix(".kith-partial") || $0.hasSuffix(".tmp") }
    }

    /// Attachment files in the vault's folder that no record names (a killed
    /// add's sealed partial): not plaintext, but space nobody gets back.
    static func strayAttachmentFiles(_ cli: CLIHarness) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cli.vault + ".files")) ?? []
        return names.filter { $0.hasPrefix(".") }
    }

    /// Everything that must hold after a kill; returns what the kill left (done or not).
    static func check(_ operation: Operation, _ cli: CLIHarness, _ template: Template, _ killAt: KillAt) throws -> Outcome {
        let context = "\(operation.name), killed \(killAt)"
        let verified = try cli.run(["audit", "verify", "--json"])
        let report = try? verified.json() as? [String: Any]
        #expect(report?["valid"] as? Bool == true, "\(context): the log does not verify: \(verified.out) \(verified.err)")
        let left = try operation.state(cli, template)
        if case .broken(let problem) = left { Issue.record("\(context): half done: \(problem)") }
        // Kith has run again (the checks above): any plaintext partial is gone.
        let partials = plaintextPartials(cli)
        #expect(partials.isEmpty, "\(context): plaintext partial files left: \(partials)")

        // Running it again ends where an uninterrupted run ends.
        if left == .notDone || operation.rerunAlways {
            var extra: [String: String] = [:]
            if operation.name == "retention apply" { extra = later }
            let again = try cli.run(operation.arguments(template), as: operation.user, environment: extra)
            let allowed: Set<Int32> = left == .notDone && !operation.rerunAlways ? [0] : operation.againWhenDone.union([0])
            #expect(allowed.contains(again.code), "\(context): running it again gave \(again.code): \(again.err)")
            #expect(try operation.state(cli, template) == .done, "\(context): not done after running it again")
            #expect(plaintextPartials(cli).isEmpty)
        }
        // A killed attach add's sealed temporary goes with the next attachment written.
        if !strayAttachmentFiles(cli).isEmpty {
            try Data("x".utf8).write(to: URL(fileURLWithPath: cli.path("tiny.txt")))
            #expect(try cli.run(["attach", "add", template.caseID, cli.path("tiny.txt"), "--name", "tiny"], as: "alex").code == 0)
            let strays = strayAttachmentFiles(cli)
            #expect(strays.isEmpty, "\(context): partial attachment files left in the vault's folder after another attach add: \(strays)")
        }
        return left
    }

    @Test("killed at its durability points and at random moments, each write is wholly done or not at all, or finished by running it again", arguments: cases)
    func crashes(_ engine: Engine, _ operation: Operation) throws {
        // A clean run first: how many durability points, and how long.
        let (clean, cleanTemplate) = try Self.trialHarness(engine)
        try operation.prepare?(clean, cleanTemplate)
        let baseline = try Self.run(operation, in: clean, template: cleanTemplate, killAt: .never)
        #expect(!baseline.killed && baseline.points > 0, "\(operation.name): \(baseline)")
        #expect(try operation.state(clean, cleanTemplate) == .done)

        // The points spread evenly, the last (usually the main commit or the file's publishing) always among them.
        var kills: [KillAt] = []
        let tried = min(Self.pointLimit, baseline.points)
        for n in Set((1...tried).map { $0 * baseline.points / tried }).sorted() {
            kills += [.point(n, after: false), .point(n, after: true)]
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<Self.randomTrials { kills.append(.moment(Double.random(in: 0...baseline.seconds, using: &random))) }

        var tally: [String: Int] = [:]
        for killAt in kills {
            let (cli, template) = try Self.trialHarness(engine)
            try operation.prepare?(cli, template)
            let ran = try Self.run(operation, in: cli, template: template, killAt: killAt)
            let left = try Self.check(operation, cli, template, killAt)
            tally[ran.killed ? (left == .done ? "killed, done" : "killed, not done") : "finished first", default: 0] += 1
        }
        print(
            "crash matrix: \(engine.rawValue) \(operation.name): \(kills.count) trials (\(baseline.points) durability points, clean run \(Int(baseline.seconds * 1000)) ms): "
                + tally.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
}
