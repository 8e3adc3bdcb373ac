import Foundation
import Testing

@testable import KithPostgres

/// Lost connections (issue 25, part 4): four case workers add records
/// while the connections to their vault's database are cut again and again
/// (pg_terminate_backend, as a server restart or a broken network does to a
/// client) and, for a while, the database refuses new connections as a
/// restarting server would. Only this test's database is touched, so the
/// other tests sharing the server carry on. Every command either succeeds,
/// with its record there exactly once, or fails with a plain message and
/// no record; nothing is written twice and the log verifies.
@Suite("Lost connections while several clients write", .enabled(if: TestDatabase.available))
struct LostConnectionCLITests {
    static let group = "Support"

    struct Attempt: Sendable {
        let name: String
        let code: Int32
        let err: String
    }

    final class Attempts: @unchecked Sendable {
        // @unchecked: `lock` guards `items`.
        private let lock = NSLock()
        private var items: [Attempt] = []
        func add(_ item: Attempt) { lock.withLock { items.append(item) } }
        var all: [Attempt] { lock.withLock { items } }
    }

    @Test("connections cut and refused during writes from four clients: each write is done once or plainly refused, none is doubled, the log verifies")
    func storm() throws {
        let url = try TestDatabase.make()
        let database = TestDatabase.name(of: url)
        let cli = try CLIHarness(vault: url)
        let writers = ["w1", "w2", "w3", "w4"]
        try cli.setUp(founder: "ana", users: (["lead"] + writers).map { ($0, "user") })
        #expect(try cli.run(["group", "create", Self.group], as: "ana").code == 0)
        #expect(try cli.run(["share", Self.group, "--with", "lead", "--role", "lead"], as: "ana").code == 0)
        for writer in writers { #expect(try cli.run(["share", Self.group, "--with", writer, "--role", "caseworker"], as: "lead").code == 0) }

        let operatorConnection = try TestDatabase.connection()
        let stop = Flag()
        let cuts = Counter()
        // The disruption: cut every kith connection to this database every
        // 40 to 200 ms; twice, refuse new connections for half a second.
        let disruptor = Thread {
            var round = 0
            while !stop.isSet {
                round += 1
                if round % 15 == 5 { _ = try? operatorConnection.execute("ALTER DATABASE \(database) ALLOW_CONNECTIONS false") }
                let cut = try? operatorConnection.query(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)' AND application_name = 'kith'")
                cuts.add(Int((try? cut?.first?.decode(Int64.self)) ?? 0))
                if round % 15 == 5 {
                    usleep(500_000)
                    _ = try? operatorConnection.execute("ALTER DATABASE \(database) ALLOW_CONNECTIONS true")
                }
                usleep(UInt32.random(in: 40_000...200_000))
            }
            _ = try? operatorConnection.execute("ALTER DATABASE \(database) ALLOW_CONNECTIONS true")
        }
        disruptor.start()
        let attempts = Attempts()
        DispatchQueue.concurrentPerform(iterations: writers.count) { index in
            for round in 1...12 {
                let name = "\(writers[index])-\(round)"
                let result = try? cli.run(["record", "add", "--group", Self.group, "--kind", "member", "--field", "name=\(name)"], as: writers[index])
                attempts.add(Attempt(name: name, code: result?.code ?? -1, err: result?.err ?? "did not run"))
            }
        }
        stop.set()
        while disruptor.isExecuting { usleep(10_000) }

        let all = attempts.all
        let failed = all.filter { $0.code != 0 }
        print("lost connections: \(all.count) writes, \(failed.count) refused, \(cuts.total) connections cut")
        #expect(cuts.total > 0, "nothing was cut: the test tested nothing")
        for attempt in failed {
            #expect([1, 75].contains(attempt.code), "\(attempt.name): exit \(attempt.code): \(attempt.err)")
            #expect(attempt.err.contains("PostgreSQL") && !attempt.err.contains("Fatal error"), "\(attempt.name): \(attempt.err)")
            // A plain sentence: no bare SQLSTATE, and it says what to do.
            #expect(!attempt.err.contains("reported 5") && attempt.err.contains("try again"), "\(attempt.name): \(attempt.err)")
        }
        let listing = try cli.run(["record", "list", "--group", Self.group, "--json"], as: "lead")
        #expect(listing.code == 0, "\(listing.err)")
        let ids = try #require(try listing.json() as? [[String: Any]]).compactMap { $0["id"] as? String }
        var names: [String: Int] = [:]
        for id in ids {
            let shown = try #require(try cli.run(["record", "show", id, "--json"], as: "lead").json() as? [String: Any])
            if let name = (shown["fields"] as? [String: String])?["name"] { names[name, default: 0] += 1 }
        }
        // Done once when it said so; never twice. A refused write may have
        // landed only if the message said it could not tell.
        for attempt in all {
            let count = names[attempt.name] ?? 0
            #expect(count <= 1, "\(attempt.name) was written \(count) times")
            if attempt.code == 0 { #expect(count == 1, "\(attempt.name) said done and is not there") }
            if attempt.code != 0 && count == 1 {
                #expect(attempt.err.contains("may or may not"), "\(attempt.name) was refused (\(attempt.err)) yet is there")
            }
        }
        let audit = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])
        #expect(audit["valid"] as? Bool == true, "\(audit["problems"] ?? "")")
    }
}

/// A flag one thread sets and another reads.
final class Flag: @unchecked Sendable {
    // @unchecked: `lock` guards `value`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// A running total one thread adds to.
final class Counter: @unchecked Sendable {
    // @unchecked: `lock` guards `value`.
    private let lock = NSLock()
    private var value = 0
    func add(_ amount: Int) { lock.withLock { value += amount } }
    var total: Int { lock.withLock { value } }
}
