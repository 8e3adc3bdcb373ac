import Foundation
@testable import KithSQLite
import GRDB
import KithLog
import Testing
@testable import KithVault

@Suite("kith audit as an auditor runs it")
struct AuditCLITests {
    func vault() throws -> CLIHarness { try CLIHarness.auditedVault() }

    @Test("verify passes on a good log, prints the documented JSON, and the checkpoint verifies with the listed keys")
    func verifyGood() throws {
        let cli = try vault()
        let verified = try cli.run(["audit", "verify", "--json"])
        #expect(verified.code == 0, "\(verified.err)")
        let report = try #require(try verified.json() as? [String: Any])
        #expect(report["valid"] as? Bool == true)
        #expect((report["entries"] as? Int ?? 0) > 5)
        #expect((report["problems"] as? [String])?.isEmpty == true)
        let checkpoint = try cli.run(["audit", "checkpoint"], as: "kai")
        #expect(checkpoint.code == 0)
        let keys = try VerifierKeys.parse(try cli.run(["audit", "keys"], as: "kai").out).noteKeys
        #expect(keys.count == 4)  // three checkpoint keys, and kai's witness key
        let note = try SignedNote(parsing: checkpoint.out)
        #expect(try note.verify(trusted: keys).count == 1)
        #expect(try Checkpoint(text: note.text).root == Data(base64Encoded: report["root"] as? String ?? "").map { [UInt8]($0) })
        // --out writes a new file and never overwrites one.
        #expect(try cli.run(["audit", "checkpoint", "--out", cli.path("saved.checkpoint")]).code == 0)
        #expect(try String(contentsOfFile: cli.path("saved.checkpoint"), encoding: .utf8) == checkpoint.out)
        let again = try cli.run(["audit", "checkpoint", "--out", cli.path("saved.checkpoint")])
        #expect(again.code == 64)
        #expect(again.err.contains("exists"))
    }

    @Test("a second auditor gets the audit key only once an auditor confirms their fingerprint")
    func confirmAuditor() throws {
        let cli = try vault()
        #expect(try cli.run(["audit", "log"], as: "kai").code == 0)  // makes the key
        try cli.setUpMore(users: [("noor", "auditor")])
        let fingerprint = try #require(
            (try cli.run(["user", "list", "--json"], as: "ana").json() as? [[String: Any]])?.first { $0["handle"] as? String == "noor" }?["fingerprint"] as? String)
        let unconfirmed = try cli.run(["audit", "log"], as: "kai")
        #expect(unconfirmed.code == 0)
        #expect(unconfirmed.err.contains("noor waits for the audit key until an auditor confirms their key fingerprint"))
        #expect(unconfirmed.err.contains("--confirm-auditor"))
        #expect(try cli.run(["audit", "log"], as: "noor").err.contains("has not been sealed to you yet"))
        let wrong = try cli.run(["audit", "log", "--confirm-auditor", "AAAA-BBBB"], as: "kai")
        #expect(wrong.err.contains("noor waits"))
        let confirmed = try cli.run(["audit", "witness", "--confirm-auditor", fingerprint.lowercased()], as: "kai")
        #expect(confirmed.code == 0, "\(confirmed.err)")
        #expect(confirmed.err.contains("sealed the audit key to noor"))
        #expect(!(try cli.run(["audit", "log"], as: "noor").err.contains("has not been sealed")))
    }

    @Test("any single byte of any stored log entry flipped makes verify fail naming that entry")
    func everyByte() throws {
        let cli = try vault()
        let queue = try DatabaseQueue(path: cli.vault)
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT seq, entry FROM log_entries ORDER BY seq") }
        // Every byte of two entries (the grant and the record write), and one byte of every other entry.
        var cases: [(Int64, Int)] = []
        for row in rows {
            let seq: Int64 = row["seq"]
            let length = (row["entry"] as Data).count
            if seq >= Int64(rows.count) - 2 { cases += (0..<length).map { (seq, $0) } } else { cases.append((seq, length / 2)) }
        }
        for (seq, offset) in cases {
            let original: Data = try queue.read { db in try Data.fetchOne(db, sql: "SELECT entry FROM log_entries WHERE seq = ?", arguments: [seq]) ?? Data() }
            var flipped = original
            flipped[offset] ^= 0x01
            try queue.write { db in
                try db.execute(sql: "DROP TRIGGER IF EXISTS log_entries_no_update")
                try db.execute(sql: "UPDATE log_entries SET entry = ? WHERE seq = ?", arguments: [flipped, seq])
            }
            let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: cli.vault))
            #expect(!report.valid)
            #expect(report.problems.first?.hasPrefix("entry \(seq):") == true, "seq \(seq) offset \(offset): \(report.problems)")
            try queue.write { db in try db.execute(sql: "UPDATE log_entries SET entry = ? WHERE seq = ?", arguments: [original, seq]) }
        }
        // Through the binary: exit 65 and the entry named.
        let original: Data = try queue.read { db in try Data.fetchOne(db, sql: "SELECT entry FROM log_entries WHERE seq = 3") ?? Data() }
        var flipped = original
        flipped[flipped.count - 1] ^= 0x80
        try queue.write { db in try db.execute(sql: "UPDATE log_entries SET entry = ? WHERE seq = 3", arguments: [flipped]) }
        let failed = try cli.run(["audit", "verify"])
        #expect(failed.code == 65)
        #expect(failed.out.contains("entry 3:"))
        let json = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])
        #expect(json["valid"] as? Bool == false)
    }

    @Test("a rolled-back vault file is refused by a client that saw the newer one (exit 65)")
    func rollback() throws {
        let cli = try vault()
        let copy = try cli.copyVault(to: "old.kith")
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Later"], as: "robin").code == 0)
        let refused = try cli.run(["record", "list", "--group", "Trans Support", "--vault", copy], as: "robin")
        #expect(refused.code == 65)
        #expect(refused.err.contains("rolled back"))
        // ana never saw the newer log, so the old copy is consistent with everything she saw.
        #expect(try cli.run(["group", "list", "--vault", copy], as: "ana").code == 0)
    }
}
