import Foundation
import Testing

/// One user with several terminals and a script, and several users, all
/// running fresh `kith` processes at once: every process opens the vault,
/// checks the remembered checkpoint against the store and resumes from its
/// cache while others move both. None may see a rollback or fork that did
/// not happen, and every write must land exactly once.
@Suite("Concurrent commands: no false alarms", .serialized)
struct ConcurrentCommandsCLITests {
    static let group = "Support"

    static var engines: [PostgresCLITests.Engine] { TestDatabase.available ? [.sqlite, .postgres] : [.sqlite] }

    @Test("eight processes of one user and eight of different users write and read at once", arguments: engines)
    func freshProcesses(engine: PostgresCLITests.Engine) throws {
        let cli = try CLIHarness(vault: engine == .postgres ? TestDatabase.make() : nil)
        let others = (2...9).map { "w\($0)" }
        try cli.setUp(founder: "ana", users: (["w1"] + others).map { ($0, "user") })
        #expect(try cli.run(["group", "create", Self.group], as: "ana").code == 0)
        #expect(try cli.run(["share", Self.group, "--with", "w1", "--role", "lead"], as: "ana").code == 0)
        for writer in others {
            #expect(try cli.run(["share", Self.group, "--with", writer, "--role", "caseworker"], as: "w1").code == 0)
        }
        // Everyone has opened the vault once, so each has a remembered checkpoint and a resume cache to race on.
        for user in ["w1"] + others { #expect(try cli.run(["group", "list"], as: user).code == 0) }
        let before = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])["entries"] as? Int ?? -1

        // Sixteen workers: eight are w1 (one user, many terminals), eight are w2...w9.
        let workers = Array(repeating: "w1", count: 8) + others
        let rounds = 3
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: workers.count) { index in
            let user = workers[index]
            for round in 1...rounds {
                let name = "\(user)-\(index)-\(round)"
                for arguments in [
                    ["record", "add", "--group", Self.group, "--kind", "member", "--field", "name=\(name)"],
                    ["record", "list", "--group", Self.group],
                ] {
                    do {
                        let result = try cli.run(arguments, as: user)
                        if result.code != 0 { failures.add("\(user) \(arguments[0]) \(arguments[1]): exit \(result.code): \(result.err)") }
                    } catch {
                        failures.add("\(user): \(error)")
                    }
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.joined(separator: "\n"))")
        #expect(!failures.all.contains { $0.contains("rolled back") || $0.contains("differs from what you saw") })

        let written = workers.count * rounds
        let audit = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])
        #expect(audit["valid"] as? Bool == true, "\(audit["problems"] ?? "")")
        #expect(audit["entries"] as? Int == before + written)
        let listing = try cli.run(["record", "list", "--group", Self.group, "--json"], as: "w1")
        let rows = try #require(try listing.json() as? [[String: Any]])
        #expect(rows.count == written)
        // Each user's next command still opens cleanly, from its cache.
        for user in ["w1"] + others {
            let result = try cli.run(["record", "list", "--group", Self.group, "--json"], as: user)
            #expect(result.code == 0, "\(result.err)")
            #expect((try? result.json() as? [[String: Any]])?.count == written)
        }
    }
}

/// Failures collected from many threads.
final class Failures: @unchecked Sendable {
    // @unchecked: `lock` guards `items`.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
