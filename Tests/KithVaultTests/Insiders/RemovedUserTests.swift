import Foundation
import KithCrypto
import Testing
@testable import KithSQLite
@testable import KithVault

/// A user removed from the vault (`removeUser`) keeps their keyfile and,
/// with a modified client, every key ever sealed to them. From the removal
/// on they must learn nothing written later, and sign nothing that counts.
@Suite("Users removed from the vault")
struct RemovedUserTests {
    static let group = "Trans Support"

    /// What the removed user could open with the keys they hold: their
    /// directory key (the one sealed to them before the removal).
    static func keptDirectoryKey(_ fixture: VaultFixture, _ handle: String) throws -> SecureBytes {
        let identity = try #require(fixture.identities[handle])
        let state = try #require(try fixture.open("founder").state.users[identity.identity.userID])
        return try identity.openSealed(state.directoryEnvelope)
    }

    @Test("a removed case worker is refused on open, signs nothing that counts, and opens no later name, handle or record")
    func removedCaseworker() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        _ = caseworker
        let before = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Before")]))

        let removal = try fixture.admin.removeUser(handle: "cw-tra")
        #expect(removal.groupsAwaitingNewKeys == [Self.group])
        #expect(!removal.auditKeyRetired)

        // The stock client: refused, saying why.
        #expect {
            _ = try fixture.open("cw-tra")
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .accessDenied && error.reason.contains("removed this identity")
        }
        // A modified client: an entry signed with their keys is refused by every client's replay.
        let attacker = try Attacker(identity: #require(fixture.identities["cw-tra"]), store: fixture.store())
        let forged = try attacker.append(.recordRead(record: before, version: 1))
        #expect {
            _ = try fixture.open("lead-tra")
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidEntry && (error as? KithVaultError)?.entry == Int(forged.seq)
        }
    }

    @Test("after a removal, nothing written later opens with any key the removed user holds")
    func nothingLaterOpens() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        _ = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Before"), ("notes:need", "x")]))
        let groupID = try lead.group(named: Self.group).id
        let kept = try FormerMemberKeys(caseworker, group: groupID, path: fixture.path)
        let openableBefore = try kept.openableParts(lead, group: groupID, path: fixture.path)
        let directory = try Self.keptDirectoryKey(fixture, "cw-tra")
        try fixture.admin.removeUser(handle: "cw-tra")

        // A case worker who remains may not write under keys the removed one holds; the lead's first write makes new ones.
        let other = try fixture.enroll("cw2")
        try lead.share(groupName: Self.group, with: "cw2", role: .caseworker)
        try other.refresh()
        #expect {
            _ = try other.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Blocked")]))
        } throws: { error in
            (error as? KithVaultError)?.remedy == .askLeadForNewKeys(group: Self.group)
        }
        _ = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After"), ("notes:need", "y")]))
        _ = try other.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After, by cw2")]))
        // No later record part opens with their keys; the old ones still do (a copy they had, they keep).
        #expect(try kept.openableParts(lead, group: groupID, path: fixture.path) == openableBefore)

        // Names and handles written later are sealed under a directory key they never received.
        try fixture.admin.createGroup(name: "Secret Circle")
        let newcomer = try fixture.enroll("newcomer")
        let state = try fixture.open("founder").state
        let circle = try #require(state.groups.values.first { $0.createdAt > (state.users[caseworker.me]?.removedAt ?? 0) })
        #expect(throws: (any Error).self) {
            _ = try AEAD.xChaCha20Poly1305.open(circle.sealedName, key: directory, aad: Self.nameAAD(state, circle.id))
        }
        let newcomerHandle = try #require(state.users[newcomer.me]).sealedHandle
        #expect(throws: (any Error).self) {
            _ = try AEAD.xChaCha20Poly1305.open(newcomerHandle, key: directory, aad: Self.nameAAD(state, newcomer.me))
        }
        // Everyone who remains, and everyone enrolled since, reads every name, old and new.
        #expect(try newcomer.groups().map(\.name).sorted() == ["Secret Circle", Self.group])
        #expect(try newcomer.users().map(\.handle).contains("cw-tra"))
        #expect(try fixture.open("lead-tra").groups().count == 2)
    }

    static func nameAAD(_ state: VaultState, _ id: Identifier) -> [UInt8] {
        var w = ByteWriter()
        w.string(AEADContext.directory)
        w.fixed(state.vaultID)
        w.fixed(id.bytes)
        return w.bytes
    }

    @Test("a removed auditor opens no detail written later, and their cosignature no longer counts; a later auditor reads the past")
    func removedAuditor() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let memory = { (name: String) in CheckpointMemory(directory: fixture.directory.appendingPathComponent(name)) }
        try fixture.enroll("kai", role: .auditor)
        try fixture.enroll("noor", role: .auditor)
        let kai = try Vault(store: fixture.store(), holder: #require(fixture.identities["kai"]), memory: memory("kai"))
        try kai.shareAuditKey(confirm: { _ in true })
        let noor = try Vault(store: fixture.store(), holder: #require(fixture.identities["noor"]), memory: memory("noor"))
        let early = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Early")]))
        _ = early
        try kai.refresh()
        let kaiPair = try kai.auditKeyPair(state: kai.state, epoch: 1)
        _ = try kai.witness()

        let removal = try fixture.admin.removeUser(handle: "kai")
        #expect(removal.auditKeyRetired)
        // Noor makes the next audit key and chains the old one to it; the lead's next write seals a new detail key.
        try noor.refresh()
        #expect(try noor.shareAuditKey() == .made)
        try lead.refresh()
        let late = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Late")]))
        try noor.refresh()
        let lines = try noor.auditLog(AuditLogFilter(record: late))
        #expect(lines.first?.details?.contains { $0.key == "action" } == true)

        // Kai, with every key ever sealed to them, opens the lead's old detail key but no detail written after the removal.
        let state = noor.state
        let oldSealed = try #require(state.retiredAudit[1]?.detailKeys[lead.me])
        let oldDetailKey = try SealedBox.open(oldSealed, with: kaiPair.pair)
        let newSealed = try #require(state.detailKeys[lead.me])
        #expect(throws: (any Error).self) { _ = try SealedBox.open(newSealed, with: kaiPair.pair) }
        let lateSeq = try #require(lines.first?.seq)
        let entry = try LogEntry.decode(#require(try fixture.store().entry(at: lateSeq)))
        #expect(throws: (any Error).self) {
            _ = try AEAD.xChaCha20Poly1305.open(
                entry.details, key: oldDetailKey, aad: Vault.detailsAAD(vaultID: state.vaultID, seq: entry.seq, actor: entry.actor, type: entry.body.type))
        }
        // Kai's cosignature no longer counts, and the keys file lists no witness key for Kai.
        let witnessed = try #require(try fixture.store().latestCheckpoint(containing: state.origin + "/witness/"))
        let newest = try state.checkCheckpoint(witnessed)
        #expect(newest.witnesses.isEmpty)
        #expect(try state.verifierKeys().witnesses.map(\.user) == [noor.me])
        #expect(try state.verifierKeys().signers.first { $0.user == kai.me }?.removed == true)

        // An auditor enrolled later reads the details of before the removal too, through the chain.
        try fixture.enroll("sam", role: .auditor)
        try noor.refresh()
        #expect(try noor.shareAuditKey(confirm: { _ in true }) == .sealed(to: ["sam"]))
        let sam = try Vault(store: fixture.store(), holder: #require(fixture.identities["sam"]), memory: memory("sam"))
        let past = try sam.auditLog(AuditLogFilter(record: early))
        #expect(past.first?.details?.isEmpty == false)
        #expect(try sam.auditLog(AuditLogFilter(record: late)).first?.details?.isEmpty == false)
    }

    @Test("an admin can be removed by another; a removed admin enrols nobody; the last admin and oneself cannot be removed")
    func removedAdmin() throws {
        let fixture = try VaultFixture()
        #expect(throws: KithVaultError.self) { try fixture.admin.removeUser(handle: "founder") }
        let second = try fixture.enroll("second", role: .admin)
        try second.refresh()
        try second.removeUser(handle: "founder")
        // The founder's client with its own keys: an enrolment it signs is refused by everyone.
        let stranger = try UnlockedIdentity.generate()
        let request = try EnrollmentRequest.make(holder: stranger, handle: Handle("mallory"), vaultFingerprint: second.state.fingerprint)
        let attacker = try Attacker(identity: fixture.founder, store: fixture.store())
        let forged = try attacker.append(
            .userEnrolled(
                user: stranger.identity, role: .admin, possession: request.possessionSignature,
                directoryEnvelope: try SealedBox.seal(SecureBytes(randomCount: 32), to: stranger.identity.boxKey), sealedHandle: [1, 2, 3]))
        #expect {
            _ = try fixture.open("second")
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidEntry && (error as? KithVaultError)?.entry == Int(forged.seq)
        }
    }

    @Test("a removed user's handle is free again, and the resume cache keeps every epoch")
    func handleFreedAndCached() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("lead-state"))
        _ = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        try fixture.admin.removeUser(handle: "cw-tra")
        let again = try fixture.enroll("cw-tra")
        #expect(try again.whoami().handle == "cw-tra")
        _ = lead
        let resumed = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        #expect(resumed.resumedFrom != nil)
        let full = try fixture.open("lead-tra")
        #expect(try ResumeCacheTests.digest(resumed.state) == ResumeCacheTests.digest(full.state))
        #expect(resumed.state.directoryEpoch == 2)
        #expect(try resumed.users().filter { $0.handle == "cw-tra" }.map(\.removed) == [true, false])
    }

    @Test("two auditors removed before a new audit key: a later auditor still reads the first epoch through the chain")
    func twoAuditorRemovals() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let memory = { (name: String) in CheckpointMemory(directory: fixture.directory.appendingPathComponent(name)) }
        for name in ["a1", "a2", "a3"] { try fixture.enroll(name, role: .auditor) }
        try Vault(store: fixture.store(), holder: #require(fixture.identities["a1"]), memory: memory("a1")).shareAuditKey(confirm: { _ in true })
        let early = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Early")]))
        try fixture.admin.refresh()
        try fixture.admin.removeUser(handle: "a1")
        try fixture.admin.removeUser(handle: "a2")
        let a3 = try Vault(store: fixture.store(), holder: #require(fixture.identities["a3"]), memory: memory("a3"))
        #expect(a3.state.auditEpoch == 3)
        #expect(try a3.shareAuditKey() == .made)
        #expect(a3.state.auditChain[3] != nil)
        try fixture.enroll("a4", role: .auditor)
        try a3.refresh()
        #expect(try a3.shareAuditKey(confirm: { _ in true }) == .sealed(to: ["a4"]))
        let a4 = try Vault(store: fixture.store(), holder: #require(fixture.identities["a4"]), memory: memory("a4"))
        #expect(try a4.auditLog(AuditLogFilter(record: early)).first?.details?.isEmpty == false)
        // The removed auditors show as removed in the listing.
        #expect(try a4.auditLog(AuditLogFilter(type: .userRemoved)).map(\.summary) == ["removed a1 from the vault", "removed a2 from the vault"])
    }

    @Test("after an auditor's removal, an auditor nobody confirmed cannot make the next audit key; one who held the old key can")
    func unconfirmedAuditorCannotMakeNextKey() throws {
        let fixture = try VaultFixture()
        _ = try fixture.standardGroup(Self.group)
        let memory = { (name: String) in CheckpointMemory(directory: fixture.directory.appendingPathComponent(name)) }
        for name in ["kai", "noor", "mallory"] { try fixture.enroll(name, role: .auditor) }
        let open = { (name: String) in try Vault(store: fixture.store(), holder: #require(fixture.identities[name]), memory: memory(name)) }
        try open("kai").shareAuditKey(confirm: { $0.user.handle == "noor" })
        try fixture.admin.refresh()
        try fixture.admin.removeUser(handle: "kai")
        let mallory = try open("mallory")
        #expect(!mallory.state.mayMakeAuditKey(mallory.me))
        #expect(try mallory.shareAuditKey(confirm: { _ in true }) == .waitingForAnotherAuditor)
        // Its own client, making the key anyway: refused by every client.
        let pair = try BoxKeyPair()
        let forged = try Attacker(identity: #require(fixture.identities["mallory"]), store: fixture.store()).append(
            .auditKeyShared(
                publicKey: pair.publicKey,
                envelopes: [KeyEnvelope(user: mallory.me, sealed: try SealedBox.seal(pair.secretKeyCopy(), to: #require(fixture.identities["mallory"]).identity.boxKey))]))
        #expect {
            _ = try open("noor")
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidEntry && (error as? KithVaultError)?.entry == Int(forged.seq)
        }
    }

    @Test("a lead revokes with a rewrap in a group a removal left stale: new keys for every stale compartment, then the rewrap")
    func revokeInStaleGroup() throws {
        let (fixture, lead, ids) = try RekeyTests.populated()
        try fixture.admin.refresh()
        try fixture.admin.removeUser(handle: "viewer-tra")
        let result = try lead.revoke(groupName: Self.group, from: "cw2", mode: .rewrap)
        #expect(result.rekey?.scanned == 8)
        let groupID = try lead.group(named: Self.group).id
        #expect(lead.state.groups[groupID]?.staleCompartments.isEmpty == true)
        #expect(try fixture.open("cw-tra").readRecord(ids[0]).fields.isEmpty == false)
    }
}
