import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

/// Attacks found in review, each one now refused.
@Suite("Replay rules against insiders")
struct ReviewRegressionTests {
    @Test("a lead cannot overwrite members' key envelopes with garbage")
    func noEnvelopeReplacement() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let group = try #require(lead.state.groups.values.first)
        let ref = KeyRef(compartment: .profile, epoch: 1)
        let garbage = try SealedBox.seal(SecureBytes(randomCount: 32), to: #require(lead.state.users[caseworker.me]).identity.boxKey)
        let grant = KeyGrant(
            compartment: .profile, epoch: 1, commitment: try #require(group.commitments[ref]),
            envelopes: [KeyEnvelope(user: caseworker.me, sealed: garbage)])
        #expect(throws: KithVaultError.self) {
            try lead.commit { _ in [PendingEntry(body: .keysDistributed(group: group.id, grants: [grant]), details: [])] }
        }
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Still readable")]))
        #expect(try fixture.open("cw-tra").readRecord(id).fields.map(\.value) == ["Still readable"])
    }

    @Test("an admin cannot appoint itself lead")
    func adminSelfAppointment() throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: "Mine")
        #expect(throws: KithVaultError.self) { try fixture.admin.share(groupName: "Mine", with: "founder", role: .lead) }
    }

    @Test("a case worker's version may not drop a compartment they may not write")
    func noDroppingSensitive() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari"), ("sensitive:status", "x")]))
        try caseworker.refresh()
        var state = caseworker.state
        let group = try #require(try state.records.record(id)).group
        let forged = try LogEntry.make(
            seq: state.count, previousHash: state.headHash, timeMillis: 1, actor: #require(fixture.identities["cw-tra"]),
            body: .recordWritten(record: id, version: 2, group: group, kind: .member, parent: nil, parts: [KeyRef(compartment: .profile, epoch: 1)], carried: [], contentHash: [UInt8](repeating: 0, count: 32)),
            details: [], vaultID: state.vaultID)
        #expect(throws: KithVaultError.self) { try state.apply(forged) }
    }

    @Test("a vault other than the pinned one is refused")
    func pinnedFingerprint() throws {
        let fixture = try VaultFixture()
        let other = try VaultFixture()
        let store = try SQLiteVaultStore(path: fixture.path)
        #expect(throws: Never.self) { _ = try Vault(store: store, holder: fixture.founder, expectedFingerprint: fixture.admin.state.fingerprint) }
        #expect {
            _ = try Vault(store: store, holder: fixture.founder, expectedFingerprint: other.admin.state.fingerprint)
        } throws: { error in
            (error as? KithVaultError)?.isDataError == true
        }
    }

    @Test("concurrent updates of one record are merged, not lost")
    func concurrentUpdates() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for handle in ["lead-tra", "cw-tra"] {
                nonisolated(unsafe) let writer = try fixture.open(handle)
                group.addTask {
                    for index in 0..<5 { try writer.updateRecord(id, fields: fields([("\(handle)-\(index)", "v")])) }
                }
            }
            try await group.waitForAll()
        }
        let final = try fixture.open("lead-tra").readRecord(id)
        #expect(final.version == 11)
        #expect(final.fields.count == 11)
    }

    @Test("a record with one field name in two compartments (a modified client's) is refused on read, not shown half or crashed on")
    func duplicateFieldNames() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup("Trans Support")
        #expect(throws: KithVaultError.self) {
            _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam"), ("sensitive:name", "Samira")]))
        }
        lead.writesDuplicateFieldNamesForTesting = true
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam"), ("sensitive:name", "Samira")]))
        lead.writesDuplicateFieldNamesForTesting = false
        #expect {
            _ = try fixture.open("lead-tra").readRecord(id)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            return error.reason.contains("more than once")
        }
    }
}
