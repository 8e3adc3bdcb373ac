import Foundation
import Testing

/// `kith attach` through the built binary: the documented output, JSON and exit codes.
@Suite("kith attach")
struct AttachCLITests {
    @Test("add, list and get round-trip a file; every failure has its exit code and leaves nothing behind")
    func attach() throws {
        let cli = try CLIHarness.auditedVault()
        let caseID = try cli.id(
            cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=housing", "--json"], as: "robin"))
        let letter = cli.path("letter.txt")
        try Data("A bed from Monday.\n".utf8).write(to: URL(fileURLWithPath: letter))

        let added = try cli.run(["attach", "add", caseID, letter, "--name", "shelter letter", "--json"], as: "robin")
        #expect(added.code == 0, "\(added.err)")
        let id = try cli.id(added)

        let listed = try cli.run(["attach", "list", caseID, "--json"], as: "robin")
        let rows = try #require(try listed.json() as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(Set(rows[0].keys) == ["id", "name", "size", "author", "time", "compartment", "withheld"])
        #expect(rows[0]["name"] as? String == "shelter letter")
        #expect(rows[0]["size"] as? Int == 19)
        #expect(try cli.run(["attach", "list", caseID], as: "robin").out.contains("19 bytes"))

        let out = cli.path("copy.txt")
        let got = try cli.run(["attach", "get", id, "--out", out], as: "robin")
        #expect(got.code == 0, "\(got.err)")
        #expect(got.out.contains("Saved shelter letter (19 bytes)"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "A bed from Monday.\n")

        // --out never overwrites (64); a missing input is 66; an auditor has no role (77).
        let again = try cli.run(["attach", "get", id, "--out", out], as: "robin")
        #expect(again.code == 64)
        #expect(again.err.contains("already exists"))
        #expect(try cli.run(["attach", "add", caseID, cli.path("nope.pdf")], as: "robin").code == 66)
        #expect(try cli.run(["attach", "get", id, "--out", cli.path("kai.txt")], as: "kai").code == 77)
        #expect(try cli.run(["attach", "add", caseID, letter, "--compartment", "secret"], as: "robin").code == 64)
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "attachment", "--field", "a=b"], as: "robin").code == 64)

        // A damaged stored file: 65, and no copy appears.
        let stored = cli.vault + ".files/" + id
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        bytes[bytes.count - 3] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: stored))
        let damaged = try cli.run(["attach", "get", id, "--out", cli.path("damaged.txt")], as: "robin")
        #expect(damaged.code == 65)
        #expect(damaged.err.contains("damaged"))
        #expect(!FileManager.default.fileExists(atPath: cli.path("damaged.txt")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.path("")).filter { $0.hasSuffix(".partial") }.isEmpty)
    }
}
