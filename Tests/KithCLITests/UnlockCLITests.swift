import Foundation
import Testing

/// `kith unlock`, `lock` and `status` through the built binary, with a real
/// detached agent process.
@Suite("kith unlock, lock and status")
struct UnlockCLITests {
    @Test("after unlock, ten notes need no passphrase; status tells; lock ends it; a wrong passphrase starts nothing")
    func unlockThenWork() throws {
        let cli = try CLIHarness.auditedVault()
        let caseID = try cli.id(
            cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=housing", "--json"], as: "robin"))
        let identity = ["--identity", cli.path("robin.kithid")]

        // Locked: status asks for nothing and says so.
        let locked = try cli.run(["status", "--json"] + identity)
        #expect(locked.code == 0, "\(locked.err)")
        let lockedObject = try #require(try locked.json() as? [String: Any])
        #expect(lockedObject["unlocked"] as? Bool == false)
        #expect(lockedObject["handle"] as? String == "robin")

        try Data("not robin's\n".utf8).write(to: URL(fileURLWithPath: cli.path("wrong.pass")))
        let wrong = try cli.run(["unlock", "--passphrase-file", cli.path("wrong.pass")] + identity)
        #expect(wrong.code == 77)
        #expect(try cli.run(["unlock", "--for", "3s"], as: "robin").code == 64)

        let unlocked = try cli.run(["unlock", "--for", "10m"], as: "robin")
        #expect(unlocked.code == 0, "\(unlocked.err)")
        #expect(unlocked.out.contains("Unlocked robin"))
        defer { _ = try? cli.run(["lock"] + identity) }
        for index in 1...10 {
            // No --passphrase-file, no KITH_PASSPHRASE, no terminal: only the agent can sign.
            let note = try cli.run(["note", "add", caseID, "--text", "Note \(index)"] + identity)
            #expect(note.code == 0, "\(note.err)")
        }
        let status = try cli.run(["status", "--json"] + identity)
        let object = try #require(try status.json() as? [String: Any])
        #expect(object["unlocked"] as? Bool == true)
        #expect(object["role"] as? String == "user")
        #expect((object["groups"] as? [[String: String]])?.first?["role"] == "lead")
        #expect((object["idle_limit_seconds"] as? Int) == 600)
        #expect(try cli.run(["status"] + identity).out.contains("Unlocked:  yes"))
        #expect(try cli.run(["unlock"], as: "robin").out.contains("Already unlocked"))

        let lock = try cli.run(["lock"] + identity)
        #expect(lock.code == 0)
        #expect(lock.out.contains("Locked robin"))
        let after = try cli.run(["note", "add", caseID, "--text", "After lock"] + identity)
        #expect(after.code == 64)
        #expect(after.err.contains("passphrase"))
        #expect(try cli.run(["lock"] + identity).out.contains("was not unlocked"))
    }

    @Test("unlock as a new user's very first command ties the keyfile to the vault, so the next command asks for nothing")
    func unlockFirst() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user")])
        let identity = ["--identity", cli.path("robin.kithid")]
        // With no vault named, unlock says what it needs instead of starting an agent nobody can use.
        let nowhere = try cli.run(["unlock"], as: "robin", environment: ["KITH_VAULT": ""])
        #expect(nowhere.code == 64 && nowhere.err.contains("not tied to a vault yet"), "\(nowhere.err)")
        let unlocked = try cli.run(["unlock", "--for", "10m"], as: "robin")
        #expect(unlocked.code == 0, "\(unlocked.err)")
        #expect(unlocked.err.contains("pinned to vault") && unlocked.out.contains("Unlocked robin"))
        defer { _ = try? cli.run(["lock"] + identity) }
        // No passphrase anywhere: only the agent can open it.
        let listed = try cli.run(["group", "list"] + identity)
        #expect(listed.code == 0, "\(listed.err)")
        #expect(try cli.run(["status", "--json"] + identity).json() as? [String: Any] != nil)
    }
}
