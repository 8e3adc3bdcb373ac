import Foundation
import GRDB
import KithCrypto
import Testing

@testable import KithVault

/// Expects `body` to be refused with a `KithVaultError` of `code` whose
/// reason says `phrase`.
func expectRefusal(_ code: KithVaultError.Code, saying phrase: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        guard let error = error as? KithVaultError else { return false }
        return error.code == code && error.reason.contains(phrase)
    }
}

/// Healing a store restored from an older backup (`Vault.heal`), on every
/// engine: what the backup lost comes back from the devices that saw it,
/// verified as it goes; a journal that does not verify, a forged entry and
/// a store written to after the restore are refused with nothing written.
@Suite("Healing a restored store")
struct HealTests {
    static let group = "Trans Support"

    /// A vault with a lead and a case worker who keep state folders (and so
    /// journals), a backup taken, and then a day's work the backup lacks:
    /// records added, a revocation with a rewrap, an erasure.
    final class Restored {
        let fixture: VaultFixture
        let leadMemory: CheckpointMemory
        let workerMemory: CheckpointMemory
        /// The founder's (an admin's) device, which saw everything too.
        let adminMemory: CheckpointMemory
        /// Log entries in the backup.
        let backupSize: UInt64
        /// Log entries before the restore.
        let fullSize: UInt64
        /// A member written before the backup, moved to the new keys after it.
        let kept: RecordID
        /// A member written before the backup and erased after it.
        let erased: RecordID
        /// Written after the backup, by the case worker before the rewrap (so the lead re-keyed it).
        let rewrapped: RecordID
        /// Written after the backup by the case worker, after the rewrap: only the case worker's device has it.
        let late: RecordID

        init(engine: TestEngine, journalEntries: UInt64 = CheckpointMemory.defaultJournalEntries) throws {
            fixture = try VaultFixture(engine: engine)
            _ = try fixture.standardGroup(HealTests.group)
            leadMemory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"), journalEntries: journalEntries)
            workerMemory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-cw"), journalEntries: journalEntries)
            adminMemory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-admin"), journalEntries: journalEntries)
            let lead = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: leadMemory)
            let worker = try Vault(store: fixture.store(), holder: #require(fixture.identities["cw-tra"]), memory: workerMemory)
            kept = try worker.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Kept since before")]))
            erased = try worker.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Asked to be forgotten")]))
            try lead.refresh()
            backupSize = lead.state.count
            let backup = try fixture.place.backUp()

            rewrapped = try worker.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Came after the backup")]))
            try lead.refresh()
            try lead.revoke(groupName: HealTests.group, from: "viewer-tra", mode: .rewrap)
            _ = try lead.eraseRecord(erased, reason: "asked to be forgotten")
            try worker.refresh()
            late = try worker.addRecord(groupName: HealTests.group, kind: .member, fields: fields([("name", "Written last")]))
            // The lead's next command sees (and keeps) the case worker's last entry too.
            fullSize = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: leadMemory).state.count
            _ = try Vault(store: fixture.store(), holder: fixture.founder, memory: adminMemory)
            try fixture.place.restore(backup)
        }

        func heal(_ handle: String, memory: CheckpointMemory, dryRun: Bool = false) throws -> (report: HealReport, vault: Vault?) {
            try Vault.heal(store: fixture.store(), holder: #require(fixture.identities[handle]), memory: memory, dryRun: dryRun)
        }

        func open(_ handle: String, memory: CheckpointMemory) throws -> Vault {
            try Vault(store: fixture.store(), holder: #require(fixture.identities[handle]), memory: memory)
        }

        var storeCount: Int { get throws { try fixture.store().entries(from: 0).count } }
    }

    @Test("a restored backup is healed: lost entries, records, an erasure and a rewrap come back from the devices that saw them", arguments: TestEngine.available)
    func healsFromJournals(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        #expect(try restored.storeCount == Int(restored.backupSize))
        // Before: every device that saw more refuses the store, and says what to do.
        #expect {
            _ = try restored.open("lead-tra", memory: restored.leadMemory)
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .integrity && error.reason.contains("rolled back") && error.remedy == .healVault
        }
        // The backup brought the erased record back.
        #expect(try restored.fixture.store().record(restored.erased, version: 1) != nil)

        // A dry run checks everything and writes nothing.
        let dry = try restored.heal("lead-tra", memory: restored.leadMemory, dryRun: true)
        #expect(dry.report.restoredEntries == Int(restored.fullSize - restored.backupSize))
        #expect(!dry.report.wrote && dry.vault == nil)
        #expect(try restored.storeCount == Int(restored.backupSize))

        // The lead's device saw every entry: it puts them back, and the erasure again.
        let first = try restored.heal("lead-tra", memory: restored.leadMemory).report
        #expect(first.storeEntries == restored.backupSize)
        #expect(first.restoredEntries == Int(restored.fullSize - restored.backupSize))
        #expect(first.erasedAgain == 1)
        #expect(first.restoredRecords == 0)  // the lead wrote no record after the backup
        #expect(Set(first.stillMissing) == ["\(restored.rewrapped) v1", "\(restored.late) v1"])
        // The backup holds `kept` on keys the revoked viewer had; with records still missing, the rekey waits.
        #expect(first.stillOnOldKeys == [HealReport.GroupLag(group: HealTests.group, mode: .rewrap, versions: 1)])
        #expect(first.rekeyedGroups.isEmpty)
        #expect(try restored.storeCount == Int(restored.fullSize))
        let store = try restored.fixture.store()
        #expect(try store.record(restored.erased, version: 1) == nil, "the erasure must be applied again")

        // The case worker's device holds the records only it wrote.
        let second = try restored.heal("cw-tra", memory: restored.workerMemory).report
        #expect(second.restoredEntries == 0)
        #expect(second.restoredRecords == 2)
        #expect(second.stillMissingCount == 0)
        // A second run has nothing left to do.
        #expect(try restored.heal("cw-tra", memory: restored.workerMemory).report.wasWhole)

        // Everyone opens it again; every record reads; the log verifies.
        let worker = try restored.open("cw-tra", memory: restored.workerMemory)
        let lead = try restored.open("lead-tra", memory: restored.leadMemory)
        for id in [restored.kept, restored.rewrapped, restored.late] { #expect(try worker.readRecord(id).fields.isEmpty == false) }
        #expect(throws: KithVaultError.self) { try worker.readRecord(restored.erased) }
        #expect(try AuditVerifier.verify(store: store, resume: false).valid)
        #expect(try lead.state.groups[#require(lead.state.groups.keys.first)]?.members.values.count == 2)  // the viewer's revocation came back too
        // The lead moves what the backup held on the old keys; then nothing is on the revoked viewer's keys.
        try lead.rekey(groupName: HealTests.group, mode: .rewrap)
        try Self.expectOnCurrentKeys([restored.kept, restored.rewrapped, restored.late], lead: lead, store: store)
    }

    /// Every part of every version of `ids` is wrapped under its compartment's current epoch.
    static func expectOnCurrentKeys(_ ids: [RecordID], lead: Vault, store: VaultStore) throws {
        try lead.refresh()
        let groupID = try #require(lead.state.groups.keys.first)
        let epochs = try #require(lead.state.groups[groupID]?.currentEpoch)
        for id in ids {
            let parts = try StoredRecord.decode(#require(try store.record(id, version: 1))).parts
            for part in parts { #expect(part.wrapEpoch == epochs[part.compartment], "\(id) is still on old keys") }
        }
    }

    @Test("a lead's heal re-keys a group whose revocation the backup undid, when nothing of it is missing", arguments: TestEngine.available)
    func leadRekeysAgain(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let lead = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        let before = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Before")]))
        let backup = try fixture.place.backUp()
        let after = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After")]))
        try lead.revoke(groupName: Self.group, from: "viewer-tra", mode: .rewrap)
        try fixture.place.restore(backup)
        let report = try Vault.heal(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory).report
        #expect(report.rekeyedGroups == [Self.group] && report.stillOnOldKeys.isEmpty && report.restoredRecords == 1)
        let healed = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        try Self.expectOnCurrentKeys([before, after], lead: healed, store: fixture.store())
        #expect(try AuditVerifier.verify(store: fixture.store(), resume: false).valid)
    }

    @Test("a record version altered in the device's journal is not put back, and a good copy still can be", arguments: TestEngine.available)
    func alteredRecordNotRestored(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        _ = try restored.heal("lead-tra", memory: restored.leadMemory)
        let worker = try #require(restored.fixture.identities["cw-tra"])
        let path = restored.workerMemory.journalFile(fingerprint: restored.fixture.admin.state.fingerprint, user: worker.identity.userID).path
        // The signed part stays (so the content hash matches the log); the ciphertext behind it is changed.
        try DatabaseQueue(path: path).write { db in
            let body = try #require(try Data.fetchOne(db, sql: "SELECT body FROM records WHERE record_id = ?", arguments: [Data(restored.late.bytes)]))
            var record = try StoredRecord.decode([UInt8](body))
            record.parts[0].ciphertext[record.parts[0].ciphertext.count - 1] ^= 0x01
            try db.execute(sql: "UPDATE records SET body = ? WHERE record_id = ?", arguments: [Data(record.encoded), Data(restored.late.bytes)])
        }
        let report = try restored.heal("cw-tra", memory: restored.workerMemory).report
        #expect(report.restoredRecords == 1)  // `rewrapped` only
        #expect(try restored.fixture.store().record(restored.late, version: 1) == nil)
    }

    @Test("a record erased while a heal puts records back stays erased", arguments: TestEngine.available)
    func erasureDuringHeal(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        _ = try restored.heal("lead-tra", memory: restored.leadMemory)
        let store = FailingStore(try restored.fixture.store())
        store.beforeInsertingMissing = {
            let lead = try restored.open("lead-tra", memory: restored.leadMemory)
            _ = try lead.eraseRecord(restored.late, reason: "asked to be forgotten, meanwhile")
        }
        let report = try Vault.heal(store: store, holder: #require(restored.fixture.identities["cw-tra"]), memory: restored.workerMemory).report
        #expect(report.restoredRecords == 1)  // `rewrapped`; `late` was erased before its bytes could go back
        #expect(try restored.fixture.store().record(restored.late, version: 1) == nil)
        #expect(try AuditVerifier.verify(store: restored.fixture.store(), resume: false).valid)
    }

    @Test("the journal forgets an erased record's versions, and keeps none of a removed identity", arguments: TestEngine.available)
    func journalForgets(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-cw"))
        let identity = try #require(fixture.identities["cw-tra"])
        let worker = try Vault(store: fixture.store(), holder: identity, memory: memory)
        let marker = "forget-me-\(UUID().uuidString)"
        let id = try worker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", marker)]))
        let path = memory.journalFile(fingerprint: worker.state.fingerprint, user: identity.identity.userID).path
        let count = { try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records WHERE record_id = ?", arguments: [Data(id.bytes)]) ?? 0 } }
        #expect(try count() == 1)
        let lead = try fixture.open("lead-tra")
        _ = try lead.eraseRecord(id, reason: "asked to be forgotten")
        _ = try Vault(store: fixture.store(), holder: identity, memory: memory)
        #expect(try count() == 0, "the journal must not keep an erased record")
        // Removed from the vault: the next open removes the journal (and any set aside).
        try fixture.admin.refresh()
        _ = try fixture.admin.removeUser(handle: "cw-tra")
        #expect(throws: KithVaultError.self) { _ = try Vault(store: fixture.store(), holder: identity, memory: memory) }
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".journal") }.isEmpty)
    }

    @Test("a journal entry altered on the device is refused, and nothing is written", arguments: TestEngine.available)
    func alteredJournalRefused(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        let path = restored.leadMemory.journalFile(fingerprint: restored.fixture.admin.state.fingerprint, user: try #require(restored.fixture.identities["lead-tra"]).identity.userID).path
        try DatabaseQueue(path: path).write { db in
            var bytes = try #require(try Data.fetchOne(db, sql: "SELECT bytes FROM entries WHERE seq = ?", arguments: [Int64(restored.backupSize + 1)]))
            bytes[bytes.count - 5] ^= 0x01
            try db.execute(sql: "UPDATE entries SET bytes = ? WHERE seq = ?", arguments: [bytes, Int64(restored.backupSize + 1)])
        }
        #expect {
            _ = try restored.heal("lead-tra", memory: restored.leadMemory)
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .integrity && error.reason.contains("does not verify") && error.reason.contains("nothing was written")
        }
        #expect(try restored.storeCount == Int(restored.backupSize))
    }

    @Test("an insider's forged entry in their own journal is refused: heal checks rights as a replay does", arguments: TestEngine.available)
    func forgedEntryRefused(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        // A modified client: the case worker signs, with their own keys, an entry making themselves lead, and
        // plants it in their journal where the store's next entry would go.
        let worker = try #require(restored.fixture.identities["cw-tra"])
        let before = try VerifiedLog.replayForVault(store: restored.fixture.store(), cacheProblem: nil).state
        let groupID = try #require(before.groups.keys.first)
        let forged = try LogEntry.make(
            seq: before.count, previousHash: before.headHash, timeMillis: before.headTimeMillis + 1, actor: worker,
            body: .roleGranted(group: groupID, user: worker.identity.userID, role: .lead), details: [], vaultID: before.vaultID)
        let path = restored.workerMemory.journalFile(fingerprint: before.fingerprint, user: worker.identity.userID).path
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DELETE FROM entries WHERE seq >= ?", arguments: [Int64(before.count)])
            try db.execute(sql: "INSERT INTO entries (seq, bytes) VALUES (?, ?)", arguments: [Int64(before.count), Data(forged.encoded)])
        }
        expectRefusal(.integrity, saying: "entry \(before.count)") { _ = try restored.heal("cw-tra", memory: restored.workerMemory) }
        #expect(try restored.storeCount == Int(restored.backupSize))
    }

    @Test("a store written to after the restore is another history: heal refuses it and writes nothing", arguments: TestEngine.available)
    func writtenAfterRestoreRefused(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        // The founder's client never saw the newer log: it writes to the restored store.
        let founder = try restored.fixture.open("founder")
        try founder.createGroup(name: "Food Bank")
        let count = try restored.storeCount
        expectRefusal(.integrity, saying: "someone wrote to the vault after it was restored") { _ = try restored.heal("lead-tra", memory: restored.leadMemory) }
        #expect(try restored.storeCount == count)
    }

    @Test("a device whose journal begins after the store ends says another device must heal first", arguments: TestEngine.available)
    func journalTooShort(engine: TestEngine) throws {
        let restored = try Restored(engine: engine, journalEntries: 2)
        expectRefusal(.notFound, saying: "must heal it first") { _ = try restored.heal("lead-tra", memory: restored.leadMemory) }
        #expect(try restored.storeCount == Int(restored.backupSize))
    }

    @Test("a device that cannot vouch for its journal (no remembered checkpoint, or a journal short of it) writes nothing", arguments: TestEngine.available)
    func journalNotVouchedFor(engine: TestEngine) throws {
        let restored = try Restored(engine: engine)
        let lead = try #require(restored.fixture.identities["lead-tra"]).identity.userID
        let fingerprint = restored.fixture.admin.state.fingerprint
        // The journal loses its newest entry: what is left cannot be checked against the checkpoint of what was seen.
        try DatabaseQueue(path: restored.leadMemory.journalFile(fingerprint: fingerprint, user: lead).path).write { db in
            try db.execute(sql: "DELETE FROM entries WHERE seq = ?", arguments: [Int64(restored.fullSize - 1)])
        }
        expectRefusal(.notFound, saying: "journal reaches only") { _ = try restored.heal("lead-tra", memory: restored.leadMemory) }
        try FileManager.default.removeItem(at: restored.leadMemory.file(fingerprint: fingerprint, user: lead))
        expectRefusal(.notFound, saying: "remembers no checkpoint") { _ = try restored.heal("lead-tra", memory: restored.leadMemory) }
        #expect(try restored.storeCount == Int(restored.backupSize))
    }

    @Test("a device with no journal says so, and a store that lost nothing is left as it is", arguments: TestEngine.available)
    func nothingToHeal(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let lead = try #require(fixture.identities["lead-tra"])
        #expect {
            _ = try Vault.heal(store: fixture.store(), holder: lead, memory: memory)
        } throws: { error in
            (error as? KithVaultError)?.code == .notFound
        }
        let vault = try Vault(store: fixture.store(), holder: lead, memory: memory)
        try vault.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        let count = vault.state.count
        let report = try Vault.heal(store: fixture.store(), holder: lead, memory: memory).report
        #expect(report.wasWhole && !report.wrote && report.stillMissingCount == 0)
        #expect(try fixture.store().entries(from: 0).count == Int(count))
    }

    @Test("the journal keeps only the newest entries it is allowed, and follows the verified head")
    func journalBounded() throws {
        let fixture = try VaultFixture(engine: .sqlite)
        _ = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"), journalEntries: 5)
        let identity = try #require(fixture.identities["lead-tra"])
        let vault = try Vault(store: fixture.store(), holder: identity, memory: memory)
        for index in 0..<4 { try vault.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "M\(index)")])) }
        let journal = try ClientJournal.open(path: memory.journalFile(fingerprint: vault.state.fingerprint, user: identity.identity.userID).path)
        let span = try #require(try journal.span())
        #expect(span.upperBound == vault.state.count)
        #expect(span.count == 5)
        #expect(try journal.entries(from: span.lowerBound, limit: 10) == fixture.store().entries(from: span.lowerBound))
    }
}
