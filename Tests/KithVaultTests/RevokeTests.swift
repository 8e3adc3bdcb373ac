import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

@Suite("Revocation (default mode)")
struct RevokeTests {
    @Test("a revoked case worker, with their keyfile and a later copy of the store, cannot decrypt records written after")
    func revokedCannotDecryptNewRecords() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, viewer) = try fixture.standardGroup()
        let before = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Before")]))
        try lead.revoke(groupName: "Trans Support", from: "cw-tra")
        let after = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "After"), ("notes:need", "food")]))

        // The log now refuses the removed user's reads.
        try caseworker.refresh()
        #expect(throws: KithVaultError.self) { _ = try caseworker.readRecord(after) }

        // Cryptographically: every group key they ever received fails to open the new record's parts.
        let stored = try StoredRecord.decode(#require(try SQLiteVaultStore(path: fixture.path).record(after, version: 1)))
        let groupState = try #require(caseworker.state.groups.values.first)
        var theirKeys: [KeyRef] = []
        for (ref, envelopes) in groupState.envelopes where envelopes[caseworker.me] != nil { theirKeys.append(ref) }
        #expect(!theirKeys.isEmpty)
        for part in stored.parts {
            #expect(!theirKeys.contains(KeyRef(compartment: part.compartment, epoch: part.wrapEpoch)))
            for ref in theirKeys where ref.compartment == part.compartment {
                let key = try caseworker.groupKey(groupState.id, ref)
                let aad = caseworker.wrapAAD(id: after, version: 1, group: groupState.id, compartment: part.compartment, epoch: part.wrapEpoch)
                #expect(throws: KithCryptoError.authenticationFailed) { _ = try AEAD.xChaCha20Poly1305.open(part.wrappedKey, key: key.key, aad: aad) }
            }
        }
        // The remaining members read both, old and new; the viewer only what the policy allows.
        try viewer.refresh()
        #expect(try viewer.readRecord(after).fields.map(\.value) == ["After"])
        #expect(try viewer.readRecord(before).fields.map(\.value) == ["Before"])
        let reopened = try fixture.open("lead-tra")
        #expect(try reopened.readRecord(after).fields.count == 2)
    }

    @Test("only a lead may revoke, and only someone with a role")
    func revokeRights() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        #expect(throws: KithVaultError.self) { try caseworker.revoke(groupName: "Trans Support", from: "viewer-tra") }
        #expect(throws: KithVaultError.self) { try fixture.admin.revoke(groupName: "Trans Support", from: "viewer-tra") }
        #expect(throws: KithVaultError.self) { try lead.revoke(groupName: "Trans Support", from: "founder") }
        try lead.revoke(groupName: "Trans Support", from: "viewer-tra")
        // A revoked user can be shared with again; they then get the new keys.
        try lead.share(groupName: "Trans Support", with: "viewer-tra", role: .viewer)
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Again")]))
        #expect(try fixture.open("viewer-tra").readRecord(id).fields.map(\.value) == ["Again"])
    }
}
