import Foundation
import KithCrypto
import KithLog
import Testing

@testable import KithPostgres
@testable import KithVault

/// The store contract, run against every engine from one suite so the
/// engines cannot drift apart: each test runs on SQLite and, under
/// `make test`, on a throwaway PostgreSQL server too.
@Suite("Store engines behave alike")
struct StoreConformanceTests {
    static let group = "Trans Support"

    @Test("make test provides a PostgreSQL server, so the engine tests cannot silently drop out")
    func postgresPresentWhenRequired() {
        // make test sets KITH_REQUIRE_POSTGRES=1; a bare `swift test` may run SQLite only.
        if ProcessInfo.processInfo.environment["KITH_REQUIRE_POSTGRES"] == "1" {
            #expect(TestEngine.available.contains(.postgres), "KITH_TEST_POSTGRES is not set: the PostgreSQL engine was not tested")
        }
    }

    @Test("a vault's whole life reads back the same through a second client", arguments: TestEngine.available)
    func roundTrip(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let ids = try caseworker.addRecords(groupName: Self.group, kind: .member, (1...120).map { try fields([("name", "Member \($0)")]) })
        let caseID = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        try caseworker.addNote(caseID: caseID, text: "Called back; safe.")
        let version = try lead.updateRecord(ids[0], fields: fields([("name", "Renamed")]))
        #expect(version == 2)

        let fresh = try fixture.open("cw-tra")
        #expect(fresh.state.count == caseworker.state.count + 1)  // + the lead's update
        #expect(try fresh.readRecord(ids[0]).fields.first?.value == "Renamed")
        #expect(try fresh.readRecord(ids[119]).fields.first?.value == "Member 120")
        #expect(try fresh.listRecords(groupName: Self.group, kind: .member).count == 120)
        #expect(try fresh.notes(caseID: caseID).count == 1)

        // Paging walks every stored version once, in (id, version) order.
        let store = try fixture.store()
        let groupID = try #require(fresh.state.groups.keys.first)
        var seen: [StoredRecordRow] = []
        var after: (id: RecordID, version: UInt32)? = nil
        while true {
            let page = try store.recordPage(group: groupID, after: after, limit: 25)
            if page.isEmpty { break }
            seen += page
            after = (page[page.count - 1].recordID, page[page.count - 1].version)
        }
        #expect(seen.count == 123)  // 120 members (one with 2 versions), a case and a note
        let sortedKeys = seen.map { "\($0.recordID)-\(String(format: "%010d", $0.version))" }
        #expect(sortedKeys == sortedKeys.sorted())

        // Every version is found by the entry that wrote it, and every commit left a checkpoint.
        let all = try store.records(writtenBy: 0..<fresh.state.count)
        #expect(all.count == 123)
        #expect(all.map(\.entrySeq) == all.map(\.entrySeq).sorted())
        let sizes = try store.checkpointSizes()
        #expect(sizes.last == fresh.state.count)
        #expect(sizes == sizes.sorted())
        let report = try AuditVerifier.verify(store: store, resume: false)
        #expect(report.valid, "\(report.problems)")
    }

    @Test("an append on a stale length is a conflict and writes nothing", arguments: TestEngine.available)
    func staleAppend(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let store = try fixture.store()
        let count = UInt64(try store.entries(from: 0).count)
        let bytes: [UInt8] = [1, 2, 3]
        #expect(throws: VaultStoreConflict.self) {
            try store.append(expectedCount: count - 1, entries: [EntryRow(seq: count - 1, bytes: bytes, hash: SHA256.hash(bytes))], records: [])
        }
        #expect(try store.entries(from: 0).count == Int(count))
    }

    @Test("the schema itself refuses a gap, a rewrite and a deletion in the log", arguments: TestEngine.withSchema)
    func schemaGuards(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let store = try fixture.store()
        let count = UInt64(try store.entries(from: 0).count)
        let bytes: [UInt8] = [9, 9, 9]
        // Right expected length, wrong position: the store's own guard refuses it.
        #expect {
            try store.append(expectedCount: count, entries: [EntryRow(seq: count + 1, bytes: bytes, hash: SHA256.hash(bytes))], records: [])
        } throws: { error in
            guard (error as? KithVaultError)?.code == .integrity else { return false }
            return true
        }
        #expect(try store.entries(from: 0).count == Int(count))
        // Anyone writing behind Kith's back (not the owner disabling the guards) is refused too.
        #expect(throws: (any Error).self) { try fixture.place.operatorSQL(["UPDATE log_entries SET entry = entry WHERE seq = 0"]) }
        #expect(throws: (any Error).self) { try fixture.place.operatorSQL(["DELETE FROM log_entries WHERE seq = 0"]) }
        #expect(try store.entries(from: 0).count == Int(count))
    }

    @Test("replacing record bodies is all or nothing", arguments: TestEngine.available)
    func replaceAllOrNothing(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let (_, caseworker, _) = try fixture.standardGroup(Self.group)
        let ids = try caseworker.addRecords(groupName: Self.group, kind: .member, (1...3).map { try fields([("name", "M\($0)")]) })
        let store = try fixture.store()
        let before = try ids.map { try #require(try store.record($0, version: 1)) }
        let missing = try RecordID.random()
        #expect {
            try store.replaceRecordBodies([
                StoredRecordRow(recordID: ids[0], version: 1, body: [1]), StoredRecordRow(recordID: missing, version: 1, body: [2]),
            ])
        } throws: { error in
            guard (error as? KithVaultError)?.code == .integrity else { return false }
            return true
        }
        #expect(try ids.map { try store.record($0, version: 1) } == before)
        try store.replaceRecordBodies([StoredRecordRow(recordID: ids[1], version: 1, body: [7, 7])])
        #expect(try store.record(ids[1], version: 1) == [7, 7])
        try store.purgeReplacedBytes()
    }

    @Test("checkpoint notes: newest, by marker taken literally, and compare-and-swap", arguments: TestEngine.available)
    func checkpoints(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        try fixture.admin.createGroup(name: "G")
        let store = try fixture.store()
        let newest = try #require(try store.latestCheckpoint())
        let size = try #require(try store.checkpointSizes().last)
        #expect(try store.checkpoint(size: size) == newest)
        #expect(try store.latestCheckpoint(containing: "%") == nil)
        #expect(try store.latestCheckpoint(containing: "_") == nil)
        #expect(try store.updateCheckpoint(size: size, from: "not the stored note", to: "x") == false)
        #expect(try store.updateCheckpoint(size: size, from: newest, to: newest + "\u{2014} witness line\n"))
        #expect(try store.latestCheckpoint(containing: "witness line") == newest + "\u{2014} witness line\n")
    }

    @Test("attachments: whole or absent, never overwritten, discarded without a trace", arguments: TestEngine.available)
    func attachmentStore(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let attachments = try fixture.store().attachments
        let id = try RecordID.random()
        var bytes = [UInt8](repeating: 0, count: 3 * (1 << 20) + 12345)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 7 &+ index >> 16) }
        let sink = try attachments.newAttachment(id)
        #expect(try attachments.openAttachment(id) == nil)  // not visible before finish
        for start in stride(from: 0, to: bytes.count, by: 70_000) {
            try bytes[start..<min(start + 70_000, bytes.count)].withUnsafeBytes { try sink.write($0) }
        }
        try sink.finish()
        let source = try #require(try attachments.openAttachment(id))
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 100_000)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            read += buffer[..<count]
        }
        #expect(read == bytes)
        #expect(throws: KithVaultError.self) { _ = try attachments.newAttachment(id) }

        // Abandoned before finish, or discarded after: nothing left under the id.
        let abandoned = try RecordID.random()
        let half = try attachments.newAttachment(abandoned)
        try bytes[..<(2 << 20)].withUnsafeBytes { try half.write($0) }
        half.discard()
        #expect(try attachments.openAttachment(abandoned) == nil)
        let undone = try RecordID.random()
        let finished = try attachments.newAttachment(undone)
        try bytes[..<10].withUnsafeBytes { try finished.write($0) }
        try finished.finish()
        finished.discard()
        #expect(try attachments.openAttachment(undone) == nil)
    }

    @Test("two clients writing at once keep one linear log with every write once", arguments: TestEngine.available)
    func concurrentClients(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(Self.group)
        let start = try fixture.open("lead-tra").state.count
        let failures = ErrorBox()
        // Each client has its own store connection, as two machines would; each is used by one thread only.
        nonisolated(unsafe) let clients = [try fixture.open("lead-tra"), try fixture.open("cw-tra")]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            do {
                let client = clients[index]
                for number in 1...40 {
                    try client.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "c\(index)-\(number)")]))
                }
            } catch { failures.add(error) }
        }
        #expect(failures.errors.isEmpty, "\(failures.errors)")
        let after = try fixture.open("lead-tra")
        #expect(after.state.count == start + 80)
        let names = try after.listRecords(groupName: Self.group, kind: .member).map { try after.readRecord($0.id).fields.first?.value ?? "" }
        #expect(Set(names).count == 80)
        #expect(try AuditVerifier.verify(store: fixture.store(), resume: false).valid)
    }

    @Test("a store rolled back to an older state is refused by a client that saw more", arguments: TestEngine.available)
    func rollbackRefused(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let lead = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        let old = lead.state.count
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Written after the backup")]))
        try fixture.place.rollBack(toSize: old)
        #expect(try fixture.store().entries(from: 0).count == Int(old))
        #expect {
            _ = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("rolled back")
        }
        // Someone who never saw the newer log still opens it: only those who saw more can tell.
        _ = try fixture.open("cw-tra")
    }

    @Test("a forked store (same length, another history) is refused", arguments: TestEngine.available)
    func forkRefused(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        _ = try fixture.standardGroup(Self.group)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let lead = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        let base = lead.state.count
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "The real one")]))
        try fixture.place.rollBack(toSize: base)
        let forger = try fixture.open("cw-tra")
        try forger.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "A forged one")]))
        #expect(forger.state.count == lead.state.count)
        #expect {
            _ = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("fork")
        }
    }

    @Test("a record altered in the store is refused when read", arguments: TestEngine.available)
    func tamperedRecord(engine: TestEngine) throws {
        let fixture = try VaultFixture(engine: engine)
        let (_, caseworker, _) = try fixture.standardGroup(Self.group)
        let id = try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        let store = try fixture.store()
        var body = try #require(try store.record(id, version: 1))
        body[body.count - 5] ^= 0x01
        try store.replaceRecordBodies([StoredRecordRow(recordID: id, version: 1, body: body)])
        #expect {
            _ = try fixture.open("cw-tra").readRecord(id)
        } throws: { error in
            guard (error as? KithVaultError)?.code == .integrity else { return false }
            return true
        }
    }

    @Test("a vault copied to this engine is the same vault, and an interrupted copy carries on", arguments: TestEngine.available)
    func copyInto(engine: TestEngine) throws {
        // The source is always a SQLite file, as when a network moves off one laptop.
        let source = try VaultFixture(engine: .sqlite)
        let (lead, caseworker, _) = try source.standardGroup(Self.group)
        let caseID = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        try caseworker.addRecords(groupName: Self.group, kind: .member, (1...30).map { try fields([("name", "M\($0)")]) })
        let file = source.directory.appendingPathComponent("letter.pdf").path
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) }).write(to: URL(fileURLWithPath: file))
        let attachment = try caseworker.addAttachment(caseID: caseID, file: file)
        try lead.updateRecord(try #require(caseworker.listRecords(groupName: Self.group, kind: .member).first?.id), fields: fields([("name", "Changed")]))
        let sourceStore = try source.store()
        let entries = try sourceStore.entries(from: 0)

        let destination = try TestStorePlace(engine)
        let store = try destination.open(create: true)
        // A copy stopped after three commits, as VaultCopy writes them: one transaction per source checkpoint.
        var done: UInt64 = 0
        for size in try sourceStore.checkpointSizes().prefix(3) {
            let rows = (done..<size).map { EntryRow(seq: $0, bytes: entries[Int($0)], hash: SHA256.hash(entries[Int($0)])) }
            try store.append(expectedCount: done, entries: rows, records: sourceStore.records(writtenBy: done..<size), checkpoint: sourceStore.checkpoint(size: size))
            done = size
        }
        let report = try VaultCopy.copy(from: sourceStore, to: store)
        #expect(report.entries == UInt64(entries.count))
        #expect(done > 1 && report.copiedEntries == UInt64(entries.count) - done)
        #expect(report.copiedAttachments == 1)
        #expect(try store.entries(from: 0) == entries)
        #expect(try store.checkpointSizes() == sourceStore.checkpointSizes())

        // Copying again adds nothing; a different vault is never mixed in.
        #expect(try VaultCopy.copy(from: sourceStore, to: destination.open()).copiedEntries == 0)
        let other = try VaultFixture(engine: .sqlite)
        #expect(throws: KithVaultError.self) { _ = try VaultCopy.copy(from: other.store(), to: destination.open()) }

        // The same people open it with the same keys and read the same things.
        let reader = try Vault(store: destination.open(), holder: #require(source.identities["cw-tra"]))
        #expect(reader.state.fingerprint == caseworker.state.fingerprint)
        #expect(try reader.listRecords(groupName: Self.group, kind: .member).count == 30)
        let saved = destination.directory.appendingPathComponent("saved.pdf").path
        try reader.saveAttachment(attachment, to: saved)
        #expect(try Data(contentsOf: URL(fileURLWithPath: saved)) == Data(contentsOf: URL(fileURLWithPath: file)))

    }
}

/// What only the PostgreSQL engine has: its migrations table, its TLS
/// set-up and the undoing of a just-founded vault.
@Suite("PostgreSQL engine specifics", .enabled(if: TestEngine.postgresURL != nil))
struct PostgresEngineTests {
    @Test("a database a newer Kith migrated is refused, not half-understood")
    func newerSchemaRefused() throws {
        let fixture = try VaultFixture(engine: .postgres)
        try fixture.place.operatorSQL(["INSERT INTO kith_migrations (name) VALUES ('v9: from the future')"])
        #expect {
            _ = try fixture.store()
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .invalidInput else { return false }
            let detail = error.reason
            return detail.contains("newer Kith") && detail.contains("v9: from the future")
        }
    }

    @Test("a missing root certificate file is named before anything connects")
    func missingRootCertificate() throws {
        guard case .postgres(let address) = try TestStorePlace(.postgres).location else { return }
        let text = "postgres://\(address.user)@\(address.host ?? ""):\(address.port)/\(address.database)?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"
        #expect {
            _ = try PostgresVaultStore(text)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .notFound else { return false }
            let detail = error.reason
            return detail.contains("/nonexistent/ca.pem")
        }
    }

    @Test("a just-founded vault can be dropped again (init whose keyfile failed); a vault in use cannot")
    func dropNewVault() throws {
        let fixture = try VaultFixture(engine: .postgres)
        let store = try #require(try fixture.store() as? PostgresVaultStore)
        try store.dropNewVault()
        #expect(throws: KithVaultError.self) { _ = try fixture.store() }  // no vault there any more
        let used = try VaultFixture(engine: .postgres)
        try used.admin.createGroup(name: "G")
        let usedStore = try #require(try used.store() as? PostgresVaultStore)
        #expect(throws: KithVaultError.self) { try usedStore.dropNewVault() }
        #expect(try usedStore.entries(from: 0).count == 2)
    }
}

/// Errors gathered from concurrent work.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [any Error] = []
    func add(_ error: any Error) { lock.withLock { list.append(error) } }
    var errors: [any Error] { lock.withLock { list } }
}
