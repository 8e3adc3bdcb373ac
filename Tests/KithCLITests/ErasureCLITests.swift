import Foundation
import Testing

/// Forgetting a person through the built binary (issue 19): a subject's
/// access request, then their erasure request, and retention, as a lead
/// meets them.
@Suite("Erasure through kith")
struct ErasureCLITests {
    /// robin leads Trans Support, alex is a case worker; a member with a case and a note.
    static func setUp() throws -> (CLIHarness, member: String, caseID: String) {
        let cli = try CLIHarness.transSupport()
        let member = try cli.id(
            cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=سام ريفيرا", "--json"], as: "robin"))
        #expect(try cli.run(["record", "update", member, "--field", "pronouns=they/them"], as: "robin").code == 0)
        let caseID = try cli.id(
            cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--member", member, "--field", "need=housing", "--json"], as: "alex"))
        #expect(try cli.run(["note", "add", caseID, "--text", "called back"], as: "alex").code == 0)
        return (cli, member, caseID)
    }

    @Test("a subject access request exports every version and the log about them; the erasure request then takes all of it")
    func subjectRequests() throws {
        let (cli, member, caseID) = try Self.setUp()
        let out = cli.path("sam.json")
        // The member's file is in the member's group: --group may be left out.
        let exported = try cli.run(["export", "--member", member, "--out", out, "--reason", "subject access request"], as: "robin")
        #expect(exported.code == 0, "\(exported.err)")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let records = try #require(file["records"] as? [[String: Any]])
        #expect(records.map { $0["id"] as? String } == [member, member, caseID, records.last?["id"] as? String])
        #expect(records.map { $0["version"] as? Int } == [1, 2, 1, 1])
        let log = try #require(file["log"] as? [[String: Any]])
        #expect((file["about"] as? [String])?.first?.contains("everything the network's vault keeps about one person") == true)
        #expect(log.contains { ($0["summary"] as? String)?.contains("wrote member \(member) version 2") == true })
        #expect(log.contains { ($0["type"] as? String) == "record-read" })

        // Without a choice about the case, the refusal says how to make it; a script must say --yes.
        let undecided = try cli.run(["record", "erase", member, "--reason", "erasure request", "--yes"], as: "robin")
        #expect(undecided.code == 64 && undecided.err.contains("add --with-linked to erase it too, or --keep-cases to keep it"), "\(undecided.err)")
        let unasked = try cli.run(["record", "erase", member, "--with-linked", "--reason", "erasure request"], as: "robin")
        #expect(unasked.code == 64 && unasked.err.contains("pass --yes"), "\(unasked.err)")
        let byCaseworker = try cli.run(["record", "erase", member, "--with-linked", "--reason", "x", "--yes"], as: "alex")
        #expect(byCaseworker.code == 77 && byCaseworker.err.contains("only a lead of Trans Support may erase its records"), "\(byCaseworker.err)")
        let noReason = try cli.run(["record", "erase", member, "--with-linked", "--yes"], as: "robin")
        #expect(noReason.code == 64, "\(noReason.err)")

        let erased = try cli.run(["record", "erase", member, "--with-linked", "--reason", "erasure request from the member", "--yes"], as: "robin")
        #expect(erased.code == 0, "\(erased.err)")
        #expect(erased.out.contains("Erased 1 member, 1 case, 1 note from Trans Support (log entry"), "\(erased.out)")
        #expect(erased.out.contains("Backups and copies of the vault made before now still hold it"))
        let shown = try cli.run(["record", "show", String(member.prefix(8))], as: "alex")
        #expect(shown.code == 66 && shown.err.contains("was erased by a lead of Trans Support on"), "\(shown.err)")
        #expect(try cli.run(["record", "list", "--group", "Trans Support"], as: "alex").out.contains(member) == false)
        let history = try cli.run(["record", "history", member], as: "robin")
        #expect(history.code == 0 && history.out.contains("robin") && history.out.contains("Erased by robin"), "\(history.out)\(history.err)")
        let audit = try cli.run(["audit", "verify"], as: "robin")
        #expect(audit.code == 0 && audit.out.contains("3 records erased by leads"), "\(audit.out)\(audit.err)")
        let json = try #require(try cli.run(["audit", "verify", "--json"], as: "robin").json() as? [String: Any])
        #expect((json["records"] as? [String: Any])?["erased"] as? Int == 3)
        // Again: nothing is left, and it says so.
        let again = try cli.run(["record", "erase", caseID, "--reason", "again", "--json"], as: "robin")
        let report = try #require(try again.json() as? [String: Any])
        #expect(report["already_erased"] as? Bool == true && report["attachments_removed"] as? Int == 0)
        let log2 = try cli.run(["audit", "log", "--type", "records-erased"], as: "robin")
        #expect(log2.out.contains("erased 3 records of Trans Support"), "\(log2.out)")
    }

    @Test("retention: policy, show, a dry run, and apply with --yes; the output names the rule and what goes")
    func retention() throws {
        let (cli, _, caseID) = try Self.setUp()
        let policyFile = cli.path("policy.json")
        let shown = try cli.run(["policy", "show", "Trans Support", "--json"], as: "robin")
        var policy = try #require(try shown.json() as? [String: Any])
        policy["retention"] = ["note": 1]
        try JSONSerialization.data(withJSONObject: policy).write(to: URL(fileURLWithPath: policyFile))
        let set = try cli.run(["policy", "set", "Trans Support", policyFile], as: "robin")
        #expect(set.code == 0 && set.out.contains("Kept after they were last touched: note records 1 month"), "\(set.out)\(set.err)")
        let nothing = try cli.run(["retention", "show", "Trans Support"], as: "alex")
        #expect(nothing.code == 0 && nothing.out.contains("Nothing is past it."), "\(nothing.out)\(nothing.err)")
        let unnamed = try cli.run(["retention", "show"], as: "alex")
        #expect(unnamed.code == 64 && unnamed.err.contains("name the group, as GROUP or --group GROUP"), "\(unnamed.err)")
        let twice = try cli.run(["retention", "show", "Trans Support", "--group", "Other"], as: "alex")
        #expect(twice.code == 64 && twice.err.contains("two groups were named"), "\(twice.err)")
        let noGroup = try cli.run(["export", "--format", "csv"], as: "alex")
        #expect(noGroup.code == 64 && noGroup.err.contains("name the group to export with --group GROUP"), "\(noGroup.err)")
        // Forty days on (the writer's clock moved, as after a month of work).
        let later = ["KITH_TEST_CLOCK_OFFSET_DAYS": "40"]
        let due = try cli.run(["retention", "show", "--group", "Trans Support"], as: "alex", environment: later)
        #expect(due.out.contains("note") && due.out.contains("1 record in all."), "\(due.out)\(due.err)")
        let dry = try cli.run(["retention", "apply", "--group", "Trans Support", "--dry-run"], as: "robin", environment: later)
        #expect(dry.code == 0 && dry.out.contains("Nothing was erased (--dry-run)."), "\(dry.out)\(dry.err)")
        let refused = try cli.run(["retention", "apply", "--group", "Trans Support", "--yes"], as: "alex", environment: later)
        #expect(refused.code == 77, "\(refused.err)")
        let applied = try cli.run(["retention", "apply", "--group", "Trans Support", "--yes"], as: "robin", environment: later)
        #expect(applied.code == 0 && applied.out.contains("Erased 1 record of Trans Support in 1 batch."), "\(applied.out)\(applied.err)")
        let notes = try cli.run(["note", "list", caseID], as: "robin", environment: later)
        #expect(notes.code == 0 && !notes.out.contains("called back"), "\(notes.out)\(notes.err)")
        #expect(try cli.run(["audit", "verify"], as: "robin", environment: later).code == 0)
    }
}
