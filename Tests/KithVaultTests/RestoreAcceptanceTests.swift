import Foundation
import Testing

@testable import KithVault

/// An admin's explicit, logged acceptance of a restored store that no
/// device can heal (`Vault.acceptRestore`): devices that saw more accept it
/// once, and are told what they lost; an acceptance they saw themselves
/// never excuses a later rollback.
@Suite("Accepting a restored store")
struct RestoreAcceptanceTests {
    typealias Restored = HealTests.Restored

    /// The restored store after someone who saw nothing newer wrote to it (so no device can heal it).
    static func forked(_ engine: TestEngine, journalEntries: UInt64 = CheckpointMemory.defaultJournalEntries) throws -> Restored {
        let restored = try Restored(engine: engine, journalEntries: journalEntries)
        let founder = try restored.fixture.open("founder")
        try founder.createGroup(name: "Food Bank")
        return restored
    }

    @Test("after an admin accepts it, a device that saw more accepts the older store once and says what it lost", arguments: TestEngine.available)
    func devicesAccept(engine: TestEngine) throws {
        let restored = try Self.forked(engine)
        // Heal cannot: the histories differ.
        #expect(throws: KithVaultError.self) { _ = try restored.heal("lead-tra", memory: restored.leadMemory) }
        let before = try restored.storeCount
        let (acceptance, _) = try Vault.acceptRestore(
            store: restored.fixture.store(), holder: restored.fixture.founder, memory: restored.adminMemory, reason: "disk failed; restored last night's copy")
        #expect(acceptance.entry == UInt64(before))
        #expect(acceptance.seenEntries == restored.fullSize)
        #expect(try restored.storeCount == before + 1)

        let lead = try restored.open("lead-tra", memory: restored.leadMemory)
        let accepted = try #require(lead.acceptedRestore)
        #expect(accepted.entry == UInt64(before))
        #expect(accepted.divergedAt == restored.backupSize)
        #expect(accepted.lostEntries == Int(restored.fullSize - restored.backupSize))
        #expect(accepted.lostByType["record written"] == 2)
        #expect(lead.handle(ofUser: accepted.admin) == "founder")
        // Once: the next open is an ordinary one.
        #expect(try restored.open("lead-tra", memory: restored.leadMemory).acceptedRestore == nil)
        // It works as any vault: a write, a read, and a log that verifies.
        let id = try lead.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Written again")]))
        #expect(try restored.open("cw-tra", memory: restored.workerMemory).readRecord(id).fields.isEmpty == false)
        #expect(try AuditVerifier.verify(store: restored.fixture.store(), resume: false).valid)
        let log = try lead.auditLog()
        #expect(log.contains { $0.type == .restoreAccepted })
    }

    @Test("an acceptance a device saw itself does not excuse a later rollback", arguments: TestEngine.available)
    func oldAcceptanceNoExcuse(engine: TestEngine) throws {
        let restored = try Self.forked(engine)
        _ = try Vault.acceptRestore(store: restored.fixture.store(), holder: restored.fixture.founder, memory: restored.adminMemory, reason: "restored")
        let lead = try restored.open("lead-tra", memory: restored.leadMemory)
        #expect(lead.acceptedRestore != nil)
        let backup = try restored.fixture.place.backUp()
        try lead.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "After the acceptance")]))
        try restored.fixture.place.restore(backup)
        expectRefusal(.integrity, saying: "rolled back") { _ = try restored.open("lead-tra", memory: restored.leadMemory) }
    }

    @Test("only an admin may accept a restore, with a reason, and not while this device could heal it", arguments: TestEngine.available)
    func refusals(engine: TestEngine) throws {
        let healable = try Restored(engine: engine)
        let count = try healable.storeCount
        // The admin's device holds what the store lacks: heal, do not throw it away.
        #expect {
            _ = try Vault.acceptRestore(store: healable.fixture.store(), holder: healable.fixture.founder, memory: healable.adminMemory, reason: "restored")
        } throws: { error in
            (error as? KithVaultError)?.remedy == .healVault
        }
        let restored = try Self.forked(engine)
        let lead = try #require(restored.fixture.identities["lead-tra"])
        #expect {
            _ = try Vault.acceptRestore(store: restored.fixture.store(), holder: lead, memory: restored.leadMemory, reason: "restored")
        } throws: { error in
            (error as? KithVaultError)?.code == .accessDenied
        }
        #expect {
            _ = try Vault.acceptRestore(store: restored.fixture.store(), holder: restored.fixture.founder, memory: restored.adminMemory, reason: "  ")
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidInput
        }
        #expect(try healable.storeCount == count)
    }

    @Test("an acceptance past everything a device saw is new to it: accepted even without a journal", arguments: TestEngine.available)
    func acceptancePastWhatWasSeen(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(HealTests.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"), journalEntries: 0)
        let lead = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        let backup = try fixture.place.backUp()
        try lead.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Lost")]))
        let seen = lead.state.count
        try fixture.place.restore(backup)
        for name in ["Food Bank", "Housing"] { try fixture.admin.createGroup(name: name) }
        let adminMemory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-admin"))
        let (acceptance, _) = try Vault.acceptRestore(store: fixture.store(), holder: fixture.founder, memory: adminMemory, reason: "restored")
        #expect(acceptance.entry >= seen && acceptance.seenEntries == nil)
        let reopened = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        let accepted = try #require(reopened.acceptedRestore)
        #expect(accepted.lostEntries == 0 && accepted.divergedAt == seen)
    }

    @Test("an admin removed in the history a device saw cannot undo the removal by accepting a restore", arguments: TestEngine.available)
    func removedAdminRefused(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(HealTests.group)
        _ = try fixture.enroll("second-admin", role: .admin)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let leadID = try #require(fixture.identities["lead-tra"])
        _ = try Vault(store: fixture.store(), holder: leadID, memory: memory)
        let backup = try fixture.place.backUp()
        try fixture.admin.refresh()
        _ = try fixture.admin.removeUser(handle: "second-admin")
        _ = try Vault(store: fixture.store(), holder: leadID, memory: memory)
        // The removed admin (with the operator's help) restores the backup, in which they are still an admin, and accepts it.
        try fixture.place.restore(backup)
        let removed = try #require(fixture.identities["second-admin"])
        _ = try Vault.acceptRestore(
            store: fixture.store(), holder: removed, memory: CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-removed")), reason: "restored")
        expectRefusal(.integrity, saying: "not an admin in the vault this device saw") { _ = try Vault(store: fixture.store(), holder: leadID, memory: memory) }
    }

    @Test("an acceptance from a history given up later cannot switch a device back to it")
    func abandonedAcceptanceRefused() throws {
        let fixture = try VaultFixture(engine: .memory)
        _ = try fixture.standardGroup(HealTests.group)
        let store = try #require(fixture.place.memory)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let leadID = try #require(fixture.identities["lead-tra"])
        let lead = try Vault(store: store, holder: leadID, memory: memory)
        let backup = store.backup()
        try lead.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Lost once")]))
        // Restored, written to, accepted (history B); the lead's device follows it.
        func restoreAndAccept(_ group: String) throws {
            store.restore(backup)
            try fixture.open("founder").createGroup(name: group)
            _ = try Vault.acceptRestore(
                store: store, holder: fixture.founder, memory: CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-\(group)")), reason: "restored")
            #expect(try Vault(store: store, holder: leadID, memory: memory).acceptedRestore != nil)
        }
        try restoreAndAccept("Food Bank")
        let historyB = store.backup()
        usleep(5000)
        // The same backup restored again, and accepted again (history C): the lead's device follows that one.
        try restoreAndAccept("Housing")
        // The operator puts history B back: its acceptance is genuine, but older than what the device saw of C.
        store.restore(historyB)
        expectRefusal(.integrity, saying: "signed before the newest entry this device saw") { _ = try Vault(store: store, holder: leadID, memory: memory) }
    }

    @Test("a device whose journal no longer reaches the acceptance cannot tell, and says so", arguments: TestEngine.available)
    func cannotTell(engine: TestEngine) throws {
        let restored = try Self.forked(engine, journalEntries: 2)
        _ = try Vault.acceptRestore(store: restored.fixture.store(), holder: restored.fixture.founder, memory: restored.adminMemory, reason: "restored")
        expectRefusal(.integrity, saying: "cannot tell") { _ = try restored.open("lead-tra", memory: restored.leadMemory) }
    }
}
