import Foundation
import GRDB
import KithCrypto
import KithLog
import Testing
@testable import KithVault

/// The resume cache: a command opens from what its client verified before
/// and reads only what came after; anything wrong with the cache costs a
/// full replay or the right refusal, never a wrong state.
@Suite("Resume cache")
struct ResumeCacheTests {
    static let group = "Trans Support"

    /// A vault with a group, some members, cases and notes, and the lead's state directory.
    struct Setting {
        let fixture: VaultFixture
        let memory: CheckpointMemory
        let members: [RecordID]
        let caseID: RecordID

        func open(_ handle: String = "lead-tra", memory: CheckpointMemory? = nil) throws -> Vault {
            try Vault(store: fixture.store(), holder: #require(fixture.identities[handle]), memory: memory ?? self.memory)
        }

        func cacheFile(_ vault: Vault) -> String { memory.cacheFile(fingerprint: vault.state.fingerprint, user: vault.me).path }
    }

    static func setting() throws -> Setting {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(group)
        let members = try lead.addRecords(groupName: group, kind: .member, (1...12).map { try fields([("name", "Member \($0)")]) })
        let caseID = try caseworker.addRecord(groupName: group, kind: .case, fields: fields([("summary", "Housing")], kind: .case))
        for number in 1...3 { try caseworker.addNote(caseID: caseID, text: "Note \(number)") }
        try lead.updateRecord(members[0], fields: fields([("pronouns", "she/her")]))
        return Setting(fixture: fixture, memory: CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead")), members: members, caseID: caseID)
    }

    /// Everything a state says, in one comparable value: the snapshot and every record row.
    static func digest(_ state: VaultState) throws -> [[UInt8]] {
        [state.encodeSnapshot()] + (try state.records.all().sorted { $0.id < $1.id }.map { $0.encodeRow() })
    }

    /// The state a client with no cache and no memory replays from genesis.
    static func truth(_ setting: Setting, _ handle: String = "lead-tra") throws -> [[UInt8]] {
        try digest(Vault(store: setting.fixture.store(), holder: #require(setting.fixture.identities[handle])).state)
    }

    /// Folds the cache's write-ahead log into the file, so the file alone is the cache.
    static func settle(_ file: String) throws {
        let queue = try DatabaseQueue(path: file)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
    }

    @Test("the second open resumes from the cache and reads only what was appended since")
    func resumes() throws {
        let setting = try Self.setting()
        let first = try setting.open()
        #expect(first.resumedFrom == nil)
        let seen = first.state.count
        let again = try setting.open()
        #expect(again.resumedFrom == seen)
        #expect(try Self.digest(again.state) == Self.truth(setting))

        // Another user appends; the lead's next open reads just those entries.
        let caseworker = try setting.fixture.open("cw-tra")
        for number in 1...40 { try caseworker.addNote(caseID: setting.caseID, text: "Later note \(number)") }
        let later = try setting.open()
        #expect(later.resumedFrom == seen)
        #expect(later.state.count == seen + 40)
        #expect(try Self.digest(later.state) == Self.truth(setting))
        // What it lists and reads agrees with a full replay.
        #expect(try later.notes(caseID: setting.caseID).count == 43)
        #expect(try later.listRecords(groupName: Self.group).count == 16 + 40)
        #expect(try later.readRecord(setting.members[0]).fields.contains { $0.name == "pronouns" })
        // And it writes on top of the resumed state like any client.
        try later.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After resume")]))
        #expect(try setting.open().resumedFrom == later.state.count)
        #expect(try Self.digest(setting.open().state) == Self.truth(setting))
    }

    @Test("a cache that cannot be saved costs the next command a full replay, never this one its work")
    func saveFails() throws {
        let setting = try Self.setting()
        let vault = try setting.open()
        vault.failsCacheSavesForTesting = true
        let id = try vault.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Written all the same")]))
        #expect(vault.cacheNote?.contains("could not be saved") == true)
        // The write landed; the next open resumes from the older cache and reads what came after.
        let next = try setting.open()
        #expect(next.resumedFrom != nil && (next.resumedFrom ?? 0) < next.state.count)
        #expect(try next.readRecord(id).fields.first?.value == "Written all the same")
        #expect(try Self.digest(next.state) == Self.truth(setting))
    }

    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case deleted, emptied, truncated, garbage, otherIdentity, otherVault, olderFormat
        var testDescription: String { rawValue }
    }

    @Test("a deleted, truncated, garbled or foreign cache costs a full replay and gives the right state", arguments: Damage.allCases)
    func damagedCache(damage: Damage) throws {
        let setting = try Self.setting()
        let lead = try setting.open()
        let file = setting.cacheFile(lead)
        #expect(FileManager.default.fileExists(atPath: file))
        try? FileManager.default.removeItem(atPath: file + "-wal")
        try? FileManager.default.removeItem(atPath: file + "-shm")
        switch damage {
        case .deleted:
            try FileManager.default.removeItem(atPath: file)
        case .emptied:
            try Data().write(to: URL(fileURLWithPath: file))
        case .truncated:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
        case .garbage:
            try Data((0..<20_000).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: file))
        case .otherIdentity:
            // The case worker's own cache, put where the lead's goes.
            let caseworker = try setting.open("cw-tra")
            try FileManager.default.removeItem(atPath: file)
            try FileManager.default.copyItem(atPath: setting.cacheFile(caseworker), toPath: file)
        case .otherVault:
            // The same person's cache of another vault (same identity, other fingerprint).
            let other = try VaultFixture()
            let otherMemory = CheckpointMemory(directory: other.directory.appendingPathComponent("state"))
            let founder = try Vault(store: other.store(), holder: other.founder, memory: otherMemory)
            let otherFile = otherMemory.cacheFile(fingerprint: founder.state.fingerprint, user: founder.me).path
            let mine = try Vault(store: setting.fixture.store(), holder: setting.fixture.founder, memory: setting.memory)
            let target = setting.cacheFile(mine)
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: otherFile, toPath: target)
            let reopened = try Vault(store: setting.fixture.store(), holder: setting.fixture.founder, memory: setting.memory)
            #expect(reopened.resumedFrom == nil)
            #expect(try Self.digest(reopened.state) == Self.truth(setting, "founder"))
            return
        case .olderFormat:
            let queue = try DatabaseQueue(path: file)
            try queue.write { db in try db.execute(sql: "UPDATE head SET format = 0") }
            try queue.close()
        }
        let reopened = try setting.open()
        #expect(reopened.resumedFrom == nil)
        #expect(try Self.digest(reopened.state) == Self.truth(setting))
        // The full replay wrote a good cache again: the next open resumes.
        #expect(try setting.open().resumedFrom == reopened.state.count)
    }

    /// Every stored value of the cache, one byte at a time, flipped through SQL
    /// (so SQLite still reads the file and only the tag can catch it).
    @Test("every flipped byte of the cache's head and of a record row gives the right state")
    func flippedValues() throws {
        let setting = try Self.setting()
        let lead = try setting.open()
        let file = setting.cacheFile(lead)
        let truth = try Self.truth(setting)
        let target = Data(setting.members[3].bytes)
        let columns: [(table: String, column: String, key: String, value: DatabaseValueConvertible)] = [
            ("head", "state", "one", 1), ("head", "frontier", "one", 1), ("head", "tag", "one", 1),
            ("records", "body", "id", target), ("records", "tag", "id", target), ("records", "grp", "id", target),
        ]
        try Self.settle(file)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: file))
        var checked = 0
        for (table, column, key, value) in columns {
            let original = try #require(
                try DatabaseQueue(path: file).read { db in try Data.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(key) = ?", arguments: [value]) })
            // Every byte of the short columns; a stride through the long snapshot.
            let step = original.count > 400 ? 7 : 1
            for index in stride(from: 0, to: original.count, by: step) {
                // Start from the cache as it was, then change one byte of one value.
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
                try pristine.write(to: URL(fileURLWithPath: file))
                var flipped = original
                flipped[index] ^= 0x01
                let queue = try DatabaseQueue(path: file)
                try queue.write { db in try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(key) = ?", arguments: [flipped, value]) }
                try queue.close()
                let reopened = try setting.open()
                #expect(try Self.digest(reopened.state) == truth, "\(table).\(column) byte \(index)")
                #expect(try reopened.readWithoutLogging(setting.members[3], version: nil).fields.first?.value == "Member 4")
                #expect(try reopened.listRecords(groupName: Self.group).count == 16)
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    @Test("a record row missing from the cache does not shorten a listing")
    func missingRow() throws {
        let setting = try Self.setting()
        let lead = try setting.open()
        let queue = try DatabaseQueue(path: setting.cacheFile(lead))
        try queue.write { db in try db.execute(sql: "DELETE FROM records WHERE id = ?", arguments: [Data(setting.members[5].bytes)]) }
        try queue.close()
        let reopened = try setting.open()
        #expect(reopened.resumedFrom != nil)
        #expect(try reopened.listRecords(groupName: Self.group).count == 16)
        #expect(try Self.digest(reopened.state) == Self.truth(setting))
    }

    @Test("raw bytes of the cache file flipped: the right state or a full replay, never an error")
    func flippedFileBytes() throws {
        let setting = try Self.setting()
        let lead = try setting.open()
        let file = setting.cacheFile(lead)
        let truth = try Self.truth(setting)
        try Self.settle(file)
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        for index in stride(from: 0, to: original.count, by: 61) {
            var flipped = original
            flipped[index] ^= 0x20
            try? FileManager.default.removeItem(atPath: file + "-wal")
            try? FileManager.default.removeItem(atPath: file + "-shm")
            try flipped.write(to: URL(fileURLWithPath: file))
            let reopened = try setting.open()
            #expect(try Self.digest(reopened.state) == truth, "file byte \(index)")
            #expect(try reopened.listRecords(groupName: Self.group).count == 16, "file byte \(index)")
        }
    }

    @Test("a cache left over from a store that was rolled back: a full replay without the memory, a refusal with it")
    func leftOverFromRolledBackStore() throws {
        let setting = try Self.setting()
        let store = try setting.fixture.store()
        try store.purgeReplacedBytes()
        let old = setting.fixture.directory.appendingPathComponent("old.kith")
        try FileManager.default.copyItem(atPath: setting.fixture.path, toPath: old.path)
        let lead = try setting.open()
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Written after the copy")]))
        // The store goes back to the copy; the lead's cache and memory are ahead of it.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setting.fixture.path + suffix) }
        try FileManager.default.removeItem(atPath: setting.fixture.path)
        try FileManager.default.copyItem(atPath: old.path, toPath: setting.fixture.path)
        #expect {
            _ = try setting.open()
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("rolled back")
        }
        // Someone who knowingly restored a backup moves the remembered checkpoint aside: the stale cache is not trusted either.
        try FileManager.default.removeItem(at: setting.memory.file(fingerprint: lead.state.fingerprint, user: lead.me))
        let reopened = try setting.open()
        #expect(reopened.resumedFrom == nil)
        #expect(try Self.digest(reopened.state) == Self.truth(setting))
    }

    @Test("a store forked after the cache was written is refused, not resumed")
    func forkAfterResume() throws {
        let setting = try Self.setting()
        try setting.fixture.store().purgeReplacedBytes()
        let base = setting.fixture.directory.appendingPathComponent("base.kith")
        try FileManager.default.copyItem(atPath: setting.fixture.path, toPath: base.path)
        let lead = try setting.open()
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "The real one")]))
        #expect(try setting.open().resumedFrom == lead.state.count)
        // The same start, then a different entry at the same position, and one more so the store is longer.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setting.fixture.path + suffix) }
        try FileManager.default.removeItem(atPath: setting.fixture.path)
        try FileManager.default.copyItem(atPath: base.path, toPath: setting.fixture.path)
        let forger = try setting.fixture.open("lead-tra")
        try forger.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "A forged one")]))
        try forger.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "And another")]))
        #expect {
            _ = try setting.open()
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("fork")
        }
    }

    @Test("a row saved meanwhile by another process of the same user is read as of this state, not newer")
    func newerRowIsNotReadEarly() throws {
        let setting = try Self.setting()
        _ = try setting.open()
        let older = try setting.open()
        #expect(older.resumedFrom != nil)
        let size = older.state.count
        // Another process of the lead writes a new version of member 2 and saves the cache.
        let other = try setting.open()
        try other.updateRecord(setting.members[1], fields: fields([("pronouns", "they/them")]))
        // The older state, read lazily, still sees the record as of its own size.
        let record = try #require(try older.state.records.record(setting.members[1]))
        #expect(record.versions.count == 1)
        #expect(record.versions.allSatisfy { $0.seq < size })
        #expect(try older.state.records.records(in: record.group).allSatisfy { $0.versions.allSatisfy { $0.seq < size } })
    }

    @Test("an entry changed in the store before where the client resumed is refused by the audit log, not shown")
    func auditLogAfterResume() throws {
        let setting = try Self.setting()
        _ = try setting.open()
        // Someone holding the file rewrites an early entry (the schema's guard dropped first).
        let queue = try DatabaseQueue(path: setting.fixture.path)
        try queue.writeWithoutTransaction { db in
            let original = try #require(try Data.fetchOne(db, sql: "SELECT entry FROM log_entries WHERE seq = 3"))
            var changed = original
            changed[changed.count - 1] ^= 0x01
            try db.execute(sql: "DROP TRIGGER log_entries_no_update")
            try db.execute(sql: "UPDATE log_entries SET entry = ? WHERE seq = 3", arguments: [changed])
        }
        try queue.close()
        // The resumed open reads only what came after its cache, so it opens...
        let resumed = try setting.open()
        #expect(resumed.resumedFrom != nil)
        // ...but the audit log reads every entry, and the changed one breaks the chain to the verified head.
        #expect {
            _ = try resumed.auditLog()
        } throws: { error in
            (error as? KithVaultError)?.code == .integrity
        }
        // A client that replays from genesis refuses the store outright.
        #expect(throws: KithVaultError.self) { _ = try setting.open("cw-tra", memory: CheckpointMemory(directory: setting.fixture.directory.appendingPathComponent("fresh"))) }
    }

    @Test("the cache holds no name, handle or field value")
    func noPlaintext() throws {
        let setting = try Self.setting()
        let lead = try setting.open()
        let file = setting.cacheFile(lead)
        try Self.settle(file)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        for secret in ["Member 1", "Member 12", "Housing", "Note 1", "she/her", Self.group, "lead-tra", "cw-tra", "founder"] {
            #expect(!bytes.contains(subsequence: Array(secret.utf8)), "\(secret) is in the cache")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

/// Proofs from a resumed client: the same bytes a full replay gives, with
/// no full replay, whatever happened to the kept tree nodes.
@Suite("Proofs without a full replay")
struct ResumedProofTests {
    static let group = "Trans Support"

    enum NodeDamage: String, CaseIterable, CustomTestStringConvertible {
        case none, flippedHash, flippedTag, deleted
        var testDescription: String { rawValue }
    }

    @Test("inclusion and consistency proofs from a resumed vault equal a full replay's", arguments: NodeDamage.allCases)
    func resumedProofs(damage: NodeDamage) throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        try lead.addRecords(groupName: Self.group, kind: .member, (1...700).map { try fields([("name", "M\($0)")]) })
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let identity = try #require(fixture.identities["lead-tra"])
        // The first open replays in full and keeps the tree's nodes; then another user writes.
        _ = try Vault(store: fixture.store(), holder: identity, memory: memory)
        try caseworker.refresh()
        try caseworker.addRecords(groupName: Self.group, kind: .member, (1...40).map { try fields([("name", "N\($0)")]) })
        let file = memory.cacheFile(fingerprint: lead.state.fingerprint, user: lead.me).path
        let queue = try DatabaseQueue(path: file)
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM nodes") } ?? 0 >= 3)
        switch damage {
        case .none: break
        case .flippedHash: try queue.write { db in try db.execute(sql: "UPDATE nodes SET hash = zeroblob(32) WHERE level = 8 AND idx = 1") }
        case .flippedTag: try queue.write { db in try db.execute(sql: "UPDATE nodes SET tag = zeroblob(32) WHERE level = 9") }
        case .deleted: try queue.write { db in try db.execute(sql: "DELETE FROM nodes") }
        }
        try queue.close()

        let resumed = try Vault(store: fixture.store(), holder: identity, memory: memory)
        #expect(resumed.resumedFrom != nil)
        let (log, newest) = try resumed.auditedLog()
        let checked = try #require(newest)
        let full = try #require(try AuditVerifier.verify(store: fixture.store(), resume: false).log)
        let size = checked.checkpoint.size
        for seq: UInt64 in [0, 1, 5, 255, 256, 300, 511, 700, size - 1] {
            let proof = try log.inclusionProof(entry: seq, in: checked)
            #expect(proof.text == (try full.inclusionProof(entry: seq, in: checked)).text, "entry \(seq)")
        }
        for old: UInt64 in [1, 7, 100, 256, 512, 700, size] {
            let from = try Checkpoint(origin: lead.origin, size: old, root: full.tree.root(size: old))
            #expect(try log.consistencyProof(from: from, to: checked.checkpoint).json == full.consistencyProof(from: from, to: checked.checkpoint).json, "from \(old)")
        }
        // A checkpoint the resumed log does not match is refused, as the full one refuses it.
        let wrong = try Checkpoint(origin: lead.origin, size: 300, root: full.tree.root(size: 299))
        #expect(throws: KithVaultError.self) { _ = try log.consistencyProof(from: wrong, to: checked.checkpoint) }
    }
}
