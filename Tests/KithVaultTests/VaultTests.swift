import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

@Suite("Vault: groups and records")
struct VaultTests {
    @Test("a case worker writes and reads records, cases and notes; versions are kept")
    func recordsRoundTrip() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let member = try caseworker.addRecord(
            groupName: "Trans Support", kind: .member,
            fields: fields([("name", "Sam Rivera"), ("pronouns", "they/them")]))
        let view = try caseworker.readRecord(member)
        #expect(view.fields.map(\.name) == ["name", "pronouns"])
        #expect(view.fields.map(\.value) == ["Sam Rivera", "they/them"])
        #expect(view.version == 1 && view.kind == .member && view.author == "cw-tra" && view.withheld.isEmpty)

        let version = try caseworker.updateRecord(member, fields: fields([("pronouns", "she/they")]))
        #expect(version == 2)
        #expect(try caseworker.readRecord(member).fields.map(\.value) == ["Sam Rivera", "she/they"])
        #expect(try caseworker.readRecord(member, version: 1).fields.map(\.value) == ["Sam Rivera", "they/them"])
        #expect(try caseworker.history(member).map(\.version) == [1, 2])

        let caseID = try caseworker.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        try caseworker.addNote(caseID: caseID, text: "Called the shelter.")
        try lead.refresh()
        try lead.addNote(caseID: caseID, text: "Follow up Friday.")
        try caseworker.refresh()
        let notes = try caseworker.notes(caseID: caseID)
        #expect(notes.map { $0.fields.first?.value } == ["Called the shelter.", "Follow up Friday."])
        #expect(notes.map(\.author) == ["cw-tra", "lead-tra"])
        #expect(throws: KithVaultError.self) { _ = try caseworker.addNote(caseID: member, text: "not a case") }
        let listed = try lead.listRecords(groupName: "Trans Support")
        #expect(Set(listed.map(\.kind)) == [.member, .case, .note])
        // Every read was logged: three record reads and two notes, all by the case worker.
        let entries = try SQLiteVaultStore(path: fixture.path).entries(from: 0).map { try LogEntry.decode($0) }
        let reads = entries.filter { $0.body.type == .recordRead && $0.actor == caseworker.me }
        #expect(reads.count == 5)
    }

    @Test("a lead working alone writes before sharing; members shared later read it")
    func loneLead() throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: "Solo")
        let lead = try fixture.enroll("solo-lead")
        let worker = try fixture.enroll("solo-worker")
        try fixture.admin.share(groupName: "Solo", with: "solo-lead", role: .lead)
        try lead.refresh()
        let id = try lead.addRecord(groupName: "Solo", kind: .member, fields: fields([("name", "First"), ("sensitive:status", "s")]))
        #expect(try fixture.open("solo-lead").readRecord(id).fields.count == 2)
        try lead.share(groupName: "Solo", with: "solo-worker", role: .caseworker)
        try worker.refresh()
        let seen = try worker.readRecord(id)
        #expect(seen.fields.map(\.value) == ["First"] && seen.withheld == [.sensitive])
    }

    @Test("a viewer sees profile fields, with notes and sensitive fields withheld, and cannot write")
    func viewer() throws {
        let fixture = try VaultFixture()
        let (lead, _, viewer) = try fixture.standardGroup()
        let id = try lead.addRecord(
            groupName: "Trans Support", kind: .member,
            fields: fields([("name", "Ari"), ("notes:housing", "sofa surfing"), ("sensitive:hiv_status", "positive")]))
        try viewer.refresh()
        let seen = try viewer.readRecord(id)
        #expect(seen.fields.map(\.name) == ["name"])
        #expect(seen.withheld == [.notes, .sensitive])
        #expect(throws: KithVaultError.self) { _ = try viewer.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "x")])) }
        #expect(throws: KithVaultError.self) { _ = try viewer.updateRecord(id, fields: fields([("name", "y")])) }
    }

    @Test("outsiders are refused: other groups, admins without a grant, auditors")
    func accessDenied() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup("Alpha")
        let (otherLead, _, _) = try fixture.standardGroup("Beta")
        let auditor = try fixture.enroll("auditor", role: .auditor)
        let id = try caseworker.addRecord(groupName: "Alpha", kind: .member, fields: fields([("name", "Jo")]))
        for outsider in [otherLead, auditor, fixture.admin] {
            try outsider.refresh()
            #expect {
                _ = try outsider.readRecord(id)
            } throws: { error in
                guard let error = error as? KithVaultError, error.code == .accessDenied else { return false }
                let reason = error.reason
                return error.code == .accessDenied && reason.contains("no role in group Alpha")
            }
            #expect(throws: KithVaultError.self) { _ = try outsider.listRecords(groupName: "Alpha") }
        }
        // A case worker cannot grant; a lead of Beta has no power in Alpha; an admin cannot appoint a second lead.
        #expect(throws: KithVaultError.self) { try caseworker.share(groupName: "Alpha", with: "auditor", role: .viewer) }
        #expect(throws: KithVaultError.self) { try otherLead.share(groupName: "Alpha", with: "founder", role: .viewer) }
        #expect(throws: KithVaultError.self) { try fixture.admin.share(groupName: "Alpha", with: "founder", role: .lead) }
        // Auditors never hold group roles.
        #expect(throws: KithVaultError.self) { try lead.share(groupName: "Alpha", with: "auditor", role: .viewer) }
        #expect(throws: KithVaultError.self) { _ = try caseworker.createGroup(name: "Gamma") }
    }

    @Test("every byte of a stored record flipped in turn is an integrity error")
    func tamperedRecord() throws {
        let fixture = try VaultFixture()
        let (_, caseworker, _) = try fixture.standardGroup()
        let id = try caseworker.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam"), ("notes:need", "food")]))
        let store = try SQLiteVaultStore(path: fixture.path)
        guard let original = try store.record(id, version: 1) else {
            Issue.record("record missing")
            return
        }
        let reader = try fixture.open("cw-tra")
        var failures = 0
        for index in original.indices {
            var altered = original
            altered[index] ^= 0x5a
            try store.overwriteRecordForTesting(id, version: 1, body: altered)
            do {
                _ = try reader.readRecord(id)
                Issue.record("flipping byte \(index) went unnoticed")
            } catch let error as KithVaultError {
                #expect(error.isDataError, "byte \(index): \(error)")
                failures += 1
            }
        }
        #expect(failures == original.count)
        try store.overwriteRecordForTesting(id, version: 1, body: original)
        #expect(try reader.readRecord(id).fields.count == 2)
    }

    @Test("a log entry by someone without the right makes every client refuse the log")
    func entryWithoutRight() throws {
        let fixture = try VaultFixture()
        let alex = try fixture.enroll("alex")
        let store = try SQLiteVaultStore(path: fixture.path)
        let state = alex.state
        // alex is not an admin, but signs a group creation and writes it straight into the store.
        let forged = try LogEntry.make(
            seq: state.count, previousHash: state.headHash, timeMillis: 1, actor: fixture.identities["alex"] ?? fixture.founder,
            body: .groupCreated(group: GroupID.random(), sealedName: [1, 2, 3], policy: .default), details: [], vaultID: state.vaultID)
        try store.append(expectedCount: state.count, entries: [EntryRow(seq: forged.seq, bytes: forged.encoded, hash: forged.hash)], records: [])
        #expect {
            _ = try fixture.open("founder")
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .invalidEntry, let seq = error.entry else { return false }
            return seq == Int(state.count) && error.isDataError
        }
    }

    @Test("the library refuses to write an entry the log would reject")
    func selfCheck() throws {
        let fixture = try VaultFixture()
        let alex = try fixture.enroll("alex")
        let before = try SQLiteVaultStore(path: fixture.path).entries(from: 0).count
        #expect(throws: KithVaultError.self) { _ = try alex.createGroup(name: "Mine") }
        #expect(try SQLiteVaultStore(path: fixture.path).entries(from: 0).count == before)
    }

    @Test("two writers at once both succeed and the log never forks")
    func concurrentWriters() async throws {
        let fixture = try VaultFixture()
        _ = try fixture.standardGroup()
        let perWriter = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for handle in ["lead-tra", "cw-tra"] {
                let vault = try fixture.open(handle)
                nonisolated(unsafe) let writer = vault
                group.addTask {
                    for index in 0..<perWriter {
                        try writer.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "\(handle) \(index)")]))
                    }
                }
            }
            try await group.waitForAll()
        }
        let reader = try fixture.open("lead-tra")
        let records = try reader.listRecords(groupName: "Trans Support")
        #expect(records.count == 2 * perWriter)
        let entries = try SQLiteVaultStore(path: fixture.path).entries(from: 0)
        #expect(try VaultState.replay(entries).count == UInt64(entries.count))
        let names = try reader.readRecords(records.map(\.id)).compactMap { $0.fields.first?.value }
        #expect(Set(names).count == 2 * perWriter)
    }

    @Test("a copy of the store shows no handle, group name, field name or value")
    func noPlaintextInStore() throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: "MARKER-GROUP-Queer-Youth")
        let lead = try fixture.enroll("MARKER-HANDLE-lead")
        let worker = try fixture.enroll("MARKER-HANDLE-worker")
        try fixture.admin.share(groupName: "MARKER-GROUP-Queer-Youth", with: "MARKER-HANDLE-lead", role: .lead)
        try lead.refresh()
        try lead.share(groupName: "MARKER-GROUP-Queer-Youth", with: "MARKER-HANDLE-worker", role: .caseworker)
        try worker.refresh()
        var markers = ["MARKER-GROUP-Queer-Youth", "MARKER-HANDLE-lead", "MARKER-HANDLE-worker", "founder"]
        for index in 0..<20 {
            let name = "MARKER-NAME-\(index)-Rivera"
            let field = "MARKER-FIELD-\(index)"
            let value = "MARKER-VALUE-\(index)-lives-at-12-Elm-St"
            markers += [name, field, value]
            let id = try worker.addRecord(
                groupName: "MARKER-GROUP-Queer-Youth", kind: .case,
                fields: fields([("name", name), (field, value)], kind: .case))
            let note = "MARKER-NOTE-\(index)-met at the clinic"
            markers.append(note)
            try worker.addNote(caseID: id, text: note)
            _ = try worker.readRecord(id)
        }
        let bytes = try fixture.allStoreBytes()
        #expect(bytes.count > 10_000)
        for marker in markers {
            // Bound first: a failing #expect would otherwise print every byte of the store.
            let found = bytes.contains(subsequence: Array(marker.utf8))
            #expect(!found, "\(marker) is in the store in the clear")
        }
        // The scan itself can fail: a value written in the clear is found.
        let schemaFound = bytes.contains(subsequence: Array("log_entries".utf8))
        #expect(schemaFound)
    }
}

@Suite("Log replay robustness")
struct ReplayRobustnessTests {
    @Test("any single byte of any log entry flipped makes replay fail, never crash")
    func everyByteOfEveryEntry() throws {
        let fixture = try VaultFixture()
        let (_, caseworker, _) = try fixture.standardGroup()
        let id = try caseworker.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        _ = try caseworker.readRecord(id)
        let entries = try SQLiteVaultStore(path: fixture.path).entries(from: 0)
        #expect(try VaultState.replay(entries).count == UInt64(entries.count))
        var refused = 0, total = 0
        for (entryIndex, entry) in entries.enumerated() {
            for byteIndex in entry.indices {
                var altered = entries
                altered[entryIndex][byteIndex] ^= 0xff
                total += 1
                do {
                    _ = try VaultState.replay(altered)
                    Issue.record("flipping byte \(byteIndex) of entry \(entryIndex) went unnoticed")
                } catch let error as KithVaultError {
                    #expect(error.isDataError)
                    refused += 1
                }
            }
        }
        #expect(refused == total)
    }

    @Test("an entry claiming an absurd position is refused cleanly")
    func hugeSequenceNumber() throws {
        let fixture = try VaultFixture()
        var entries = try SQLiteVaultStore(path: fixture.path).entries(from: 0)
        // Bytes 2..<10 hold the sequence number.
        for index in 2..<10 { entries[0][index] = 0xff }
        #expect(throws: KithVaultError.self) { _ = try VaultState.replay(entries) }
    }
}
