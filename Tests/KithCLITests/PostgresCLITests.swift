import Foundation
import Testing

@testable import KithPostgres

/// A database of its own on the throwaway server `make test` starts.
enum TestDatabase {
    static let serverURL = ProcessInfo.processInfo.environment["KITH_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { serverURL != nil }

    /// Makes an empty database and returns its address (no password in it).
    static func make() throws -> String {
        let url = try #require(serverURL)
        let name = "kith_cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try connection().execute("CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: url))
        components.path = "/" + name
        return try #require(components.string)
    }

    /// A connection to the test server, as its operator.
    static func connection(database: String? = nil) throws -> BlockingConnection {
        let url = try #require(serverURL)
        var components = try #require(URLComponents(string: url))
        if let database { components.path = "/" + database }
        return try BlockingConnection(address: PostgresAddress(try #require(components.string)), environment: ProcessInfo.processInfo.environment)
    }

    static func name(of url: String) -> String { URLComponents(string: url)?.path.split(separator: "/").last.map(String.init) ?? "" }
}

/// The shared engine as case workers meet it: many clients at once, a
/// client killed mid-transaction, a vault moved in from a SQLite file, and
/// every way the connection can be set up wrong.
@Suite("PostgreSQL through the kith command", .serialized)
struct PostgresCLITests {
    static let group = "Support"

    /// Where a CLI test's vault lives.
    enum Engine: String, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
    }

    static var engines: [(Engine, Int)] { TestDatabase.available ? [(.sqlite, 4), (.postgres, 8)] : [(.sqlite, 4)] }

    @Test("many client processes write and read at once: one linear log, every record exactly once", arguments: engines)
    func concurrentClients(engine: Engine, clients: Int) throws {
        let perClient = 200
        let cli = try CLIHarness(vault: engine == .postgres ? TestDatabase.make() : nil)
        let writers = (1...clients).map { "w\($0)" }
        try cli.setUp(founder: "ana", users: writers.map { ($0, "user") })
        #expect(try cli.run(["group", "create", Self.group], as: "ana").code == 0)
        #expect(try cli.run(["share", Self.group, "--with", "w1", "--role", "lead"], as: "ana").code == 0)
        for writer in writers.dropFirst() {
            #expect(try cli.run(["share", Self.group, "--with", writer, "--role", "caseworker"], as: "w1").code == 0)
        }
        let before = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])["entries"] as? Int ?? -1

        let bench = cli.binary.deletingLastPathComponent().appendingPathComponent("kith-bench")
        let started = Date()
        let processes = try writers.map { writer in
            let process = Process()
            process.executableURL = bench
            process.arguments = [
                "writer", "--vault", cli.vault, "--identity", cli.path("\(writer).kithid"), "--group", Self.group, "--records", String(perClient), "--tag", writer,
            ]
            process.environment = cli.environment(["KITH_PASSPHRASE": "test-only passphrase of \(writer)"])
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            return (process, out)
        }
        var reads = 0
        for (process, out) in processes {
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let line = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            reads += line?["reads"] as? Int ?? 0
        }
        let seconds = Date().timeIntervalSince(started)
        let written = clients * perClient
        print(
            "concurrency figures (\(engine.testDescription), debug build): \(clients) clients wrote \(written) records in \(String(format: "%.1f", seconds)) s, \(String(format: "%.0f", Double(written) / seconds)) records/s, while reading \(reads) records"
        )

        // One linear log: it verifies, and holds exactly each write and each logged read.
        let audit = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])
        #expect(audit["valid"] as? Bool == true, "\(audit["problems"] ?? "")")
        #expect(audit["entries"] as? Int == before + written + reads)
        // Every record there exactly once.
        let export = try cli.run(["export", "--group", Self.group, "--format", "json"], as: "w1")
        let records = try #require((try export.json() as? [String: Any])?["records"] as? [[String: Any]])
        let names = records.compactMap { ($0["fields"] as? [String: String])?["name"] }
        #expect(names.count == written)
        #expect(Set(names) == Set(writers.flatMap { writer in (1...perClient).map { "\(writer)-\($0)" } }))
    }

    @Test("a client killed in the middle of its transaction leaves nothing half-written", .enabled(if: TestDatabase.available))
    func killedMidTransaction() throws {
        let url = try TestDatabase.make()
        let cli = try CLIHarness(vault: url)
        try cli.setUp(founder: "ana", users: [("robin", "user")])
        #expect(try cli.run(["group", "create", Self.group], as: "ana").code == 0)
        #expect(try cli.run(["share", Self.group, "--with", "robin", "--role", "lead"], as: "ana").code == 0)
        let rows = (1...10_000).map { "Person \($0),they" }.joined(separator: "\n")
        try Data("name,pronouns\n\(rows)\n".utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        let before = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])["entries"] as? Int ?? -1

        let watcher = try TestDatabase.connection(database: TestDatabase.name(of: url))
        let process = Process()
        process.executableURL = cli.binary
        process.arguments = [
            "import", cli.path("people.csv"), "--group", Self.group, "--kind", "member", "--identity", cli.path("robin.kithid"), "--passphrase-file",
            cli.path("robin.pass"),
        ]
        process.environment = cli.environment()
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // Wait until the import's transaction has written rows (it holds a transaction id), then kill it.
        var caught = false
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline {
            let writing = try watcher.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kith' AND backend_xid IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()"
            ).first?.decode(Int64.self)
            if writing ?? 0 > 0 {
                kill(process.processIdentifier, SIGKILL)
                caught = true
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        #expect(caught, "the import finished before its transaction was seen; nothing was killed")
        #expect(process.terminationReason == .uncaughtSignal)

        // The server rolled the transaction back: no entry, no record, the log verifies.
        usleep(200_000)
        let audit = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])
        #expect(audit["valid"] as? Bool == true)
        #expect(audit["entries"] as? Int == before)
        #expect(try watcher.query("SELECT count(*) FROM records").first?.decode(Int64.self) == 0)
        #expect(try watcher.query("SELECT entry_count FROM log_head").first?.decode(Int64.self) == Int64(before))
        // And the same import then goes through whole.
        let again = try cli.run(["import", cli.path("people.csv"), "--group", Self.group, "--kind", "member", "--json"], as: "robin")
        #expect(again.code == 0, "\(again.err)")
        #expect(try watcher.query("SELECT count(*) FROM records").first?.decode(Int64.self) == 10_000)
    }

    @Test("kith vault migrate moves a SQLite vault into PostgreSQL, and everyone carries on there", .enabled(if: TestDatabase.available))
    func migrate() throws {
        let cli = try CLIHarness()
        try cli.setUp(founder: "ana", users: [("robin", "user"), ("alex", "user"), ("kai", "auditor")])
        #expect(try cli.run(["group", "create", Self.group], as: "ana").code == 0)
        #expect(try cli.run(["share", Self.group, "--with", "robin", "--role", "lead"], as: "ana").code == 0)
        #expect(try cli.run(["share", Self.group, "--with", "alex", "--role", "caseworker"], as: "robin").code == 0)
        let member = try cli.id(cli.run(["record", "add", "--group", Self.group, "--kind", "member", "--field", "name=Sam Rivera", "--json"], as: "alex"))
        let caseID = try cli.id(cli.run(["record", "add", "--group", Self.group, "--kind", "case", "--field", "need=housing", "--json"], as: "alex"))
        try Data("a letter from the council".utf8).write(to: URL(fileURLWithPath: cli.path("letter.txt")))
        let attachment = try cli.id(cli.run(["attach", "add", caseID, cli.path("letter.txt"), "--json"], as: "alex"))
        #expect(try cli.run(["audit", "witness"], as: "kai").code == 0)
        let sqliteAudit = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])

        let url = try TestDatabase.make()
        let moved = try cli.run(["vault", "migrate", "--from", cli.vault, "--to", url, "--json"])
        #expect(moved.code == 0, "\(moved.err)")
        let report = try #require(try moved.json() as? [String: Any])
        #expect(report["entries"] as? Int == sqliteAudit["entries"] as? Int)
        #expect(report["root"] as? String == sqliteAudit["root"] as? String)
        #expect(report["copied_attachments"] as? Int == 1)
        #expect(!moved.out.contains("Sam Rivera"))

        // Same commands, same results, on the new engine, with the same keyfiles and remembered checkpoints.
        let onPostgres = ["KITH_VAULT": url]
        let audit = try #require(try cli.run(["audit", "verify", "--json"], environment: onPostgres).json() as? [String: Any])
        #expect(audit["valid"] as? Bool == true)
        #expect(audit["witnessed_checkpoint"] != nil)
        let shown = try cli.run(["record", "show", member, "--json"], as: "alex", environment: onPostgres)
        #expect((try shown.json() as? [String: Any]).flatMap { $0["fields"] as? [String: String] }?["name"] == "Sam Rivera")
        #expect(try cli.run(["attach", "get", attachment, "--out", cli.path("back.txt")], as: "alex", environment: onPostgres).code == 0)
        #expect(try String(contentsOfFile: cli.path("back.txt"), encoding: .utf8) == "a letter from the council")
        let status = try cli.run(["status", "--json"], as: "alex", environment: onPostgres)
        #expect((try status.json() as? [String: Any])?["engine"] as? String == "PostgreSQL")
        #expect(try cli.run(["record", "add", "--group", Self.group, "--kind", "member", "--field", "name=Jo"], as: "alex", environment: onPostgres).code == 0)

        // The PostgreSQL vault has moved on: migrating the old file over it again is refused.
        let again = try cli.run(["vault", "migrate", "--from", cli.vault, "--to", url])
        #expect(again.code == 64)
        #expect(again.err.contains("different vault"))
        // And it moves back to a new SQLite file just as well.
        let back = try cli.run(["vault", "migrate", "--from", url, "--to", cli.path("back.kith")])
        #expect(back.code == 0, "\(back.err)")
        #expect(back.out.contains("Both logs verify"))
    }

    @Test("a wrongly set up connection gets a clear error and the right exit code", .enabled(if: TestDatabase.available))
    func connectionErrors() throws {
        let url = try TestDatabase.make()
        let cli = try CLIHarness(vault: url)
        let address = try #require(URLComponents(string: url))
        let port = address.port ?? 5432
        let database = TestDatabase.name(of: url)
        func expect(_ vault: String, _ arguments: [String], code: Int32, says text: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws {
            var env = environment
            env["KITH_VAULT"] = vault
            let result = try cli.run(arguments, environment: env)
            #expect(result.code == code, "\(arguments): \(result.err)", sourceLocation: sourceLocation)
            #expect(result.err.contains(text), "\(arguments): \(result.err)", sourceLocation: sourceLocation)
            #expect(!result.err.contains("Fatal error"), sourceLocation: sourceLocation)
        }
        // A password in the address is refused before anything connects, and is not echoed.
        try expect("postgres://kith_test:hunter2@127.0.0.1:\(port)/\(database)", ["audit", "verify"], code: 64, says: "PGPASSWORD or ~/.pgpass")
        let echoed = try cli.run(["audit", "verify"], environment: ["KITH_VAULT": "postgres://kith_test:hunter2@127.0.0.1:\(port)/\(database)"])
        #expect(!echoed.err.contains("hunter2"))
        // The wrong password, no password, nothing listening, no such database, no vault yet.
        try expect(url, ["audit", "verify"], code: 77, says: "refused the login", environment: ["PGPASSWORD": "wrong", "PGPASSFILE": "/dev/null"])
        try expect(url, ["audit", "verify"], code: 77, says: "none is set", environment: ["PGPASSFILE": cli.path("no-such-pgpass")])
        try expect("postgres://kith_test@127.0.0.1:1/\(database)?sslmode=disable", ["audit", "verify"], code: 1, says: "cannot reach PostgreSQL")
        try expect("postgres://kith_test@127.0.0.1:\(port)/no_such_db?sslmode=disable", ["audit", "verify"], code: 66, says: "no_such_db")
        try expect(url, ["audit", "verify"], code: 66, says: "no vault in the database")
        // TLS demanded of a server without it: refused, not silently downgraded.
        try expect("postgres://kith_test@127.0.0.1:\(port)/\(database)?sslmode=require", ["audit", "verify"], code: 1, says: "does not offer TLS")
        try expect("postgres://kith_test@127.0.0.1:\(port)/\(database)?sslmode=sometimes", ["audit", "verify"], code: 64, says: "sslmode=sometimes is not known")
        // A password file others can read is refused, as libpq ignores one.
        try Data("*:*:*:*:whatever\n".utf8).write(to: URL(fileURLWithPath: cli.path("open.pgpass")))
        chmod(cli.path("open.pgpass"), 0o644)
        try expect(url, ["audit", "verify"], code: 64, says: "chmod 600", environment: ["PGPASSFILE": cli.path("open.pgpass")])
        // kith init into a database that already holds a vault leaves it alone.
        #expect(try cli.run(["init", "--handle", "ana", "--kdf", "interactive"], as: "ana").code == 0)
        let second = try cli.run(["init", "--handle", "bo", "--kdf", "interactive"], as: "bo")
        #expect(second.code == 64)
        #expect(second.err.contains("already holds a vault"))
        #expect(!FileManager.default.fileExists(atPath: cli.path("bo.kithid")))
    }
}
