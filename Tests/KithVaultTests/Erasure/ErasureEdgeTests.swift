import Foundation
import Testing

@testable import KithSQLite
@testable import KithVault

/// The edges a review of erasure found: what was confirmed is what goes, a
/// search index that outlived an erasure is built again, a copy resumed
/// after an erasure at its source, and an attachment's name that is not
/// the attachment's file.
@Suite("Erasure edges")
struct ErasureEdgeTests {
    static let group = "Trans Support"

    @Test("an erasure confirmed before a note was added erases nothing and says why; a retention run erases only what was shown")
    func confirmedIsWhatGoes() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let caseID = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        try caseworker.addNote(caseID: caseID, text: "first")
        try lead.refresh()
        let shown = try lead.erasurePlan(caseID).map(\.id)
        try caseworker.addNote(caseID: caseID, text: "added while the lead was reading the list")
        let before = try fixture.store().entries(from: 0).count
        let error = #expect(throws: KithVaultError.self) { try lead.eraseRecord(caseID, reason: "closed", confirmed: shown) }
        #expect(error?.code == .invalidInput && error?.reason.contains("changed since it was shown (3 records now, 2 shown") == true, "\(error?.reason ?? "")")
        #expect(try fixture.store().entries(from: 0).count == before)
        #expect(try lead.eraseRecord(caseID, reason: "closed", confirmed: lead.erasurePlan(caseID).map(\.id)).records.count == 3)

        // Retention: a rule shortened after the list was shown does not widen what goes.
        let clock = RetentionTests.Clock()
        for vault in [lead, caseworker] { vault.clock = { clock.now } }
        var policy = try lead.policy(groupName: Self.group)
        policy.retention = [.member: 24]
        try lead.setPolicy(groupName: Self.group, policy)
        let old = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Old")]))
        clock.now += 13 * VaultState.millisPerMonth
        let newer = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Newer")]))
        clock.now += 12 * VaultState.millisPerMonth
        let plan = try lead.retentionDue(groupName: Self.group)
        #expect(plan.ids == [old])
        policy.retention = [.member: 6]
        try lead.setPolicy(groupName: Self.group, policy)
        let outcome = try lead.applyRetention(groupName: Self.group, confirmed: plan.ids)
        #expect(outcome.batches.flatMap(\.records).map(\.id) == [old])
        #expect(try lead.listRecords(groupName: Self.group, kind: .member).map(\.id) == [newer])
    }

    @Test("a device's search index that predates an erasure (a drop that never happened) is built again without the erased record")
    func staleIndexRebuilt() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let sam = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam Rivera")]))
        _ = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dee Okafor")]))
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-cw"))
        let identity = try #require(fixture.identities["cw-tra"])
        var indexPath = ""
        do {
            let device = try Vault(store: fixture.store(), holder: identity, memory: memory)
            #expect(try device.search(SearchQuery.parse(["rivera"])).results.map(\.id) == [sam])
            indexPath = memory.searchFile(fingerprint: device.state.fingerprint, user: device.me).path
        }
        // The index file and SQLite's companions, as they are once the device's vault has closed it.
        let companions = ["", "-wal", "-shm"].map { indexPath + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
        let saved = try companions.map { ($0, try Data(contentsOf: URL(fileURLWithPath: $0))) }

        try lead.refresh()
        try lead.eraseRecord(sam, reason: "request")
        _ = try Vault(store: fixture.store(), holder: identity, memory: memory)  // drops the group, and the cache moves past the erasure
        // As if that drop had been lost: the index from before the erasure is back.
        SearchIndex.removeFiles(indexPath)
        for (path, bytes) in saved { try bytes.write(to: URL(fileURLWithPath: path)) }
        #expect(SearchIndex.indexedGroups(path: indexPath)?.count == 1, "the old index is back")
        let again = try Vault(store: fixture.store(), holder: identity, memory: memory)
        let outcome = try again.search(SearchQuery.parse(["rivera"]))
        #expect(outcome.results.isEmpty && outcome.indexed.map(\.records) == [1], "rebuilt fresh, with Dee only")
        let index = try again.searchIndex()
        let group = try #require(again.state.groups.keys.first)
        let manifest = try #require(try index.manifest(group))
        let hash = try index.hash(IndexTerm(kind: .word, text: "rivera"))
        #expect(try index.lookup(group: group, manifest: manifest, hashes: [hash]).values.allSatisfy(\.isEmpty))
    }

    @Test("a copy interrupted, then resumed after an erasure at its source, ends without the erased records")
    func copyResumedAfterErasure() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let caseID = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        let upload = fixture.directory.appendingPathComponent("letter.txt")
        try Data("a letter".utf8).write(to: upload)
        let file = try caseworker.addAttachment(caseID: caseID, file: upload.path)
        let destinationPath = fixture.directory.appendingPathComponent("copy.kith").path
        _ = try VaultCopy.copy(from: fixture.store(), to: SQLiteVaultStore(path: destinationPath, create: true))
        #expect(try SQLiteVaultStore(path: destinationPath).attachments.openAttachment(file) != nil)
        try lead.refresh()
        try lead.eraseRecord(caseID, reason: "closed")
        let report = try VaultCopy.copy(from: fixture.store(), to: SQLiteVaultStore(path: destinationPath))
        #expect(report.copiedEntries > 0)
        let copy = try SQLiteVaultStore(path: destinationPath)
        #expect(try copy.record(caseID, version: 1) == nil && copy.attachments.openAttachment(file) == nil)
        let audit = try AuditVerifier.verify(store: copy)
        #expect(audit.valid && audit.records?.erased == 2 && audit.records?.problems.isEmpty == true, "\(audit.records?.problems ?? [])")
    }

    @Test("an attachment name that is a hard link, a link or a FIFO is unlinked, never overwritten, and the erasure does not hang")
    func attachmentNameNotTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kith-erase-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = AttachmentFolder(path: folder.appendingPathComponent("vault.kith.files").path)
        let ids = try (0..<4).map { _ in try RecordID.random() }
        for id in ids {
            let sink = try store.newAttachment(id)
            try Array("sealed bytes of \(id)".utf8).withUnsafeBytes { try sink.write($0) }
            try sink.finish()
        }
        let name = { (id: RecordID) in store.path + "/\(id)" }
        // A backup someone hard-linked, a link to another file, a FIFO put in the name's place.
        let backup = folder.appendingPathComponent("backup").path
        #expect(link(name(ids[1]), backup) == 0)
        let elsewhere = folder.appendingPathComponent("elsewhere").path
        try Data("someone else's file".utf8).write(to: URL(fileURLWithPath: elsewhere))
        try FileManager.default.removeItem(atPath: name(ids[2]))
        try FileManager.default.createSymbolicLink(atPath: name(ids[2]), withDestinationPath: elsewhere)
        try FileManager.default.removeItem(atPath: name(ids[3]))
        #expect(mkfifo(name(ids[3]), 0o600) == 0)

        #expect(try store.erase(ids) == 4)
        for id in ids { #expect(!FileManager.default.fileExists(atPath: name(id)), "\(id)") }
        #expect(try String(contentsOfFile: backup, encoding: .utf8) == "sealed bytes of \(ids[1])")
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8) == "someone else's file")
        #expect(try store.erase(ids) == 0)
    }
}
