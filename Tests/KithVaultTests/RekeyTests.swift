import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

/// Everything a removed member could have kept: the group keys sealed to
/// them, and the record keys of every part they could read.
final class FormerMemberKeys {
    var groupKeys: [(ref: KeyRef, key: KeyBox)] = []
    var recordKeys: [(compartment: Compartment, key: KeyBox)] = []

    /// Captures what `member` can open right now from the store at `path`.
    init(_ member: Vault, group: GroupID, path: String) throws {
        try member.refresh()
        let groupState = try #require(member.state.groups[group])
        for (ref, envelopes) in groupState.envelopes where envelopes[member.me] != nil {
            groupKeys.append((ref, try member.groupKey(group, ref)))
        }
        for row in try SQLiteVaultStore(path: path).recordPage(group: group, after: nil, limit: 10_000) {
            let record = try StoredRecord.decode(row.body)
            for part in record.parts {
                for (ref, key) in groupKeys where ref == KeyRef(compartment: part.compartment, epoch: part.wrapEpoch) {
                    let aad = member.wrapAAD(id: record.id, version: record.version, group: group, compartment: part.compartment, epoch: part.wrapEpoch)
                    recordKeys.append((part.compartment, KeyBox(try AEAD.xChaCha20Poly1305.open(part.wrappedKey, key: key.key, aad: aad))))
                }
            }
        }
    }

    /// How many stored parts these keys still open, by any route: a group
    /// key unwrapping a record key, or a kept record key decrypting content.
    func openableParts(_ vault: Vault, group: GroupID, path: String) throws -> Int {
        var opened = 0
        for row in try SQLiteVaultStore(path: path).recordPage(group: group, after: nil, limit: 10_000) {
            let record = try StoredRecord.decode(row.body)
            for part in record.parts {
                var open = false
                for (ref, key) in groupKeys where ref.compartment == part.compartment {
                    let aad = vault.wrapAAD(id: record.id, version: record.version, group: group, compartment: part.compartment, epoch: part.wrapEpoch)
                    if (try? AEAD.xChaCha20Poly1305.open(part.wrappedKey, key: key.key, aad: aad)) != nil { open = true }
                }
                for (compartment, key) in recordKeys where compartment == part.compartment {
                    let aad = vault.contentAAD(record, part, epoch: part.contentEpoch)
                    if (try? AEAD.xChaCha20Poly1305.open(part.ciphertext, key: key.key, aad: aad)) != nil { open = true }
                }
                if open { opened += 1 }
            }
        }
        return opened
    }
}

@Suite("Revocation with rewrap and re-encryption")
struct RekeyTests {
    static let group = "Trans Support"

    /// A standard group with a second case worker and a few records,
    /// including versions and notes.
    static func populated() throws -> (fixture: VaultFixture, lead: Vault, ids: [RecordID]) {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(group)
        try fixture.enroll("cw2")
        try lead.share(groupName: group, with: "cw2", role: .caseworker)
        var ids = try lead.addRecords(
            groupName: group, kind: .member,
            (0..<5).map { try fields([("name", "Person \($0)"), ("notes:need", "need \($0)"), ("sensitive:status", "s\($0)")]) })
        try lead.updateRecord(ids[0], fields: fields([("name", "Person 0, renamed")]))
        let caseID = try lead.addRecord(groupName: group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        ids.append(caseID)
        ids.append(try lead.addNote(caseID: caseID, text: "Called back."))
        return (fixture, lead, ids)
    }

    static func expectEveryoneRemainingReads(_ fixture: VaultFixture, _ ids: [RecordID]) throws {
        for handle in ["lead-tra", "cw2", "viewer-tra"] {
            let vault = try fixture.open(handle)
            for id in ids {
                let record = try #require(try vault.state.records.record(id))
                for version in record.versions {
                    let view = try vault.readWithoutLogging(id, version: version.version)
                    // Every compartment the role may read opens; the viewer sees cases and notes as withheld.
                    #expect(view.fields.count + view.withheld.count > 0)
                    #expect(view.withheld.allSatisfy { $0 == .sensitive || handle == "viewer-tra" }, "\(handle) reads \(id) v\(version.version)")
                    // The read above decrypted every part it returned; the lead gets every part.
                    if handle == "lead-tra" { #expect(view.withheld.isEmpty && !view.fields.isEmpty) }
                }
            }
        }
    }

    @Test("after each mode the removed case worker opens nothing new, and everyone remaining reads everything", arguments: [RekeyMode?.none, .rewrap, .reencrypt])
    func modes(mode: RekeyMode?) throws {
        let (fixture, lead, ids) = try Self.populated()
        let caseworker = try fixture.open("cw-tra")
        let groupID = try lead.group(named: Self.group).id
        let kept = try FormerMemberKeys(caseworker, group: groupID, path: fixture.path)
        #expect(!kept.recordKeys.isEmpty)
        let before = try kept.openableParts(lead, group: groupID, path: fixture.path)
        let oldBytes = try fixture.allStoreBytes()
        let oldRecord = try StoredRecord.decode(#require(try SQLiteVaultStore(path: fixture.path).record(ids[1], version: 1)))

        let summary = try lead.revoke(groupName: Self.group, from: "cw-tra", mode: mode).rekey
        let after = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After"), ("notes:need", "new")]))
        try Self.expectEveryoneRemainingReads(fixture, ids + [after])

        // The store copy taken now, with everything they kept.
        let opened = try kept.openableParts(lead, group: groupID, path: fixture.path)
        let bytes = try fixture.allStoreBytes()
        let profile = try #require(oldRecord.parts.first { $0.compartment == .profile })
        switch mode {
        case nil:
            // Old records stay under their epoch; only the new record is out of reach.
            #expect(opened == before)
            #expect(summary == nil)
        case .rewrap:
            // No group key of theirs unwraps anything; only record keys they already used still open the old content.
            #expect(opened == kept.recordKeys.count)
            let oldKeyLeft = bytes.contains(subsequence: profile.wrappedKey)
            #expect(!oldKeyLeft, "the old wrapped key is gone from the files")
            #expect(summary?.changed == 8)
        case .reencrypt:
            #expect(opened == 0)
            let oldCiphertextLeft = bytes.contains(subsequence: Array(profile.ciphertext.suffix(40)))
            let oldCiphertextWasThere = oldBytes.contains(subsequence: Array(profile.ciphertext.suffix(40)))
            #expect(!oldCiphertextLeft, "the old ciphertext is gone from the files")
            #expect(oldCiphertextWasThere)
            #expect(summary?.changed == 8)
        }
        // The log records the start and the completion.
        let types = try SQLiteVaultStore(path: fixture.path).entries(from: 0).map { try LogEntry.decode($0).body.type }
        #expect(types.contains(.rekeyStarted) == (mode != nil))
        #expect(types.contains(.rekeyCompleted) == (mode != nil))
        #expect(lead.state.groups[groupID]?.pendingRekey == nil)
    }

    @Test("a rekey killed halfway leaves every record readable, and running the command again finishes it", arguments: [RekeyMode.rewrap, .reencrypt])
    func interrupted(mode: RekeyMode) throws {
        let (fixture, lead, ids) = try Self.populated()
        lead.rekeyBatchSize = 2
        lead.rekeyStopAfterBatches = 2
        #expect(throws: KithVaultError.self) { _ = try lead.revoke(groupName: Self.group, from: "cw-tra", mode: mode) }
        // Mid-way: some versions moved, some not; all readable, the log shows a start and no completion.
        try Self.expectEveryoneRemainingReads(fixture, ids)
        let reopened = try fixture.open("lead-tra")
        let groupID = try reopened.group(named: Self.group).id
        #expect(reopened.state.groups[groupID]?.pendingRekey?.mode == mode)
        // A plain revoke of someone already removed is an error that says what to do; the same command resumes.
        #expect(throws: KithVaultError.self) { try reopened.revoke(groupName: Self.group, from: "cw-tra") }
        let summary = try reopened.revoke(groupName: Self.group, from: "cw-tra", mode: mode).rekey
        #expect(summary?.resumed == true)
        #expect(summary?.changed == 4)
        #expect(reopened.state.groups[groupID]?.pendingRekey == nil)
        try Self.expectEveryoneRemainingReads(fixture, ids)
        // Nothing is left behind the targets.
        for row in try SQLiteVaultStore(path: fixture.path).recordPage(group: groupID, after: nil, limit: 100) {
            for part in try StoredRecord.decode(row.body).parts where part.compartment != .sensitive {
                #expect(part.wrapEpoch == 2)
                #expect(part.contentEpoch == (mode == .reencrypt ? 2 : 1))
            }
        }
    }

    @Test("only a lead of the group rekeys; a damaged record stops completion and is named")
    func rekeyRights() throws {
        let (fixture, lead, ids) = try Self.populated()
        let (otherLead, _, _) = try fixture.standardGroup("Beta")
        #expect(throws: KithVaultError.self) { _ = try fixture.open("cw-tra").rekey(groupName: Self.group, mode: .rewrap) }
        #expect(throws: KithVaultError.self) { _ = try otherLead.rekey(groupName: Self.group, mode: .rewrap) }
        #expect(throws: KithVaultError.self) { _ = try fixture.admin.rekey(groupName: Self.group, mode: .reencrypt) }

        // One stored version damaged: the rest move, the completion is not logged, the error names it.
        let store = try SQLiteVaultStore(path: fixture.path)
        var damaged = try StoredRecord.decode(#require(try store.record(ids[2], version: 1)))
        damaged.parts[0].ciphertext[30] ^= 1
        try store.overwriteRecordForTesting(ids[2], version: 1, body: damaged.encoded)
        try lead.revoke(groupName: Self.group, from: "viewer-tra")
        #expect {
            _ = try lead.rekey(groupName: Self.group, mode: .reencrypt)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("\(ids[2])") && detail.contains("not complete")
        }
        #expect(lead.state.groups[try lead.group(named: Self.group).id]?.pendingRekey?.mode == .reencrypt)
    }
}
