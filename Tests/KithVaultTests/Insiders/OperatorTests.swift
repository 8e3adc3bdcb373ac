import Foundation
import GRDB
@testable import KithSQLite
import KithCrypto
import KithLog
import Testing
@testable import KithVault

/// What an operator of the store (who can edit any row but sign nothing)
/// and a live server that changes its answers can and cannot do.
@Suite("Operators and live stores against rekeys, listings and exports")
struct OperatorTests {
    static let group = RekeyTests.group

    /// Every stored version the log names for `ids`, decoded.
    static func storedVersions(_ vault: Vault, _ ids: [RecordID], path: String) throws -> [StoredRecord] {
        let store = try SQLiteVaultStore(path: path)
        var out: [StoredRecord] = []
        for id in ids {
            for version in try #require(try vault.state.records.record(id)).versions {
                out.append(try StoredRecord.decode(#require(try store.record(id, version: version.version))))
            }
        }
        return out
    }

    @Test("a row whose group column an operator changed is re-encrypted all the same")
    func movedRowIsRekeyed() throws {
        let (fixture, lead, ids) = try RekeyTests.populated()
        // The operator points one record's rows at a group that does not exist.
        try DatabaseQueue(path: fixture.path).write { db in
            try db.execute(sql: "UPDATE records SET group_id = ? WHERE record_id = ?", arguments: [Data(repeating: 7, count: 16), Data(ids[0].bytes)])
        }
        let summary = try #require(try lead.revoke(groupName: Self.group, from: "cw-tra", mode: .reencrypt).rekey)
        #expect(summary.scanned == 8)
        #expect(summary.changed == 8)
        for record in try Self.storedVersions(lead, ids, path: fixture.path) {
            for part in record.parts where part.compartment != .sensitive {
                #expect(part.contentEpoch == 2, "record \(record.id) version \(record.version) \(part.compartment) stayed on epoch \(part.contentEpoch)")
            }
        }
    }

    @Test("a row an operator removed stops the completion and is named")
    func missingRowIsNamed() throws {
        let (fixture, lead, ids) = try RekeyTests.populated()
        try DatabaseQueue(path: fixture.path).write { db in
            try db.execute(sql: "DELETE FROM records WHERE record_id = ? AND version = 1", arguments: [Data(ids[3].bytes)])
        }
        #expect {
            try lead.revoke(groupName: Self.group, from: "cw-tra", mode: .rewrap)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            return error.reason.contains("record \(ids[3]) version 1") && error.reason.contains("missing from the store")
                && error.reason.contains("1 of 8")
        }
        let types = try SQLiteVaultStore(path: fixture.path).entries(from: 0).map { try LogEntry.decode($0).body.type }
        #expect(types.contains(.rekeyStarted))
        #expect(!types.contains(.rekeyCompleted))
        let groupID = try lead.group(named: Self.group).id
        #expect(try fixture.open("lead-tra").state.groups[groupID]?.pendingRekey != nil)
        // The other versions were moved all the same.
        for record in try Self.storedVersions(lead, ids.filter { $0 != ids[3] }, path: fixture.path) {
            for part in record.parts where part.compartment != .sensitive { #expect(part.wrapEpoch == 2) }
        }
    }

    @Test("an audit listing never shows entries other than the ones verified, even re-signed by an insider")
    func listingIsTheVerifiedLog() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari")]))
        _ = try fixture.open("cw-tra").readRecord(id)
        let lying = LyingStore(try fixture.store())
        let auditor = try Vault(store: lying, holder: fixture.founder)
        let honest = try auditor.auditLog()
        // The case worker's last entry, replaced by another they signed at the
        // same position on the same chain: only the verified head tells them apart.
        let count = UInt64(try lying.inner.entries(from: 0).count)
        let last = try LogEntry.decode(#require(try lying.inner.entry(at: count - 1)))
        let forged = try LogEntry.make(
            seq: last.seq, previousHash: last.previousHash, timeMillis: last.timeMillis + 1,
            actor: #require(fixture.identities["cw-tra"]), body: .recordRead(record: id, version: 1), details: [], vaultID: auditor.state.vaultID)
        #expect(forged.encoded != last.encoded)
        lying.rewrite = { seq, bytes in seq == count - 1 ? forged.encoded : bytes }
        #expect {
            _ = try auditor.auditLog()
        } throws: { error in
            (error as? KithVaultError)?.code == .integrity
        }
        lying.rewrite = nil
        #expect(try auditor.auditLog().count == honest.count)
    }

    @Test("one damaged record is left out of an export and named; the rest are exported")
    func exportSkipsDamaged() throws {
        let (fixture, lead, ids) = try RekeyTests.populated()
        let store = try SQLiteVaultStore(path: fixture.path)
        var damaged = try StoredRecord.decode(#require(try store.record(ids[2], version: 1)))
        damaged.parts[0].ciphertext[30] ^= 1
        try store.overwriteRecordForTesting(ids[2], version: 1, body: damaged.encoded)
        let exported = try lead.exportRecords(groupName: Self.group, format: "json")
        #expect(exported.skipped.map(\.id) == [ids[2]])
        #expect(exported.skipped.first?.error.code == .integrity)
        #expect(exported.records.count == ids.count - 1)
        #expect(!exported.records.contains { $0.id == ids[2] })
    }

    @Test("a writer is held to the reader's size limit, so nothing unreadable is ever written")
    func writerLimit() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let before = lead.state.count
        let value = String(repeating: "x", count: 1 << 20)
        let big = try (0..<33).map { try RecordField(compartment: .notes, name: "part\($0)", value: value) }
        #expect {
            try lead.addRecord(groupName: "Trans Support", kind: .member, fields: big)
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .invalidInput && error.reason.contains("at most 32 MiB") && error.remedy == .addAttachment
        }
        #expect(try fixture.open("lead-tra").state.count == before)
    }

    @Test("an operator who strips a witness's cosignature from a checkpoint a client saw cosigned is caught by that client")
    func strippedCosignature() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        try fixture.enroll("kai", role: .auditor)
        let kaiMemory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("kai"))
        let kai = try Vault(store: fixture.store(), holder: #require(fixture.identities["kai"]), memory: kaiMemory)
        try kai.shareAuditKey()
        _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari")]))
        try kai.refresh()
        let witnessed = try kai.witness().checkpoint.size
        let leadMemory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("lead"))
        let open = { try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: leadMemory) }
        _ = try open()  // sees the cosignature
        // Then writes on, so its resume cache moves past the witnessed size.
        let writer = try open()
        _ = try writer.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Later")]))
        #expect(try open().resumedFrom ?? 0 > witnessed)

        // The operator rewrites the stored note without the cosignature line.
        let note = try SignedNote(parsing: #require(try fixture.store().checkpoint(size: witnessed)))
        let witnessKey = try kai.state.witnessKey(of: kai.me)
        let stripped = note.encoded.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\u{2014} \(witnessKey.name) ") }.joined(separator: "\n")
        #expect(stripped != note.encoded)
        try DatabaseQueue(path: fixture.path).write { db in
            try db.execute(sql: "UPDATE checkpoints SET note = ? WHERE size = ?", arguments: [stripped, Int64(witnessed)])
        }
        #expect {
            _ = try open()
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .integrity && error.reason.contains("lost the cosignature of kai")
        }
        // A client that never saw it cosigned cannot tell (an auditor's checkpoint file can).
        #expect(throws: Never.self) { _ = try fixture.open("cw-tra") }
    }
}
