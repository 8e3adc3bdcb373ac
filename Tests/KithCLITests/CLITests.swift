import Foundation
import GRDB
import Testing

@Suite("kith as a user runs it")
struct CLITests {
    /// A vault with a group where robin leads, alex is a case worker and kai audits.
    func groupWithRecords() throws -> (CLIHarness, member: String, caseID: String) {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("alex", "user"), ("kai", "auditor")])
        #expect(try cli.run(["group", "create", "Trans Support"], as: "ana").code == 0)
        #expect(try cli.run(["share", "Trans Support", "--with", "robin", "--role", "lead"], as: "ana").code == 0)
        #expect(try cli.run(["share", "Trans Support", "--with", "alex", "--role", "caseworker"], as: "robin").code == 0)
        let member = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam", "--field", "pronouns=they/them", "--json"], as: "alex"))
        let caseID = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--from-json", "-", "--json"], as: "alex", stdin: "{\"need\": \"housing\"}"))
        return (cli, member, caseID)
    }

    @Test("records, notes and listings print the documented JSON")
    func jsonShapes() throws {
        let (cli, member, caseID) = try groupWithRecords()
        let shown = try cli.run(["record", "show", member, "--json"], as: "alex")
        #expect(shown.code == 0)
        let record = try #require(try shown.json() as? [String: Any])
        #expect(record["id"] as? String == member)
        #expect(record["group"] as? String == "Trans Support")
        #expect(record["kind"] as? String == "member")
        #expect(record["version"] as? Int == 1)
        #expect(record["author"] as? String == "alex")
        #expect(record["fields"] as? [String: String] == ["name": "Sam", "pronouns": "they/them"])

        let list = try #require(try cli.run(["record", "list", "--group", "Trans Support", "--json"], as: "alex").json() as? [[String: Any]])
        #expect(Set(list.compactMap { $0["id"] as? String }) == [member, caseID])
        #expect(list.allSatisfy { $0["kind"] is String && $0["version"] is Int })

        let noteID = try cli.id(cli.run(["note", "add", caseID, "--text", "Called the shelter.", "--json"], as: "alex"))
        #expect(try cli.run(["note", "add", caseID, "--from-file", "-"], as: "robin", stdin: "Bed from Monday.").code == 0)
        let notes = try #require(try cli.run(["note", "list", caseID, "--json"], as: "alex").json() as? [[String: Any]])
        #expect(notes.count == 2)
        #expect(notes.first?["id"] as? String == noteID)
        #expect(notes.map { $0["text"] as? String } == ["Called the shelter.", "Bed from Monday."])
        #expect(notes.map { $0["author"] as? String } == ["alex", "robin"])
        #expect(notes.allSatisfy { $0["time"] is String })

        let users = try #require(try cli.run(["enroll", "list", "--json"], as: "alex").json() as? [[String: Any]])
        #expect(users.map { $0["handle"] as? String } == ["ana", "robin", "alex", "kai"])
        #expect(users.map { $0["role"] as? String } == ["admin", "user", "user", "auditor"])
        #expect(users.allSatisfy { ($0["id"] as? String)?.count == 32 })

        #expect(try cli.run(["record", "update", member, "--field", "pronouns=she/they"], as: "alex").code == 0)
        let history = try #require(try cli.run(["record", "history", member, "--json"], as: "alex").json() as? [[String: Any]])
        #expect(history.map { $0["version"] as? Int } == [1, 2])
    }

    @Test("access denied, not found and bad usage have their exit codes and say what to do")
    func exitCodes() throws {
        let (cli, member, _) = try groupWithRecords()
        let auditor = try cli.run(["record", "show", member], as: "kai")
        #expect(auditor.code == 77)
        #expect(auditor.err.contains("access denied: you have no role in group Trans Support"))
        #expect(auditor.out.isEmpty)
        let admin = try cli.run(["record", "show", member], as: "ana")
        #expect(admin.code == 77)
        let grant = try cli.run(["share", "Trans Support", "--with", "ana", "--role", "viewer"], as: "alex")
        #expect(grant.code == 77)
        let missing = try cli.run(["record", "show", String(repeating: "ab", count: 16)], as: "alex")
        #expect(missing.code == 66)
        #expect(missing.err.contains("not found"))
        let noVault = try cli.run(["enroll", "list", "--vault", cli.path("nowhere.kith")], as: "alex")
        #expect(noVault.code == 66)
        #expect(noVault.err.contains("kith init"))
        let noRequest = try cli.run(["enroll", "approve", cli.path("nowhere.request"), "--role", "user", "--yes"], as: "ana")
        #expect(noRequest.code == 66)
        #expect(noRequest.err.contains("not found: enrolment request"))
        let badID = try cli.run(["record", "show", "not-an-id"], as: "alex")
        #expect(badID.code == 64)
        let badRole = try cli.run(["share", "Trans Support", "--with", "kai", "--role", "boss"], as: "robin")
        #expect(badRole.code == 64)
        #expect(badRole.err.contains("The value 'boss' is invalid for '--role <role>'. Please provide one of 'lead', 'caseworker' or 'viewer'."))
        let unknownOption = try cli.run(["record", "list", "--colour"], as: "alex")
        #expect(unknownOption.code == 64)
        for result in [auditor, admin, grant, missing, noVault, noRequest, badID, badRole, unknownOption] {
            #expect(!result.err.contains("Fatal error") && !result.err.contains("Stack dump"))
        }
    }

    @Test("a wrong passphrase is refused and changes nothing")
    func wrongPassphrase() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [])
        let keyfile = try Data(contentsOf: URL(fileURLWithPath: cli.path("ana.kithid")))
        try Data("not it\n".utf8).write(to: URL(fileURLWithPath: cli.path("wrong.pass")))
        let result = try cli.run(["enroll", "list", "--identity", cli.path("ana.kithid"), "--passphrase-file", cli.path("wrong.pass")])
        #expect(result.code == 77)
        #expect(result.err.contains("wrong passphrase"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.path("ana.kithid"))) == keyfile)
        // The environment variable works too, and is never needed on the command line.
        let viaEnvironment = try cli.run(["enroll", "list", "--identity", cli.path("ana.kithid")], environment: ["KITH_PASSPHRASE": "test-only passphrase of ana"])
        #expect(viaEnvironment.code == 0)
    }

    @Test("init and enroll request never overwrite a file")
    func noClobber() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [])
        let again = try cli.run(["init", "--handle", "ana"], as: "ana")
        #expect(again.code == 64)
        #expect(again.err.contains("already exists"))
        let request = try cli.run(["enroll", "request", "--handle", "ana2", "--out", cli.path("x.request")], as: "ana")
        #expect(request.code == 64)
    }

    @Test("a forged request is refused with exit 65")
    func forgedRequest() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [])
        try cli.run(["enroll", "request", "--handle", "mallory", "--out", cli.path("m.request"), "--kdf", "interactive"], as: "mallory")
        let text = try String(contentsOfFile: cli.path("m.request"), encoding: .utf8)
        try text.replacingOccurrences(of: "handle mallory", with: "handle admin2").write(toFile: cli.path("forged.request"), atomically: true, encoding: .utf8)
        let result = try cli.run(["enroll", "approve", cli.path("forged.request"), "--role", "admin", "--yes"], as: "ana")
        #expect(result.code == 65)
        #expect(result.err.contains("altered or forged"))
        // Without --yes and without a terminal, approval is refused rather than silent.
        let unconfirmed = try cli.run(["enroll", "approve", cli.path("m.request"), "--role", "user"], as: "ana")
        #expect(unconfirmed.code == 64)
        #expect(unconfirmed.err.contains("--yes"))
    }

    @Test("tampered record bytes: exit 65, naming the record")
    func tamperedRecord() throws {
        let (cli, member, _) = try groupWithRecords()
        // Someone with the file flips one byte of the stored record, in the middle of its ciphertext.
        let queue = try DatabaseQueue(path: cli.vault)
        try queue.write { db in
            let blob = try #require(try Data.fetchOne(db, sql: "SELECT body FROM records WHERE hex(record_id) = ?", arguments: [member.uppercased()]))
            var bytes = [UInt8](blob)
            bytes[bytes.count / 2] ^= 0x01
            try db.execute(sql: "UPDATE records SET body = ? WHERE hex(record_id) = ?", arguments: [Data(bytes), member.uppercased()])
        }
        let shown = try cli.run(["record", "show", member], as: "alex")
        #expect(shown.code == 65)
        #expect(shown.err.contains("integrity check failed: record \(member)"))
        #expect(shown.out.isEmpty)
        // An export writes the rest, names the damaged one, and fails.
        let exported = try cli.run(["export", "--group", "Trans Support", "--format", "json", "--out", cli.path("rest.json")], as: "alex")
        #expect(exported.code == 65)
        #expect(exported.err.contains("record \(member) was left out of the export"))
        #expect(exported.err.contains("1 record could not be read"))
        let written = try String(contentsOfFile: cli.path("rest.json"), encoding: .utf8)
        #expect(!written.contains(member) && written.contains("\"records\""))
    }

    @Test("revoke: the removed case worker is refused; the lead still reads")
    func revoke() throws {
        let (cli, member, _) = try groupWithRecords()
        let revoked = try cli.run(["revoke", "Trans Support", "--from", "alex"], as: "robin")
        #expect(revoked.code == 0, "\(revoked.err)")
        let newRecord = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Later", "--json"], as: "robin"))
        for id in [member, newRecord] {
            let denied = try cli.run(["record", "show", id], as: "alex")
            #expect(denied.code == 77)
            #expect(denied.err.contains("no role in group Trans Support"))
        }
        #expect(try cli.run(["record", "show", newRecord], as: "robin").code == 0)
        #expect(try cli.run(["revoke", "Trans Support", "--from", "alex"], as: "robin").code == 64)
        #expect(try cli.run(["revoke", "Trans Support", "--from", "robin"], as: "ana").code == 77)
    }

    @Test("two kith processes writing at once both succeed; the log stays linear")
    func concurrentProcesses() throws {
        let (cli, _, _) = try groupWithRecords()
        let writers = ["alex", "robin"]
        let perWriter = 6
        DispatchQueue.concurrentPerform(iterations: writers.count) { index in
            for n in 0..<perWriter {
                let result = try? cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=\(writers[index])-\(n)"], as: writers[index])
                #expect(result?.code == 0, "\(result?.err ?? "")")
            }
        }
        let list = try #require(try cli.run(["record", "list", "--group", "Trans Support", "--kind", "member", "--json"], as: "robin").json() as? [[String: Any]])
        #expect(list.count == 1 + writers.count * perWriter)
    }
}
