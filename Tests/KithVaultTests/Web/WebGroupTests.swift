import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// A group's page for its lead (giving and removing roles, with what
/// removing does explained first), what a case worker's forged request
/// cannot do there, and checking the log from a page.
@Suite("Web interface: groups and checking the log")
struct WebGroupTests {

    @Test("a lead sees members and roles, gives a role, and removes someone only after choosing what happens to old records")
    func leadManagesRoles() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        try fixture.enroll("newcomer")
        _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        let id = try lead.group(named: "Trans Support").id.description
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        let page = await web.get("/groups/\(id)")
        #expect(page.status == 200 && page.text.contains("cw-tra") && page.text.contains("viewer-tra") && page.text.contains("action=\"/groups/\(id)/share\""))
        let shared = await web.post("/groups/\(id)/share", [("handle", "newcomer"), ("role", "viewer")])
        #expect(shared.status == 200 && shared.text.contains("is now viewer of this group"))
        try lead.refresh()
        #expect(try lead.members(groupName: "Trans Support").contains { $0.handle == "newcomer" && $0.role == .viewer })
        let unknown = await web.post("/groups/\(id)/share", [("handle", "nobody"), ("role", "viewer")])
        #expect(unknown.status == 400 && unknown.text.contains("role=\"alert\""))
        // Asking to remove shows the choices and changes nothing.
        let asked = await web.post("/groups/\(id)/revoke", [("handle", "cw-tra")])
        #expect(asked.text.contains("value=\"rewrap\" checked") && asked.text.contains("value=\"reencrypt\"") && asked.text.contains("value=\"keep\""))
        try lead.refresh()
        #expect(try lead.members(groupName: "Trans Support").contains { $0.handle == "cw-tra" })
        let removed = await web.post("/groups/\(id)/revoke", [("handle", "cw-tra"), ("mode", "rewrap")])
        #expect(removed.text.contains("no longer has a role") && removed.text.contains("rewrapped"))
        try lead.refresh()
        #expect(try !lead.members(groupName: "Trans Support").contains { $0.handle == "cw-tra" })
        #expect(await web.post("/groups/\(id)/revoke", [("handle", "viewer-tra"), ("mode", "sideways")]).status == 400)
    }

    @Test("a case worker sees the roles but no forms, and a forged share or removal from them changes nothing")
    func caseworkerCannot() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        try fixture.enroll("friend")
        let id = try lead.group(named: "Trans Support").id.description
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let page = await web.get("/groups/\(id)")
        #expect(page.status == 200 && page.text.contains("lead-tra") && !page.text.contains("/share\"") && !page.text.contains("/revoke\""))
        let share = await web.post("/groups/\(id)/share", [("handle", "friend"), ("role", "lead")])
        #expect(share.text.contains("role=\"alert\""))
        let revoke = await web.post("/groups/\(id)/revoke", [("handle", "lead-tra"), ("mode", "keep")])
        #expect(revoke.text.contains("role=\"alert\""))
        try lead.refresh()
        let members = try lead.members(groupName: "Trans Support")
        #expect(members.count == 3 && members.contains { $0.handle == "lead-tra" && $0.role == .lead })
        #expect(await web.get("/groups/not-an-id").status == 404)
    }

    @Test("checking the log from the page: everything holds, then a flipped byte in an entry is reported and not trusted")
    func verify() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        for index in 0..<3 { _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Member \(index)")])) }
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        #expect(await web.get("/verify").text.contains("action=\"/verify\""))
        let good = await web.post("/verify", [])
        #expect(good.status == 200 && good.text.contains("Everything holds"))
        let seq = Int64(lead.state.count - 2)
        try fixture.flipLogEntry(seq: seq, offsetFromEnd: 3)
        let bad = await web.post("/verify", [])
        #expect(!bad.text.contains("Everything holds"))
        #expect(bad.status == 500 && (bad.text.contains("The check failed") || bad.text.contains("failed a check")))
    }
}
