import Testing
@testable import KithVault

/// The replayed records a commit copies: recent writes sit apart from the
/// settled ones, so a commit's trial copy never copies every record, and
/// neither side sees the other's changes.
@Suite("Record index")
struct RecordIndexTests {
    @Test("a trial copy's writes stay out of the original; lookups, listings and unsaved records see recent and settled alike, once each")
    func trialCopies() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup("Trans Support")
        let ids = try lead.addRecords(groupName: "Trans Support", kind: .member, (0..<3).map { try fields([("name", "Person \($0)")]) })
        let records = try ids.map { try #require(try lead.state.records.record($0)) }
        let group = records[0].group
        var index = RecordIndex()
        index.set(records[0], isNew: true)
        index.set(records[1], isNew: true)
        index.settle()
        var trial = index
        var newer = records[0]
        newer.versions.append(records[0].versions[0])
        trial.set(newer, isNew: false)
        trial.set(records[2], isNew: true)
        #expect(try index.record(ids[0])?.versions.count == 1 && index.record(ids[2]) == nil && index.count(in: group) == 2)
        #expect(try trial.record(ids[0])?.versions.count == 2 && trial.record(ids[2]) != nil && trial.count(in: group) == 3)
        #expect(try trial.records(in: group).map(\.id).sorted() == ids.sorted())
        #expect(try trial.records(in: group).first { $0.id == ids[0] }?.versions.count == 2)
        #expect(trial.changed.count == 3 && Set(trial.unsavedRecords.map(\.id)) == Set(ids))
        trial.settle()
        #expect(try trial.all().count == 3 && trial.record(ids[0])?.versions.count == 2)
        #expect(try index.all().count == 2)
    }

    @Test("a vault that has written thousands of records in one process still reads each, lists each once, and reopens to the same")
    func manyWrites() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup("Trans Support")
        var ids: [RecordID] = []
        // Past the 4,096 recent records at which the index settles as it goes, and single writes after.
        for start in stride(from: 0, to: 4200, by: 1400) {
            ids += try lead.addRecords(groupName: "Trans Support", kind: .member, (start..<start + 1400).map { try fields([("name", "Person \($0)")]) })
        }
        ids.append(try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Last One")])))
        let group = try #require(try lead.state.records.record(ids[0])).group
        #expect(try lead.state.records.records(in: group).count == ids.count)
        #expect(try ids.allSatisfy { try lead.state.records.record($0) != nil })
        let reopened = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]))
        #expect(try reopened.state.records.records(in: group).count == ids.count)
        #expect(try reopened.readRecord(ids[4000]).fields.first?.value == "Person 4000")
    }
}
