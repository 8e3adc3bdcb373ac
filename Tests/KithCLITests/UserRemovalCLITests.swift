import Foundation
import Testing

/// `kith user remove` as an admin runs it, and what the removed person sees.
@Suite("kith user remove")
struct UserRemovalCLITests {
    @Test("an admin removes a case worker: they are refused, listed as removed, and a lead's next write makes new keys")
    func remove() throws {
        let cli = try CLIHarness.auditedVault()
        try cli.setUpMore(users: [("alex", "user")])
        #expect(try cli.run(["share", "Trans Support", "--with", "alex", "--role", "caseworker"], as: "robin").code == 0)
        #expect(try cli.run(["record", "list", "--group", "Trans Support"], as: "alex").code == 0)
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=By Alex"], as: "alex").code == 0)

        let unconfirmed = try cli.run(["user", "remove", "alex"], as: "ana")
        #expect(unconfirmed.code == 64)
        #expect(unconfirmed.err.contains("--yes"))
        #expect(try cli.run(["user", "remove", "alex", "--yes"], as: "robin").code == 77)
        let removed = try cli.run(["user", "remove", "alex", "--yes"], as: "ana")
        #expect(removed.code == 0, "\(removed.err)")
        #expect(removed.out.contains("Removed alex (user) from the vault."))
        #expect(removed.out.contains("Trans Support: nothing is written in it until a lead runs 'kith group rekey \"Trans Support\" --rewrap'"))

        let refused = try cli.run(["record", "list", "--group", "Trans Support"], as: "alex")
        #expect(refused.code == 77)
        #expect(refused.err.contains("removed this identity from the vault"))
        #expect(try cli.run(["user", "list"], as: "ana").out.contains("user (removed)"))
        // An auditor can still look up what they did.
        let theirs = try cli.run(["audit", "log", "--actor", "alex", "--json"], as: "kai")
        #expect(theirs.code == 0, "\(theirs.err)")
        #expect((try theirs.json() as? [[String: Any]])?.isEmpty == false)
        // Alex wrote before the audit key existed and will never write again: the auditor is told those details stay sealed.
        let listing = try cli.run(["audit", "log", "--actor", "alex"], as: "kai")
        #expect(listing.err.contains("1 of them is by someone since removed from the vault"), "\(listing.err)")
        // The lead's write makes the new keys; then it is business as usual.
        let written = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=After"], as: "robin")
        #expect(written.code == 0, "\(written.err)")
        #expect(try cli.run(["user", "remove", "alex", "--yes"], as: "ana").code == 66)
        let json = try cli.run(["user", "remove", "kai", "--yes", "--json"], as: "ana")
        let object = try #require(try json.json() as? [String: Any])
        #expect(object["audit_key_retired"] as? Bool == true)
        #expect(Set(object.keys) == ["user", "groups_rekeyed", "groups_awaiting_new_keys", "audit_key_retired"])
    }

    @Test("an admin replaces a case worker's lost identity: the output lists the role and the lead, who gives it again")
    func replace() throws {
        let cli = try CLIHarness.transSupport()
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam"], as: "robin").code == 0)
        // Alex's new device: a new identity, with the old handle.
        #expect(try cli.run(["enroll", "request", "--handle", "alex", "--out", cli.path("alex-new.request"), "--kdf", "interactive"], as: "alex-new").code == 0)
        let unasked = try cli.run(["user", "replace", "alex", "--with", cli.path("alex-new.request")], as: "ana")
        #expect(unasked.code == 64 && unasked.err.contains("--yes") && unasked.err.contains("new key fingerprint"), "\(unasked.err)")
        #expect(try cli.run(["user", "replace", "alex", "--with", cli.path("alex-new.request"), "--yes"], as: "robin").code == 77)
        let replaced = try cli.run(["user", "replace", "alex", "--with", cli.path("alex-new.request"), "--yes"], as: "ana")
        #expect(replaced.code == 0, "\(replaced.err)")
        #expect(replaced.out.contains("Replaced alex's lost identity"), "\(replaced.out)")
        #expect(replaced.out.contains("Trans Support: caseworker; ask robin to run: kith share \"Trans Support\" --with alex --role caseworker"), "\(replaced.out)")
        #expect(try cli.run(["record", "list", "--group", "Trans Support"], as: "alex").code == 77)
        #expect(try cli.run(["record", "list", "--group", "Trans Support"], as: "alex-new").code == 77)
        #expect(try cli.run(["share", "Trans Support", "--with", "alex", "--role", "caseworker"], as: "robin").code == 0)
        let listed = try cli.run(["record", "list", "--group", "Trans Support"], as: "alex-new")
        #expect(listed.code == 0 && listed.out.contains("member"), "\(listed.err)")
        let log = try cli.run(["audit", "log", "--type", "user-replaced"], as: "ana")
        #expect(log.out.contains("said alex is the same person as alex (removed)"), "\(log.out)\(log.err)")
        let again = try cli.run(["user", "replace", "alex", "--with", cli.path("alex-new.request"), "--yes", "--json"], as: "ana")
        #expect(again.code == 64 && again.err.contains("already enrolled"), "\(again.err)")
    }
}
