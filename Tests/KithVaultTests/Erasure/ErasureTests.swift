import Foundation
import KithCrypto
import Testing

@testable import KithVault

/// Forgetting a person (issue 19): an erasure removes every stored byte of
/// the records from the live store, on every engine, keeps the log
/// verifiable, and is refused to everyone but the group's leads.
@Suite("Erasing records")
struct ErasureTests {
    static let group = "Trans Support"

    /// A member with a sensitive field and an update, a case about them with
    /// a note and an attachment, and someone else who must stay.
    struct Person {
        let member: RecordID
        let caseID: RecordID
        let note: RecordID
        let file: RecordID
        let other: RecordID
        /// Slices of every stored version's bytes and of the attachment's file, to look for afterwards.
        let markers: [[UInt8]]
    }

    static func person(_ fixture: VaultFixture, lead: Vault, caseworker: Vault) throws -> Person {
        let member = try lead.addRecord(
            groupName: group, kind: .member, fields: fields([("name", "Sam Rivera"), ("phone", "07700900123"), ("sensitive:status", "asylum claim")]))
        try lead.updateRecord(member, fields: fields([("name", "Sam R. Rivera")]))
        try caseworker.refresh()
        let caseID = try caseworker.addRecord(groupName: group, kind: .case, fields: fields([("need", "housing")], kind: .case), parent: member)
        let note = try caseworker.addNote(caseID: caseID, text: "Moved to the shelter on Hill Street.")
        let upload = fixture.directory.appendingPathComponent("letter.pdf")
        try Data((0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }).write(to: upload)
        let file = try caseworker.addAttachment(caseID: caseID, file: upload.path)
        try FileManager.default.removeItem(at: upload)
        let other = try lead.addRecord(groupName: group, kind: .member, fields: fields([("name", "Dee Okafor")]))
        let store = try fixture.store()
        var markers: [[UInt8]] = []
        for (id, version) in [(member, 1), (member, 2), (caseID, 1), (note, 1), (file, 1)] as [(RecordID, UInt32)] {
            let body = try #require(try store.record(id, version: version))
            markers += [Array(body.suffix(40)), Array(body[body.count / 2..<body.count / 2 + 40])]
        }
        let source = try #require(try store.attachments.openAttachment(file))
        var head = [UInt8](repeating: 0, count: 4096)
        let read = try head.withUnsafeMutableBytes { try source.read(into: $0) }
        #expect(read == 4096)
        markers.append(Array(head[1000..<1040]))
        return Person(member: member, caseID: caseID, note: note, file: file, other: other, markers: markers)
    }

    static func found(_ markers: [[UInt8]], in files: [[UInt8]]) -> Int {
        markers.filter { marker in files.contains { $0.contains(subsequence: marker) } }.count
    }

    @Test("a member erased with their cases leaves no stored byte behind, and the log still verifies", arguments: TestEngine.available)
    func erasesEverything(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let (lead, caseworker, viewer) = try fixture.standardGroup(Self.group)
        let sam = try Self.person(fixture, lead: lead, caseworker: caseworker)
        // Before: the scan finds what it looks for (or it could never fail).
        if let before = try fixture.place.fileBytes() { #expect(Self.found(sam.markers, in: before) == sam.markers.count) }
        try caseworker.refresh()
        #expect(try caseworker.search(SearchQuery.parse(["rivera"])).results.map(\.id) == [sam.member])

        let report = try lead.eraseRecord(sam.member, cases: .erase, reason: "erasure request from the member")
        #expect(Set(report.records.map(\.id)) == [sam.member, sam.caseID, sam.note, sam.file])
        #expect(report.records.first?.id == sam.member && !report.alreadyErased && report.purge == .complete)
        #expect(report.attachmentsRemoved == (engine == .postgres ? 0 : 1))  // PostgreSQL's went in the entry's own transaction

        if let after = try fixture.place.fileBytes() { #expect(Self.found(sam.markers, in: after) == 0, "erased bytes are still in the store's files") }
        let store = try fixture.store()
        for id in [sam.member, sam.caseID, sam.note, sam.file] {
            #expect(try store.record(id, version: 1) == nil)
        }
        #expect(try store.attachments.openAttachment(sam.file) == nil)
        // Gone from every view, for every role, and said so plainly.
        for vault in [lead, caseworker, viewer] {
            try vault.refresh()
            #expect(try vault.listRecords(groupName: Self.group).map(\.id) == [sam.other])
            let error = #expect(throws: KithVaultError.self) { try vault.readRecord(sam.member) }
            #expect(error?.code == .notFound && error?.reason.contains("was erased by a lead of Trans Support") == true, "\(error?.reason ?? "")")
        }
        #expect(throws: KithVaultError.self) { try caseworker.notes(caseID: sam.caseID) }
        #expect(throws: KithVaultError.self) { try caseworker.saveAttachment(sam.file, to: fixture.directory.appendingPathComponent("x").path) }
        #expect(try caseworker.search(SearchQuery.parse(["rivera"])).results.isEmpty)
        #expect(try caseworker.search(SearchQuery.parse(["okafor"])).results.map(\.id) == [sam.other])
        #expect(try lead.exportRecords(groupName: Self.group, format: "json").records.map(\.id) == [sam.other])
        // The log keeps that they were there: history (who wrote when) and the audit.
        #expect(try lead.history(sam.member).map(\.version) == [1, 2])
        let audit = try AuditVerifier.verify(store: fixture.store())
        #expect(audit.valid, "\(audit.problems)")
        #expect(audit.records?.erased == 4 && audit.records?.problems.isEmpty == true, "\(audit.records?.problems ?? [])")
        // A fresh client replays it the same way.
        let fresh = try fixture.open("cw-tra")
        #expect(try fresh.listRecords(groupName: Self.group).map(\.id) == [sam.other])
        #expect(try fresh.state.records.record(sam.note)?.isErased == true)
    }

    @Test("only a lead of the group may erase; an unknown id is not found; nothing is written for a refusal")
    func refusals() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, viewer) = try fixture.standardGroup(Self.group)
        let auditor = try fixture.enroll("audra", role: .auditor)
        let (otherLead, _, _) = try fixture.standardGroup("Food Bank")
        let sam = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        let before = try fixture.store().entries(from: 0).count
        for vault in [caseworker, viewer, fixture.admin, auditor, otherLead] {
            try vault.refresh()
            let error = #expect(throws: KithVaultError.self) { try vault.eraseRecord(sam, reason: "trying") }
            #expect(error?.code == .accessDenied || error?.code == .notFound, "\(error?.reason ?? "")")
            if error?.code == .accessDenied { #expect(error?.reason == "only a lead of Trans Support may erase its records") }
            #expect(throws: KithVaultError.self) { try vault.erasurePlan(sam) }
        }
        let unknown = #expect(throws: KithVaultError.self) { try lead.eraseRecord(RecordID.random(), reason: "no such record") }
        #expect(unknown?.code == .notFound)
        let noReason = #expect(throws: KithVaultError.self) { try lead.eraseRecord(sam, reason: "  ") }
        #expect(noReason?.code == .invalidInput)
        #expect(try fixture.store().entries(from: 0).count == before)
        #expect(try lead.readRecord(sam).fields.first?.value == "Sam")
    }

    @Test("a member with cases needs a choice: with them, or keeping them; a case always takes its notes")
    func linkedChoice() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let sam = try Self.person(fixture, lead: lead, caseworker: caseworker)
        let error = #expect(throws: KithVaultError.self) { try lead.eraseRecord(sam.member, reason: "request") }
        #expect(error?.code == .invalidInput && error?.remedy == .chooseLinkedCases(count: 1), "\(error?.reason ?? "")")
        #expect(try lead.erasurePlan(sam.member, cases: .erase).map(\.id) == [sam.member, sam.caseID, sam.note, sam.file])
        #expect(try lead.erasurePlan(sam.caseID).map(\.id) == [sam.caseID, sam.note, sam.file])
        // Kept: the case stays readable, about a member who is gone.
        let kept = try lead.eraseRecord(sam.member, cases: .keep, reason: "duplicate member record")
        #expect(kept.records.map(\.id) == [sam.member])
        #expect(try lead.readRecord(sam.caseID).parent == sam.member)
        #expect(try lead.notes(caseID: sam.caseID).count == 1)
        // Nothing new may hang on what is gone.
        let newCase = #expect(throws: KithVaultError.self) {
            try lead.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "x")], kind: .case), parent: sam.member)
        }
        #expect(newCase?.code == .notFound)
        let note = try lead.eraseRecord(sam.note, reason: "written about the wrong person")
        #expect(note.records.map(\.id) == [sam.note])
        #expect(try lead.notes(caseID: sam.caseID).isEmpty)
        #expect(throws: KithVaultError.self) { try caseworker.addNote(caseID: sam.note, text: "x") }
    }

    @Test("an erasure that fails to commit leaves the records whole; one killed before its files were removed is finished by running it again")
    func crashes() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let sam = try Self.person(fixture, lead: lead, caseworker: caseworker)
        let failing = FailingStore(try fixture.store())
        failing.failAppends = true
        let broken = try Vault(store: failing, holder: #require(fixture.identities["lead-tra"]))
        #expect(throws: KithVaultError.self) { try broken.eraseRecord(sam.member, cases: .erase, reason: "request") }
        #expect(try lead.readRecord(sam.member).version == 2)
        #expect(try fixture.store().attachments.openAttachment(sam.file) != nil)
        #expect(try AuditVerifier.verify(store: fixture.store()).records?.problems.isEmpty == true)

        // Removing the files fails after the commit: the error says the erasure is done and how to finish.
        let afterwards = FailingStore(try fixture.store())
        afterwards.failAttachmentErase = true
        let diskError = try Vault(store: afterwards, holder: #require(fixture.identities["lead-tra"]))
        try caseworker.refresh()
        let stray = try caseworker.addNote(caseID: sam.caseID, text: "written about the wrong person")
        let cleanUp = #expect(throws: KithVaultError.self) { try diskError.eraseRecord(stray, reason: "wrong person") }
        #expect(cleanUp?.code == .storage && cleanUp?.reason.contains("the erasure is logged") == true && cleanUp?.reason.contains("run the same erasure again") == true, "\(cleanUp?.reason ?? "")")
        try lead.refresh()
        #expect(try lead.state.records.record(stray)?.isErased == true)

        // Killed between the commit and the attachment files: the file is left.
        let filePath = fixture.path + ".files/\(sam.file)"
        let file = try Data(contentsOf: URL(fileURLWithPath: filePath))
        try lead.eraseRecord(sam.member, cases: .erase, reason: "request")
        #expect(!FileManager.default.fileExists(atPath: filePath))
        try file.write(to: URL(fileURLWithPath: filePath))
        let audit = try AuditVerifier.verify(store: fixture.store())
        #expect(audit.records?.problems.map(\.record) == [sam.file] && audit.records?.problems.first?.erased == true)
        let again = try lead.eraseRecord(sam.caseID, reason: "finishing")
        #expect(again.alreadyErased && again.attachmentsRemoved == 1 && Set(again.records.map(\.id)) == [sam.member, sam.caseID, sam.note, sam.file])
        #expect(try AuditVerifier.verify(store: fixture.store()).records?.problems.isEmpty == true)
        // Rows a store brings back under the log are named by the audit too.
        try fixture.place.operatorSQL([
            "INSERT INTO records (record_id, version, group_id, entry_seq, body) VALUES (X'\(Hex.encode(sam.note.bytes))', 1, X'\(Hex.encode(lead.state.groups.keys.first?.bytes ?? []))', 1, X'00')"
        ])
        let restored = try AuditVerifier.verify(store: fixture.store())
        #expect(restored.records?.problems.contains { $0.record == sam.note && $0.erased } == true)
    }
}

extension ErasureTests {
    @Test("a client's resume cache keeps the erasure, and its search index on disk is dropped at its next open, before the cache moves past it")
    func deviceCaches() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let sam = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam Rivera")]))
        let dee = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dee Okafor")]))
        try caseworker.refresh()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-cw"))
        let identity = try #require(fixture.identities["cw-tra"])
        let device = try Vault(store: fixture.store(), holder: identity, memory: memory)
        #expect(try device.search(SearchQuery.parse(["rivera"])).results.map(\.id) == [sam])
        let indexPath = memory.searchFile(fingerprint: device.state.fingerprint, user: device.me).path
        let group = try #require(device.state.groups.keys.first)
        #expect(SearchIndex.indexedGroups(path: indexPath)?.map(\.0) == [group])

        try lead.refresh()
        try lead.eraseRecord(sam, reason: "request")
        // The next open reads the erasure from the log (resumed from the cache), drops the group's index, then saves the cache.
        let reopened = try Vault(store: fixture.store(), holder: identity, memory: memory)
        #expect(reopened.resumedFrom != nil)
        #expect(SearchIndex.indexedGroups(path: indexPath)?.isEmpty ?? true)
        let outcome = try reopened.search(SearchQuery.parse(["rivera"]))
        #expect(outcome.results.isEmpty && outcome.indexed.map(\.records) == [1])
        // Resumed again, from a cache saved after the erasure: the record is still erased, from the cache's row.
        let third = try Vault(store: fixture.store(), holder: identity, memory: memory)
        #expect(third.resumedFrom == reopened.state.count)
        #expect(try third.state.records.record(sam)?.erasure?.seq == lead.state.records.record(sam)?.erasedAt)
        #expect(try third.listRecords(groupName: Self.group).map(\.id) == [dee])
        #expect(throws: KithVaultError.self) { try third.readRecord(sam) }
    }
}

/// A store whose appends can be made to fail (a crash or a lost connection
/// before the transaction commits).
final class FailingStore: VaultStore, @unchecked Sendable {
    // @unchecked: the flag is set by the test before the calls it affects.
    let inner: VaultStore
    var failAppends = false
    /// When set, removing attachment files fails (a disk error after the erasure committed).
    var failAttachmentErase = false

    init(_ inner: VaultStore) { self.inner = inner }

    func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]] { try inner.entries(from: seq, limit: limit) }
    func append(_ batch: StoreBatch) throws {
        if failAppends { throw KithVaultError.storage("the connection was lost (test)") }
        try inner.append(batch)
    }
    func record(_ id: RecordID, version: UInt32) throws -> [UInt8]? { try inner.record(id, version: version) }
    func recordPage(group: GroupID, after: (id: RecordID, version: UInt32)?, limit: Int) throws -> [StoredRecordRow] {
        try inner.recordPage(group: group, after: after, limit: limit)
    }
    func replaceRecordBodies(_ rows: [StoredRecordRow]) throws { try inner.replaceRecordBodies(rows) }
    /// Runs once, before the first insert of missing records (another client writing at that moment).
    var beforeInsertingMissing: (() throws -> Void)?
    func insertMissingRecords(_ rows: [RecordRow], expectedCount: UInt64) throws -> Int {
        if let hook = beforeInsertingMissing {
            beforeInsertingMissing = nil
            try hook()
        }
        return try inner.insertMissingRecords(rows, expectedCount: expectedCount)
    }
    func purgeReplacedBytes() throws -> PurgeOutcome { try inner.purgeReplacedBytes() }
    func latestCheckpoint(containing marker: String?) throws -> String? { try inner.latestCheckpoint(containing: marker) }
    func checkpoint(size: UInt64) throws -> String? { try inner.checkpoint(size: size) }
    func updateCheckpoint(size: UInt64, from old: String, to new: String) throws -> Bool { try inner.updateCheckpoint(size: size, from: old, to: new) }
    func records(writtenBy seqs: Range<UInt64>) throws -> [RecordRow] { try inner.records(writtenBy: seqs) }
    func checkpointSizes() throws -> [UInt64] { try inner.checkpointSizes() }
    var attachments: AttachmentStore { failAttachmentErase ? FailingAttachments(inner.attachments) : inner.attachments }
}

/// Attachments whose erase fails; everything else as the store's.
final class FailingAttachments: AttachmentStore, @unchecked Sendable {
    // @unchecked: immutable.
    let inner: AttachmentStore
    init(_ inner: AttachmentStore) { self.inner = inner }
    func newAttachment(_ id: Identifier) throws -> AttachmentSink { try inner.newAttachment(id) }
    func openAttachment(_ id: Identifier) throws -> AttachmentSource? { try inner.openAttachment(id) }
    func erase(_ ids: [Identifier]) throws -> Int { throw KithVaultError.storage("input/output error (test)") }
}
