import Foundation
import Testing

@testable import KithVault

/// Every refusal states the rule that refused this very request (issue 21,
/// item 11): the words a volunteer reads must not describe another rule.
@Suite("Refusals name the rule that applies")
struct RefusalWordingTests {
    @Test("sharing a group: each way of asking wrongly gets its own rule")
    func sharing() throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: "Food Bank")
        let lee = try fixture.enroll("lee")
        let sam = try fixture.enroll("sam")
        let refusal = { (vault: Vault, handle: String, role: GroupRole) -> String in
            do {
                try vault.share(groupName: "Food Bank", with: handle, role: role)
                return "accepted"
            } catch let error as KithVaultError {
                return error.reason
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(fixture.admin, "founder", .lead).contains("cannot make themselves lead of Food Bank"))
        #expect(refusal(fixture.admin, "lee", .caseworker).contains("has no lead yet; an admin may only appoint its first lead"))
        #expect(refusal(sam, "lee", .caseworker).contains("only a lead of Food Bank may grant roles"))
        try fixture.admin.share(groupName: "Food Bank", with: "lee", role: .lead)
        try fixture.admin.refresh()
        #expect(refusal(fixture.admin, "sam", .lead).contains("Food Bank has a lead; only a lead may share it"))
        try lee.refresh()
        #expect(refusal(lee, "sam", .caseworker) == "accepted")
    }
}
