import Foundation
import GRDB
import KithCrypto
import Testing

@testable import KithVault

/// `audit verify` checks stored records too (issue 21, item 7): with no
/// group key, every record version the log names must be in the store,
/// be what the log commits to, carry its author's signature, and name only
/// epochs the log made; every attachment file must be there.
@Suite("The auditor checks stored records")
struct RecordAuditTests {
    static let group = "Trans Support"

    /// A group with a member (two versions, one carried), a case and an attachment.
    static func populated() throws -> (VaultFixture, member: RecordID, caseID: RecordID, attachment: RecordID) {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(group)
        let member = try lead.addRecord(
            groupName: group, kind: .member,
            fields: [try RecordField(compartment: .profile, name: "name", value: "Sam"), try RecordField(compartment: .sensitive, name: "hiv", value: "x")])
        try caseworker.refresh()
        try caseworker.updateRecord(member, fields: [try RecordField(compartment: .profile, name: "phone", value: "1")])
        try lead.refresh()
        let caseID = try lead.addRecord(groupName: group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        let file = fixture.directory.appendingPathComponent("letter.txt").path
        try Data("a letter".utf8).write(to: URL(fileURLWithPath: file))
        let attachment = try lead.addAttachment(caseID: caseID, file: file)
        return (fixture, member, caseID, attachment)
    }

    @Test("a sound vault: every version and file is counted and nothing is named")
    func sound() throws {
        let (fixture, _, _, _) = try Self.populated()
        let report = try AuditVerifier.verify(store: fixture.store())
        #expect(report.valid, "\(report.problems)")
        #expect(report.records?.versions == 4 && report.records?.attachments == 1 && report.records?.problems.isEmpty == true)
        #expect(try AuditVerifier.verify(store: fixture.store(), records: false).records == nil)
    }

    /// What an operator (or a failing disk) does to the stored rows, and a word the report must use.
    enum Damage: String, CaseIterable {
        case deletedRow, changedCommitment, swappedBody, impossibleEpoch, truncated, deletedFile, garbledFile
    }

    @Test("damage to a stored record or file is named by id, while the log still verifies", arguments: Damage.allCases)
    func damaged(_ damage: Damage) throws {
        let (fixture, member, caseID, attachment) = try Self.populated()
        let store = try fixture.store()
        let body = try #require(try store.record(member, version: 1))
        var expected: (id: RecordID, version: UInt32, missing: Bool, says: String) = (member, 1, false, "")
        switch damage {
        case .deletedRow:
            try DatabaseQueue(path: fixture.path).write { db in
                try db.execute(sql: "DELETE FROM records WHERE record_id = ? AND version = 1", arguments: [Data(member.bytes)])
            }
            expected = (member, 1, true, "missing from the store")
        case .changedCommitment:
            // The first part's commitment sits after the header: one flipped byte in what the author signed.
            var changed = try StoredRecord.decode(body)
            var part = changed.parts[0]
            var commitment = part.contentCommitment
            commitment[0] ^= 1
            part = RecordPart(
                compartment: part.compartment, writtenEpoch: part.writtenEpoch, contentCommitment: commitment, contentEpoch: part.contentEpoch,
                ciphertext: part.ciphertext, wrapEpoch: part.wrapEpoch, wrappedKey: part.wrappedKey, sealedVersion: part.sealedVersion)
            changed.parts[0] = part
            try store.replaceRecordBodies([StoredRecordRow(recordID: member, version: 1, body: changed.encoded)])
            expected.says = "not the content the log commits to"
        case .swappedBody:
            try store.replaceRecordBodies([StoredRecordRow(recordID: member, version: 1, body: try #require(try store.record(caseID, version: 1)))])
            expected.says = "does not match what the log says"
        case .impossibleEpoch:
            var record = try StoredRecord.decode(body)
            record.parts[0].wrapEpoch = 9
            record.parts[0].contentEpoch = 9
            try store.replaceRecordBodies([StoredRecordRow(recordID: member, version: 1, body: record.encoded)])
            expected.says = "epoch the log never created"
        case .truncated:
            try store.replaceRecordBodies([StoredRecordRow(recordID: member, version: 1, body: Array(body.prefix(40)))])
            expected.says = "stored record"
        case .deletedFile:
            try FileManager.default.removeItem(atPath: fixture.path + ".files/\(attachment)")
            expected = (attachment, 1, true, "file is missing")
        case .garbledFile:
            let path = fixture.path + ".files/\(attachment)"
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[0] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            expected = (attachment, 1, false, "does not start like a Kith attachment")
        }
        let report = try AuditVerifier.verify(store: fixture.store())
        #expect(!report.valid)
        #expect(report.log != nil, "the log itself still verifies")
        let problem = try #require(report.records?.problems.first, "\(damage)")
        // Version 2 carries version 1's sensitive part, so damage to version 1 names version 2 as well.
        let onFile = damage == .deletedFile || damage == .garbledFile
        #expect(report.records?.problems.map(\.version) == (onFile ? [1] : [1, 2]), "\(report.records?.problems ?? [])")
        #expect(problem.record == expected.id && problem.version == expected.version && problem.missing == expected.missing, "\(problem)")
        #expect(problem.reason.contains(expected.says), "\(problem.reason)")
        #expect(report.problems.contains { $0.hasPrefix("record \(expected.id) version \(expected.version)") })
        // The log alone still passes.
        #expect(try AuditVerifier.verify(store: fixture.store(), records: false).valid)
    }

    @Test("a record whose author's signature fails (a modified client's, committed to by its own entry) is named")
    func badSignature() throws {
        let (fixture, _, _, _) = try Self.populated()
        let lead = try fixture.open("lead-tra")
        lead.signsRecordsWronglyForTesting = true
        let forged = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dee")]))
        let report = try AuditVerifier.verify(store: fixture.store())
        #expect(report.log != nil)
        #expect(report.records?.problems.map(\.record) == [forged])
        #expect(report.records?.problems.first?.reason == "the author's signature does not verify")
    }

    @Test("a modified client's record signed by someone else than its log entry's author is named")
    func wrongAuthor() throws {
        let (fixture, member, _, _) = try Self.populated()
        let store = try fixture.store()
        var record = try StoredRecord.decode(#require(try store.record(member, version: 2)))
        // Re-signed by the lead, while the log says the case worker wrote version 2: the header's author no longer matches.
        let lead = try #require(fixture.identities["lead-tra"])
        record = StoredRecord(
            id: record.id, version: record.version, group: record.group, kind: record.kind, parent: record.parent, author: lead.identity.userID,
            timeMillis: record.timeMillis, parts: record.parts, signature: try lead.sign(StoredRecord.signedMessage(vaultID: fixture.admin.state.vaultID, body: record.signedBody)))
        try store.replaceRecordBodies([StoredRecordRow(recordID: member, version: 2, body: record.encoded)])
        let report = try AuditVerifier.verify(store: fixture.store())
        #expect(report.records?.problems.map(\.version) == [2])
        #expect(report.records?.problems.first?.reason.contains("does not match what the log says") == true)
    }
}
