import Foundation
import Testing

@testable import KithCrypto
@testable import KithVault

/// A person who lost every device (issue 20, item 5): an admin enrols their
/// new identity as the same person, the old one is removed, each group's
/// lead gives the roles again, and a group they alone led is recovered by
/// its trustees. Every client refuses a link a modified client forges.
@Suite("Replacing a lost identity")
struct UserReplaceTests {
    static func request(_ handle: String) throws -> (UnlockedIdentity, EnrollmentRequest) {
        let identity = try UnlockedIdentity.generate()
        let request = try EnrollmentRequest.make(holder: identity, handle: Handle(handle), vaultFingerprint: nil)
        return (identity, try EnrollmentRequest.parse(request.fileBytes))
    }

    @Test("the only lead lost every device: her new identity is enrolled as her, asks the trustees, and leads again", arguments: TestEngine.available)
    func lead(engine: TestEngine) throws {
        let scene = try RecoveryTests.Scene(engine: engine)
        let fixture = scene.fixture
        let oldID = scene.lead.me
        let (identity, request) = try Self.request("lead-tra")
        try fixture.admin.refresh()
        let replaced = try fixture.admin.replaceUser(handle: "lead-tra", with: request)
        #expect(replaced.new.handle == "lead-tra" && replaced.new.role == .user && replaced.removal.user.removed)
        #expect(replaced.roles.map(\.group) == ["Trans Support"] && replaced.roles.first?.role == .lead && replaced.roles.first?.leads == [])
        let new = try Vault(store: fixture.store(), holder: identity)
        #expect(new.state.users[new.me]?.replaces == oldID && new.state.users[oldID]?.replacedBy == new.me)
        #expect(throws: KithVaultError.self) { _ = try new.readRecord(scene.member) }
        _ = try new.requestRecovery(groupName: "Trans Support")
        _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
        _ = try scene.open("ines").approveRecovery(groupName: "Trans Support")
        try new.refresh()
        _ = try new.completeRecovery(groupName: "Trans Support")
        #expect(try new.readRecord(scene.member).fields.contains { $0.value == "asylum pending" })
        #expect(try new.rolesToRegrant(oldID).isEmpty)
        #expect(try AuditVerifier.verify(store: fixture.store()).valid)
    }

    @Test("a case worker replaced: the lead gives the role again and the new identity reads what the old one could")
    func caseworker() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let record = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        let oldID = caseworker.me
        let (identity, request) = try Self.request("cw-tra")
        try fixture.admin.refresh()
        let replaced = try fixture.admin.replaceUser(handle: "cw-tra", with: request)
        #expect(replaced.roles.first?.leads == ["lead-tra"] && replaced.roles.first?.role == .caseworker)
        #expect(throws: KithVaultError.self) { _ = try caseworker.readRecord(record) }
        try lead.refresh()
        #expect(try lead.rolesToRegrant(oldID).count == 1)
        try lead.share(groupName: "Trans Support", with: "cw-tra", role: .caseworker)
        #expect(try lead.rolesToRegrant(oldID).isEmpty)
        let new = try Vault(store: fixture.store(), holder: identity)
        #expect(try new.readRecord(record).fields.first?.value == "Sam")
        // A request with someone else's handle is refused; the old handle or a free one is fine.
        let (_, taken) = try Self.request("lead-tra")
        let refused = #expect(throws: KithVaultError.self) { _ = try fixture.admin.replaceUser(handle: "viewer-tra", with: taken) }
        #expect(refused?.reason.contains("is taken") == true, "\(refused?.reason ?? "")")
    }

    enum Forgery: String, CaseIterable, CustomStringConvertible {
        case notRemoved, notAdjacent, otherRole, notAdmin, twice
        var description: String { rawValue }
    }

    @Test("a forged link is refused by the replay", arguments: Forgery.allCases)
    func forged(_ forgery: Forgery) throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let old = caseworker.me
        let (identity, request) = try Self.request("newcomer")
        let expected: String
        var actor = fixture.founder
        switch forgery {
        case .notRemoved:
            try fixture.admin.approve(request, role: .user)
            expected = "not removed from the vault"
        case .notAdjacent:
            _ = try fixture.admin.removeUser(handle: "cw-tra")
            try fixture.admin.approve(request, role: .user)
            try fixture.admin.createGroup(name: "Between")
            expected = "enrolled by the entry just before"
        case .otherRole:
            _ = try fixture.admin.removeUser(handle: "cw-tra")
            try fixture.admin.approve(request, role: .admin)
            expected = "keeps the old identity's vault role"
        case .notAdmin:
            _ = try fixture.admin.removeUser(handle: "cw-tra")
            try fixture.admin.approve(request, role: .user)
            actor = try #require(fixture.identities[lead.whoami().handle])
            expected = "only an admin"
        case .twice:
            _ = try fixture.admin.replaceUser(handle: "cw-tra", with: try Self.request("cw-tra").1)
            try fixture.admin.approve(request, role: .user)
            expected = "already linked"
        }
        try Attacker(identity: actor, store: fixture.store()).append(.userReplaced(old: old, new: identity.identity.userID))
        let error = #expect(throws: KithVaultError.self, "\(forgery)") { _ = try fixture.open("founder") }
        #expect(error?.code == .invalidEntry && error?.reason.contains(expected) == true, "\(forgery): \(error?.reason ?? "")")
    }
}
