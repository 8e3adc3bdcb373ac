import Foundation
@testable import KithSQLite
import GRDB
import KithCrypto
import KithLog
import Testing
@testable import KithVault

@Suite("Audit: incremental parallel verify, witnessing, sealed details")
struct AuditTests {
    static let group = "Trans Support"

    func busyVault() throws -> (VaultFixture, Vault) {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        try lead.addRecords(groupName: Self.group, kind: .member, (0..<5).map { try fields([("name", "Member \($0)")]) })
        for index in 0..<6 { try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Later \(index)")])) }
        return (fixture, lead)
    }

    func flip(_ fixture: VaultFixture, seq: Int64, offsetFromEnd: Int) throws {
        try fixture.flipLogEntry(seq: seq, offsetFromEnd: offsetFromEnd)
    }

    @Test("one thread and many find the same first bad signature", arguments: [1, 2, 8])
    func parallelAgrees(threads: Int) throws {
        let (fixture, lead) = try busyVault()
        let good = try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path), threads: threads)
        #expect(good.valid)
        #expect(good.entries == lead.state.count)
        // Two bad signatures: the earlier one is named whichever thread finds the later one first.
        try flip(fixture, seq: Int64(lead.state.count) - 1, offsetFromEnd: 1)
        try flip(fixture, seq: Int64(lead.state.count) - 4, offsetFromEnd: 1)
        let bad = try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path), threads: threads)
        #expect(bad.problems.first?.hasPrefix("entry \(lead.state.count - 4):") == true, "\(bad.problems)")
        #expect(bad.log == nil)
    }

    @Test("verify resumes from the last verified checkpoint, and still names an entry changed before it")
    func incremental() throws {
        let (fixture, lead) = try busyVault()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("auditor-state"))
        let first = try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path), memory: memory)
        #expect(first.valid && first.resumedFrom == 0)
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After the audit")]))
        let second = try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path), memory: memory)
        #expect(second.valid)
        #expect(second.resumedFrom == first.entries)
        // A signature byte changed inside the already-verified part: named, plus the broken resume.
        try flip(fixture, seq: 5, offsetFromEnd: 3)
        let third = try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path), memory: memory)
        #expect(third.problems.first?.hasPrefix("entry 5:") == true, "\(third.problems)")
        #expect(third.problems.contains { $0.contains("differ from the ones verified before") })
        #expect(third.resumedFrom == 0)
    }

    @Test("a log shorter than the one verified before is reported as rolled back")
    func verifiedRollback() throws {
        let (fixture, lead) = try busyVault()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("auditor-state"))
        let copy = fixture.directory.appendingPathComponent("old.kith").path
        try DatabaseQueue(path: fixture.path).writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Newer")]))
        #expect(try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path), memory: memory).valid)
        let old = try AuditVerifier.verify(store: SQLiteVaultStore(path: copy), memory: memory)
        #expect(!old.valid)
        #expect(old.problems.contains { $0.contains("rolled back") })
    }

    @Test("a witness cosigns per tlog-cosignature and refuses a rolled-back or forked log; others may not witness")
    func witness() throws {
        let (fixture, lead) = try busyVault()
        try fixture.enroll("auditor", role: .auditor)
        let identity = try #require(fixture.identities["auditor"])
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("auditor-state"))
        let auditor = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: identity, memory: memory)
        #expect(throws: KithVaultError.self) { try lead.witness() }

        let copy = fixture.directory.appendingPathComponent("copy.kith").path
        try DatabaseQueue(path: fixture.path).writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Real")]))
        let first = try auditor.witness()
        #expect(!first.alreadyCosigned && first.previous == nil && first.witnesses == 1)
        let stored = try SignedNote(parsing: #require(try SQLiteVaultStore(path: fixture.path).latestCheckpoint()))
        let witnessKey = try auditor.state.witnessKey(of: auditor.me)
        #expect(try stored.verify(trusted: [witnessKey]) == [witnessKey])
        let cosignature = try #require(stored.signatures.first { $0.name == witnessKey.name })
        let time = try #require(SignedNote.cosignatureTime(cosignature))
        #expect(time > 1_700_000_000 && time < 4_000_000_000)  // seconds, not milliseconds

        // The older copy, opened where the open-time memory is gone: witness refuses it as rolled back.
        #expect {
            try Self.withoutOpenMemory(memory) { try Vault(store: SQLiteVaultStore(path: copy), holder: identity, memory: memory).witness() }
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("rolled back")
        }
        // The copy grows differently to the same size: a fork. Witness refuses it too.
        let forker = try Vault(store: SQLiteVaultStore(path: copy), holder: #require(fixture.identities["lead-tra"]))
        try forker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Forged")]))
        let onFork = try Vault(store: SQLiteVaultStore(path: copy), holder: identity, memory: nil)
        #expect(throws: KithVaultError.self) { try onFork.witness() }  // needs memory
        #expect {
            try Self.withoutOpenMemory(memory) { try Vault(store: SQLiteVaultStore(path: copy), holder: identity, memory: memory).witness() }
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("not consistent with the one you cosigned")
        }
        let forkNote = try SignedNote(parsing: #require(try SQLiteVaultStore(path: copy).latestCheckpoint()))
        #expect(forkNote.signatures.count == 1)
    }

    @Test("a damaged record of what was witnessed stops the witness; nothing is cosigned")
    func damagedWitnessMemory() throws {
        let (fixture, _) = try busyVault()
        try fixture.enroll("auditor", role: .auditor)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("auditor-state"))
        let auditor = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: #require(fixture.identities["auditor"]), memory: memory)
        _ = try auditor.witness()
        let file = memory.witnessedFile(fingerprint: auditor.state.fingerprint, user: auditor.me)
        try Data("not a checkpoint\n".utf8).write(to: file)
        #expect {
            try auditor.witness()
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("is damaged")
        }
    }

    @Test("an offline consistency check says which roots it tied to checkpoints, and needs at least one")
    func consistencyCheckpoints() throws {
        let (fixture, lead) = try busyVault()
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: fixture.path))
        let log = try #require(report.log)
        let newest = try #require(report.newest)
        let old = try Checkpoint(origin: lead.origin, size: 4, root: log.tree.root(size: 4))
        let proof = Array(try log.consistencyProof(from: old, to: newest.checkpoint).json.utf8)
        let both = try ProofVerifier.verify(proof: proof, checkpoints: [old.text, newest.note.encoded], keys: nil)
        #expect(!both.unchecked.contains { $0.contains("Only one of the two roots") })
        let one = try ProofVerifier.verify(proof: proof, checkpoints: [newest.note.encoded], keys: nil)
        #expect(one.unchecked.contains { $0.contains("Only one of the two roots") })
        let unrelated = try Checkpoint(origin: lead.origin, size: 5, root: log.tree.root(size: 5))
        #expect(throws: KithVaultError.self) { try ProofVerifier.verify(proof: proof, checkpoints: [unrelated.text], keys: nil) }
    }

    /// Removes the open-time `.checkpoint` files (as on a new machine), keeping what was witnessed.
    static func withoutOpenMemory<T>(_ memory: CheckpointMemory, _ body: () throws -> T) throws -> T {
        for file in try FileManager.default.subpathsOfDirectory(atPath: memory.directory.path) where file.hasSuffix(".checkpoint") {
            try FileManager.default.removeItem(atPath: memory.directory.appendingPathComponent(file).path)
        }
        return try body()
    }

    @Test("the audit key: made by an auditor, shared on to a later auditor, who reads the past; the log refuses misuse")
    func auditKey() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Before any auditor")]))
        let first = try fixture.enroll("first-auditor", role: .auditor)
        #expect(throws: KithVaultError.self) { try lead.shareAuditKey() }
        #expect(try first.shareAuditKey() == .made)
        #expect(try first.shareAuditKey() == .upToDate)
        // The case worker's earlier details open once the case worker writes again.
        let earlier = try #require(try first.auditLog(AuditLogFilter(actor: caseworker.me, type: .recordWritten)).first)
        #expect(earlier.details == nil)
        try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "After")]))
        let opened = try #require(try first.auditLog(AuditLogFilter(actor: caseworker.me, type: .recordWritten)).first)
        #expect(opened.details?.first { $0.key == "fields" }?.value == "name")

        // A later auditor waits until an auditor who holds the key shares it on.
        let second = try fixture.enroll("second-auditor", role: .auditor)
        #expect(try second.shareAuditKey() == .waitingForAnotherAuditor)
        #expect(try second.auditLog(AuditLogFilter(actor: caseworker.me, type: .recordWritten)).first?.details == nil)
        // Not without the first auditor's say-so: an admin's second identity must not get every detail silently.
        var shown: [AuditorAwaitingKey] = []
        #expect(
            try first.shareAuditKey(confirm: {
                shown.append($0); return false
            }) == .awaitingConfirmation(["second-auditor"]))
        #expect(shown.map(\.user.fingerprint) == [try second.whoami().fingerprint])
        #expect(shown.map(\.enrolledBy) == ["founder"])
        #expect(try second.shareAuditKey() == .waitingForAnotherAuditor)
        #expect(try first.shareAuditKey(confirm: { $0.user.id == second.me }) == .sealed(to: ["second-auditor"]))
        try second.refresh()
        #expect(try second.auditLog(AuditLogFilter(actor: caseworker.me, type: .recordWritten)).first?.details?.isEmpty == false)
        // A non-auditor sees the public part only.
        #expect(try lead.auditLog(AuditLogFilter(actor: caseworker.me, type: .recordWritten)).first?.details == nil)

        // Forged entries: a lead sealing an audit key of their own, a second detail key.
        var state = lead.state
        let leadIdentity = try #require(fixture.identities["lead-tra"])
        let fake = try BoxKeyPair()
        let forgedKey = try LogEntry.make(
            seq: state.count, previousHash: state.headHash, timeMillis: 1, actor: leadIdentity,
            body: .auditKeyShared(publicKey: fake.publicKey, envelopes: [KeyEnvelope(user: lead.me, sealed: SealedBox.seal(fake.secretKeyCopy(), to: leadIdentity.identity.boxKey))]),
            details: [], vaultID: state.vaultID)
        #expect(throws: KithVaultError.self) { try state.apply(forgedKey) }
        let again = try LogEntry.make(
            seq: state.count, previousHash: state.headHash, timeMillis: 1, actor: #require(fixture.identities["cw-tra"]),
            body: .detailKeySealed(sealed: SealedBox.seal(SecureBytes(randomCount: 32), to: fake.publicKey)), details: [], vaultID: state.vaultID)
        #expect(throws: KithVaultError.self) { try state.apply(again) }
    }
}
