import Foundation
import Testing

/// Everyday case work through the built binary (issue 21): what a case
/// worker, a lead and an auditor meet in a normal week.
@Suite("Everyday case work through kith")
struct CaseWorkCLITests {
    /// robin leads Trans Support, alex is a case worker there; one member
    /// record with a sensitive field, written by robin.
    static func setUp() throws -> (CLIHarness, String) {
        let cli = try CLIHarness.transSupport()
        let member = try cli.id(
            cli.run(
                [
                    "record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=مُحَمَّد الحَلَبِيّ", "--field", "phone=+961 70 000 001",
                    "--field", "sensitive:hiv_status=positive", "--json",
                ], as: "robin"))
        return (cli, member)
    }

    @Test("a case worker fixes a phone number on a record with sensitive fields; the lead still reads them")
    func caseworkerUpdatesBesideSensitive() throws {
        let (cli, member) = try Self.setUp()
        let updated = try cli.run(["record", "update", member, "--field", "phone=+961 70 000 002"], as: "alex")
        #expect(updated.code == 0, "\(updated.err)")
        #expect(updated.out.contains("is now at version 2"))
        #expect(updated.out.contains("Its sensitive fields were kept exactly as they were (carried forward unchanged, unread)."))
        let shown = try #require(try cli.run(["record", "show", member, "--json"], as: "robin").json() as? [String: Any])
        let fields = try #require(shown["fields"] as? [String: String])
        #expect(fields["hiv_status"] == "positive" && fields["phone"] == "+961 70 000 002")
        let history = try cli.run(["record", "history", member], as: "robin")
        #expect(history.out.contains("profile,sensitive (carried)"), "\(history.out)")
        // Changing the sensitive field is still refused, naming who can.
        let refused = try cli.run(["record", "update", member, "--field", "sensitive:hiv_status=negative"], as: "alex")
        #expect(refused.code == 77 && refused.err.contains("a lead of Trans Support can"), "\(refused.err)")
        #expect(try cli.run(["audit", "verify"], as: "robin").code == 0)
    }

    @Test("a case worker lists a case's attachments when the lead added a sensitive one: it is listed as withheld, not an alarm")
    func withheldAttachment() throws {
        let (cli, _) = try Self.setUp()
        let caseID = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "title=housing", "--json"], as: "robin"))
        let file = cli.path("letter.pdf")
        try Data("a letter".utf8).write(to: URL(fileURLWithPath: file))
        let open = try cli.id(cli.run(["attach", "add", caseID, file, "--name", "رسالة.pdf", "--json"], as: "robin"))
        let sealed = try cli.id(cli.run(["attach", "add", caseID, file, "--name", "test-results.pdf", "--compartment", "sensitive", "--json"], as: "robin"))
        let listed = try cli.run(["attach", "list", caseID], as: "alex")
        #expect(listed.code == 0, "\(listed.err)")
        #expect(listed.out.contains("رسالة.pdf") && listed.out.contains("(withheld: sensitive)") && !listed.out.contains("test-results"), "\(listed.out)")
        let json = try #require(try cli.run(["attach", "list", caseID, "--json"], as: "alex").json() as? [[String: Any]])
        #expect(json.map { $0["id"] as? String } == [open, sealed])
        #expect(json[1]["withheld"] as? Bool == true && json[1]["name"] is NSNull && json[0]["withheld"] as? Bool == false)
        // Opening it is refused as a right, not as damage; the lead sees both names.
        let refused = try cli.run(["attach", "get", sealed, "--out", cli.path("out.pdf")], as: "alex")
        #expect(refused.code == 77, "\(refused.err)")
        #expect(try cli.run(["attach", "list", caseID], as: "robin").out.contains("test-results.pdf"))
    }

    @Test("a semicolon-separated sheet from Excel, with a byte order mark and CRLF, imports; the dry run says which delimiter it read")
    func semicolonSheet() throws {
        let (cli, _) = try Self.setUp()
        let sheet = cli.path("members.csv")
        try (Data([0xEF, 0xBB, 0xBF]) + Data("name;phone;pronouns\r\nسارة;+961 70 111 222;she\r\nDee;07700 900123;they\r\n;;\r\n".utf8))
            .write(to: URL(fileURLWithPath: sheet))
        let dry = try cli.run(["import", sheet, "--group", "Trans Support", "--kind", "member", "--dry-run"], as: "alex")
        #expect(dry.code == 0, "\(dry.err)")
        #expect(dry.out.contains("Cells are separated by a semicolon (found from the header row; --delimiter changes it)."), "\(dry.out)")
        #expect(dry.out.contains("Would import 2 member records"))
        let dryJSON = try #require(try cli.run(["import", sheet, "--group", "Trans Support", "--kind", "member", "--dry-run", "--json"], as: "alex").json() as? [String: Any])
        #expect(dryJSON["delimiter"] as? String == "semicolon")
        // Forced to commas, it is refused with the way out.
        let forced = try cli.run(["import", sheet, "--group", "Trans Support", "--kind", "member", "--delimiter", "comma"], as: "alex")
        #expect(forced.code == 64 && forced.err.contains("pass --delimiter semicolon"), "\(forced.err)")
        let imported = try cli.run(["import", sheet, "--group", "Trans Support", "--kind", "member"], as: "alex")
        #expect(imported.code == 0 && imported.out.contains("Imported 2 member records"), "\(imported.err)")
        let found = try cli.run(["find", "--group", "Trans Support", "سارة", "--json"], as: "alex")
        #expect(found.code == 0 && found.out.contains("\"total\" : 1"), "\(found.out) \(found.err)")
    }

    @Test("an Arabic handle enrols, is shared a group and named in listings; a look-alike of it and a mixed-script one are refused")
    func arabicHandle() throws {
        let (cli, member) = try Self.setUp()
        try cli.setUpMore(users: [("سارة", "user")])
        let shared = try cli.run(["share", "Trans Support", "--with", "سارة", "--role", "caseworker"], as: "robin")
        #expect(shared.code == 0, "\(shared.err)")
        #expect(try cli.run(["record", "show", member], as: "سارة").code == 0)
        let users = try cli.run(["enroll", "list"], as: "ana")
        #expect(users.out.contains("سارة"), "\(users.out)")
        // ساره (with heh for teh marbuta) reads as the same name: refused at approval, naming the enrolled one.
        try cli.run(["enroll", "request", "--handle", "ساره", "--out", cli.path("lookalike.request"), "--kdf", "interactive"], as: "ساره")
        let refused = try cli.run(["enroll", "approve", cli.path("lookalike.request"), "--role", "user", "--yes"], as: "ana")
        #expect(refused.code == 64 && refused.err.contains("looks like 'سارة'"), "\(refused.err)")
        let mixed = try cli.run(["enroll", "request", "--handle", "sاra", "--out", cli.path("mixed.request"), "--kdf", "interactive"], as: "mixed")
        #expect(mixed.code == 64 && mixed.err.contains("mixes letters of Arabic and Latin"), "\(mixed.err)")
    }

    @Test("record history --diff shows each version's changes field by field, and of hidden compartments only kept or rewritten")
    func historyDiff() throws {
        let (cli, member) = try Self.setUp()
        #expect(try cli.run(["record", "update", member, "--field", "phone=+961 70 000 002"], as: "alex").code == 0)
        #expect(try cli.run(["record", "update", member, "--field", "sensitive:hiv_status=undetectable", "--field", "email=m@example.org"], as: "robin").code == 0)
        let lead = try cli.run(["record", "history", member, "--diff"], as: "robin")
        #expect(lead.code == 0, "\(lead.err)")
        #expect(lead.out.contains("version 1 by robin") && lead.out.contains("  + name: \u{2068}مُحَمَّد الحَلَبِيّ\u{2069}"), "\(lead.out)")
        #expect(lead.out.contains("  ~ phone: +961 70 000 001 -> +961 70 000 002"))
        #expect(lead.out.contains("  ~ hiv_status (sensitive): positive -> undetectable"))
        #expect(lead.out.contains("  + email: m@example.org"))
        let worker = try cli.run(["record", "history", member, "--diff"], as: "alex")
        #expect(worker.code == 0, "\(worker.err)")
        #expect(!worker.out.contains("positive") && !worker.out.contains("undetectable") && !worker.out.contains("hiv_status"), "\(worker.out)")
        #expect(worker.out.contains("sensitive: kept unchanged (your role may not read it)"))
        #expect(worker.out.contains("sensitive: written again (your role may not read it, so what changed is not shown)"))
        let json = try #require(try cli.run(["record", "history", member, "--diff", "--json"], as: "alex").json() as? [[String: Any]])
        #expect(json.count == 3 && json[1]["withheld_kept"] as? [String] == ["sensitive"] && json[2]["withheld_rewritten"] as? [String] == ["sensitive"])
        let change = try #require((json[1]["changes"] as? [[String: Any]])?.first)
        #expect(change["field"] as? String == "phone" && change["before"] as? String == "+961 70 000 001" && change["after"] as? String == "+961 70 000 002")
        // Reading the history is logged, as reading each version is; the plain history reads nothing.
        let log = try cli.run(["audit", "log", "--record", member], as: "robin")
        #expect(log.out.contains("read the history of member (3 reads, entries"), "\(log.out)")
    }

    @Test("a case about a member: record add --member, and record show of the member lists its cases")
    func caseAboutMember() throws {
        let (cli, member) = try Self.setUp()
        let added = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--member", member, "--field", "need=housing", "--json"], as: "alex")
        let caseID = try cli.id(added)
        let shown = try cli.run(["record", "show", member], as: "alex")
        #expect(shown.out.contains("Cases about this member:") && shown.out.contains(caseID), "\(shown.out)")
        let caseShown = try cli.run(["record", "show", caseID], as: "alex")
        #expect(caseShown.out.contains("about member \(member)"))
        let json = try #require(try cli.run(["record", "show", caseID, "--json"], as: "alex").json() as? [String: Any])
        #expect(json["member"] as? String == member)
        let wrong = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--member", member, "--field", "name=x"], as: "alex")
        #expect(wrong.code == 64 && wrong.err.contains("give it with --kind case"), "\(wrong.err)")
        let notMember = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--member", caseID, "--field", "need=x"], as: "alex")
        #expect(notMember.code == 64 && notMember.err.contains("not a member"), "\(notMember.err)")
        // export --member follows the links: the member, the case about them and its note; another case stays out.
        let note = try cli.id(cli.run(["note", "add", caseID, "--json"], as: "alex", stdin: "Called about housing.\n"))
        let other = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=other", "--json"], as: "alex"))
        let exported = try cli.run(["export", "--group", "Trans Support", "--member", member, "--reason", "subject access request", "--out", cli.path("sam.json")], as: "robin")
        #expect(exported.code == 0, "\(exported.err)")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.path("sam.json")))) as? [String: Any])
        let ids = (file["records"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == [member, caseID, note] && !ids.contains(other), "\(ids)")
        let both = try cli.run(["export", "--group", "Trans Support", "--member", member, "--record", caseID], as: "robin")
        #expect(both.code == 64 && both.err.contains("--member chooses the records itself"))
    }

    @Test("a group asking reasons: reads of sensitive fields and exports need --reason, which the audit log shows; a bulk read is one line")
    func reasons() throws {
        let (cli, member) = try Self.setUp()
        let policy = try #require(try cli.run(["policy", "show", "Trans Support", "--json"], as: "robin").json() as? [String: Any])
        var edited = policy
        edited["reasons"] = ["read-sensitive", "export"]
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: cli.path("policy.json")))
        let set = try cli.run(["policy", "set", "Trans Support", cli.path("policy.json")], as: "robin")
        #expect(set.code == 0 && set.out.contains("A reason (--reason) is asked for: reading sensitive fields, exports."), "\(set.out) \(set.err)")
        let bare = try cli.run(["record", "show", member], as: "robin")
        #expect(bare.code == 77 && bare.err.contains("--reason"), "\(bare.err)")
        #expect(try cli.run(["record", "show", member], as: "alex").code == 0, "no sensitive field is read, so none is asked")
        let given = try cli.run(["record", "show", member, "--reason", "follow-up call"], as: "robin")
        #expect(given.code == 0 && given.out.contains("positive"), "\(given.err)")
        #expect(try cli.run(["export", "--group", "Trans Support"], as: "robin").code == 77)
        #expect(try cli.run(["export", "--group", "Trans Support", "--reason", "monthly report", "--out", cli.path("out.json")], as: "robin").code == 0)
        let log = try cli.run(["audit", "log", "--type", "record-read"], as: "robin")
        #expect(log.out.contains("reason: follow-up call") && log.out.contains("reason: monthly report"), "\(log.out)")
        let expanded = try cli.run(["audit", "log", "--type", "record-read", "--expand"], as: "robin")
        #expect(expanded.out.components(separatedBy: "reason: monthly report").count >= 2)
    }
}
