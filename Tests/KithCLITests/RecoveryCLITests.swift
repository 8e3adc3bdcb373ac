import Foundation
import Testing

/// `kith recovery` as a lead, trustees and a new lead use it, end to end.
@Suite("kith recovery")
struct RecoveryCLITests {
    @Test("the lead's keyfile is lost: 2 of 3 trustees approve, the new lead reads the sensitive fields, the auditor verifies")
    func recover() throws {
        let cli = try CLIHarness.transSupport()
        try cli.setUpMore(users: [("tala", "user"), ("omar", "user"), ("kai", "auditor"), ("nova", "user")])
        let added = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=نور", "--field", "sensitive:status=asylum pending", "--json"], as: "robin")
        let member = try cli.id(added)

        let one = try cli.run(["recovery", "setup", "Trans Support", "--threshold", "1", "--trustees", "tala,omar"], as: "robin")
        #expect(one.code == 64 && one.err.contains("it must be at least 2"), "\(one.err)")
        #expect(try cli.run(["recovery", "setup", "Trans Support", "--threshold", "2", "--trustees", "tala,omar"], as: "alex").code == 77)
        let setUp = try cli.run(["recovery", "setup", "Trans Support", "--threshold", "2", "--trustees", "tala,omar,kai"], as: "robin")
        #expect(setUp.code == 0, "\(setUp.err)")
        #expect(setUp.out.contains("any 2 of 3 trustees (kai, omar, tala)"), "\(setUp.out)")
        let shown = try cli.run(["recovery", "show", "Trans Support"], as: "tala")
        #expect(shown.code == 0 && shown.out.contains("your share checks out") && shown.out.contains("No open request."), "\(shown.out)\(shown.err)")

        // Robin's laptop is gone: the admin removes her identity.
        #expect(try cli.run(["user", "remove", "robin", "--yes"], as: "ana").code == 0)
        #expect(try cli.run(["recovery", "request", "Trans Support"], as: "kai").code == 77)
        let asked = try cli.run(["recovery", "request", "Trans Support"], as: "nova")
        #expect(asked.code == 0, "\(asked.err)")
        #expect(asked.out.contains("It needs 2 approvals from: kai, omar, tala") && asked.out.contains("fingerprint"), "\(asked.out)")
        let early = try cli.run(["recovery", "complete", "Trans Support"], as: "nova")
        #expect(early.code == 64 && early.err.contains("0 of the 2 approvals") && early.err.contains("kith recovery show"), "\(early.err)")

        // A trustee is asked, on a terminal, before the share goes; without one, --yes is required.
        let unasked = try cli.run(["recovery", "approve", "Trans Support"], as: "tala")
        #expect(unasked.code == 64 && unasked.err.contains("--yes"), "\(unasked.err)")
        let declined = try cli.runInTerminal(
            ["recovery", "approve", "Trans Support", "--identity", cli.path("tala.kithid"), "--passphrase-file", cli.path("tala.pass")], answering: "fingerprint is theirs?", with: "n")
        #expect(declined.out.contains("nova asks to recover Trans Support") && declined.out.contains("Nothing was sent."), "\(declined.out)")
        let approved = try cli.runInTerminal(
            ["recovery", "approve", "Trans Support", "--identity", cli.path("tala.kithid"), "--passphrase-file", cli.path("tala.pass")], answering: "fingerprint is theirs?", with: "y")
        #expect(approved.out.contains("You approved nova's request") && approved.out.contains("1 more approval needed"), "\(approved.out)")
        let second = try cli.run(["recovery", "approve", "Trans Support", "--yes"], as: "kai")
        #expect(second.code == 0 && second.out.contains("they can now run 'kith recovery complete'"), "\(second.err)")
        let third = try cli.run(["recovery", "approve", "Trans Support", "--yes"], as: "kai")
        #expect(third.code == 66 && third.err.contains("waiting for your approval"), "\(third.err)")

        let completed = try cli.run(["recovery", "complete", "Trans Support"], as: "nova")
        #expect(completed.code == 0, "\(completed.err)")
        #expect(completed.out.contains("You now lead Trans Support") && completed.out.contains("any 2 of kai, omar, tala"), "\(completed.out)")
        let read = try cli.run(["record", "show", member], as: "nova")
        #expect(read.code == 0 && read.out.contains("asylum pending"), "\(read.err)")
        let after = try cli.run(["recovery", "show", "Trans Support", "--json"], as: "omar")
        let status = try #require(try after.json() as? [String: Any])
        #expect(status["setup"] as? Int == 2 && (status["requests"] as? [Any])?.isEmpty == true && status["your_share"] as? String == "good", "\(status)")
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Rami"], as: "nova").code == 0)

        #expect(try cli.run(["audit", "verify"], as: "kai").code == 0)
        let log = try cli.run(["audit", "log", "--type", "recovery-approved"], as: "kai")
        #expect(log.code == 0 && log.out.contains("approved the recovery request at entry"), "\(log.out)\(log.err)")
    }

    @Test("a group without recovery says how to set one up; a missing group name says how to give it")
    func notSetUp() throws {
        let cli = try CLIHarness.transSupport()
        let shown = try cli.run(["recovery", "show", "Trans Support"], as: "alex")
        #expect(shown.code == 0 && shown.out.contains("has no recovery set up") && shown.out.contains("kith recovery setup \"Trans Support\""), "\(shown.out)")
        let request = try cli.run(["recovery", "request", "--group", "Trans Support"], as: "alex")
        #expect(request.code == 66 && request.err.contains("none is set up"), "\(request.err)")
        let unnamed = try cli.run(["recovery", "show"], as: "alex")
        #expect(unnamed.code == 64 && unnamed.err.contains("name the group"), "\(unnamed.err)")
    }
}
