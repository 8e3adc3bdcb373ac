import Foundation
import Testing

/// `kith vault heal` as an admin and two volunteers would meet it: the
/// vault file comes back from last night's copy, everyone's next command
/// refuses it and names the command, and the devices that saw the lost
/// work put it back.
@Suite("kith vault heal")
struct HealCLITests {
    @Test("a vault restored from a copy is refused, then healed from the devices that saw what it lost")
    func restoredAndHealed() throws {
        let cli = try CLIHarness.transSupport()
        let group = "Trans Support"
        let forgotten = try cli.id(
            cli.run(["record", "add", "--group", group, "--kind", "member", "--field", "name=سام ريفيرا", "--json"], as: "alex"))
        let backup = try cli.copyVault(to: "last-night.kith")

        // A day's work the copy lacks: a record from each, and an erasure.
        let byAlex = try cli.id(cli.run(["record", "add", "--group", group, "--kind", "member", "--field", "name=Noor", "--json"], as: "alex"))
        let byRobin = try cli.id(cli.run(["record", "add", "--group", group, "--kind", "member", "--field", "name=Sam", "--json"], as: "robin"))
        #expect(try cli.run(["record", "erase", forgotten, "--reason", "erasure request", "--yes"], as: "robin").code == 0)
        #expect(try cli.run(["record", "list", "--group", group], as: "alex").code == 0)

        // The disk dies; the copy comes back.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.vault + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: cli.vault)

        let refused = try cli.run(["record", "list", "--group", group], as: "robin")
        #expect(refused.code == 65)
        #expect(refused.err.contains("rolled back") && refused.err.contains("kith vault heal"), "\(refused.err)")

        let dry = try cli.run(["vault", "heal", "--dry-run"], as: "robin")
        #expect(dry.code == 0, "\(dry.err)")
        #expect(dry.out.contains("Would put back") && dry.out.contains("Nothing was written"), "\(dry.out)")
        #expect(try cli.run(["record", "list", "--group", group], as: "robin").code == 65)

        let healed = try cli.run(["vault", "heal"], as: "robin")
        #expect(healed.code == 0, "\(healed.err)")
        #expect(healed.out.contains("Put back") && healed.out.contains("erased record again"), "\(healed.out)")
        #expect(healed.out.contains("Still missing: 1 record version") && healed.out.contains(byAlex), "\(healed.out)")

        let second = try cli.run(["vault", "heal", "--json"], as: "alex")
        #expect(second.code == 0, "\(second.err)")
        let report = try #require(try second.json() as? [String: Any])
        #expect(report["restoredEntries"] as? Int == 0)
        #expect(report["restoredRecords"] as? Int == 1)
        #expect(report["stillMissingCount"] as? Int == 0)

        for (id, name) in [(byAlex, "Noor"), (byRobin, "Sam")] {
            let shown = try cli.run(["record", "show", id], as: "alex")
            #expect(shown.code == 0 && shown.out.contains(name), "\(shown.err)")
        }
        #expect(try cli.run(["record", "show", forgotten], as: "robin").code != 0)
        let verified = try cli.run(["audit", "verify"])
        #expect(verified.code == 0, "\(verified.out) \(verified.err)")
    }

    @Test("when someone wrote to the restored vault first, heal refuses, and an admin's accept-restore lets every device go on, saying what it lost")
    func acceptedRestore() throws {
        let cli = try CLIHarness.transSupport()
        let group = "Trans Support"
        let backup = try cli.copyVault(to: "last-night.kith")
        let lost = try cli.id(cli.run(["record", "add", "--group", group, "--kind", "member", "--field", "name=Lost", "--json"], as: "robin"))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.vault + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: cli.vault)
        // ana saw nothing newer, so her command writes to the restored vault: now the histories differ.
        #expect(try cli.run(["group", "create", "Food Bank"], as: "ana").code == 0)

        let healed = try cli.run(["vault", "heal"], as: "robin")
        #expect(healed.code == 65)
        #expect(healed.err.contains("someone wrote to the vault after it was restored"), "\(healed.err)")
        let notAdmin = try cli.run(["vault", "accept-restore", "--reason", "disk failed", "--yes"], as: "robin")
        #expect(notAdmin.code != 0 && notAdmin.err.contains("only an admin"), "\(notAdmin.err)")
        let unconfirmed = try cli.run(["vault", "accept-restore", "--reason", "disk failed"], as: "ana")
        #expect(unconfirmed.code != 0 && unconfirmed.err.contains("--yes"), "\(unconfirmed.err)")

        let accepted = try cli.run(["vault", "accept-restore", "--reason", "disk failed 5 Dec; restored the 4 Dec copy", "--yes"], as: "ana")
        #expect(accepted.code == 0, "\(accepted.err)")
        #expect(accepted.out.contains("Accepted the vault as restored"), "\(accepted.out)")

        let first = try cli.run(["record", "list", "--group", group], as: "robin")
        #expect(first.code == 0, "\(first.err) \(accepted.out)")
        #expect(first.err.contains("accepted this vault as restored") && first.err.contains("1 record written"), "\(first.err)")
        let second = try cli.run(["record", "list", "--group", group], as: "robin")
        #expect(second.code == 0 && !second.err.contains("accepted this vault"), "\(second.err)")
        #expect(try cli.run(["record", "show", lost], as: "robin").code != 0)
        let log = try cli.run(["audit", "log"], as: "ana")
        #expect(log.code == 0)
        #expect(try cli.run(["audit", "verify"]).code == 0)
    }

    @Test("heal explains itself, and a device that kept nothing says where to run it")
    func helpAndNothingKept() throws {
        let cli = try CLIHarness.transSupport()
        let help = try cli.run(["vault", "heal", "--help"])
        #expect(help.code == 0 && help.out.contains("restored") && help.out.contains("--dry-run"))
        let none = try cli.run(["vault", "heal"], as: "alex", environment: ["KITH_STATE_DIR": cli.path("empty-state")])
        #expect(none.code != 0)
        #expect(none.err.contains("keeps no copy of this vault's log"), "\(none.err)")
    }
}
