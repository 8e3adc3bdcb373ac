import Foundation
import Testing

@testable import KithVault

/// Reasons for access (issue 21, item 8): a reader's reason is sealed to
/// auditors with each read; a group's policy may ask for one before
/// sensitive reads or exports; the audit log shows reasons, marks reads
/// that lack a required one, and folds a bulk read into one line.
@Suite("Reasons for access")
struct ReasonTests {
    static let group = "Trans Support"

    @Test("a policy's reasons round-trip through its signed encoding and its JSON; without them the bytes are as before")
    func encoding() throws {
        var policy = GroupPolicy.default
        var plain = ByteWriter()
        policy.encode(into: &plain)
        #expect(plain.bytes.first == 3)
        policy.reasons = [.sensitiveReads, .exports]
        var w = ByteWriter()
        policy.encode(into: &w)
        #expect(w.bytes.first == 3 | GroupPolicy.reasonsFlag && w.bytes.count == plain.bytes.count + 1)
        var r = ByteReader(w.bytes, what: "policy")
        #expect(try GroupPolicy.decode(&r).reasons == [.sensitiveReads, .exports])
        // An empty or unknown mask behind the flag has no meaning: refused.
        for mask: UInt8 in [0, 4] {
            var bad = w.bytes
            bad[bad.count - 1] = mask
            var reader = ByteReader(bad, what: "policy")
            #expect(throws: KithVaultError.self) { try GroupPolicy.decode(&reader) }
        }
        let json =
            #"{"roles": {"lead": {"read": ["notes", "profile", "sensitive"], "write": ["notes", "profile", "sensitive"]}, "caseworker": {"read": ["notes", "profile"], "write": ["notes", "profile"]}, "viewer": {"read": ["profile"], "write": []}}, "reasons": ["export"]}"#
        #expect(try GroupPolicy(json: Data(json.utf8)).reasons == [.exports])
        let wrong = json.replacingOccurrences(of: "\"export\"", with: "\"reading\"")
        let error = #expect(throws: KithVaultError.self) { try GroupPolicy(json: Data(wrong.utf8)) }
        #expect(error?.reason.contains("read-sensitive, export") == true)
    }

    /// A group asking reasons for sensitive reads and exports, an auditor, and a member with a sensitive field.
    static func setUp() throws -> (VaultFixture, lead: Vault, caseworker: Vault, auditor: Vault, member: RecordID) {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(group)
        let auditor = try fixture.enroll("kai", role: .auditor)
        _ = try auditor.shareAuditKey()
        try lead.refresh()
        var policy = try lead.policy(groupName: group)
        policy.reasons = [.sensitiveReads, .exports]
        try lead.setPolicy(groupName: group, policy)
        let member = try lead.addRecord(
            groupName: group, kind: .member,
            fields: [try RecordField(compartment: .profile, name: "name", value: "Sam"), try RecordField(compartment: .sensitive, name: "hiv", value: "x")])
        for index in 0..<4 { _ = try lead.addRecord(groupName: group, kind: .member, fields: fields([("name", "Person \(index)")])) }
        try caseworker.refresh()
        try auditor.refresh()
        return (fixture, lead, caseworker, auditor, member)
    }

    @Test("sensitive reads and exports wait for a reason where the policy asks; other reads do not; nothing is read or logged before")
    func required() throws {
        let (fixture, lead, caseworker, _, member) = try Self.setUp()
        // The case worker cannot read the sensitive part, so no reason is asked.
        #expect(try caseworker.readRecord(member).withheld == [.sensitive])
        let before = try fixture.store().entries(from: 0).count
        let refused = #expect(throws: KithVaultError.self) { try lead.readRecord(member) }
        #expect(refused?.code == .accessDenied && refused?.remedy == .giveReason, "\(refused?.reason ?? "")")
        let export = #expect(throws: KithVaultError.self) { try lead.exportRecords(groupName: Self.group, format: "json") }
        #expect(export?.remedy == .giveReason)
        #expect(try fixture.store().entries(from: 0).count == before)
        // An empty or multi-line reason is refused as such.
        #expect(throws: KithVaultError.self) { try lead.setAccessReason("  ") }
        #expect(throws: KithVaultError.self) { try lead.setAccessReason("a\nb") }
        try lead.setAccessReason("follow-up call")
        #expect(try lead.readRecord(member).fields.contains { $0.name == "hiv" })
        #expect(try lead.exportRecords(groupName: Self.group, format: "json").records.count == 5)
    }

    @Test("the auditor reads each reason, a bulk export is one line with its count, and --expand lists every read")
    func auditLog() throws {
        let (_, lead, _, auditor, member) = try Self.setUp()
        try lead.setAccessReason("monthly report")
        _ = try lead.exportRecords(groupName: Self.group, format: "csv")
        try lead.setAccessReason("call with Sam")
        _ = try lead.readRecord(member)
        try auditor.refresh()
        let reads = AuditLogFilter(type: .recordRead)
        let folded = try auditor.auditLog(reads, summarised: true)
        #expect(folded.count == 2, "\(folded.map(\.summary))")
        #expect(folded[0].count == 5 && folded[0].summary == "exported as csv member (5 reads, entries \(folded[0].seq)-\(folded[0].seq + 4))")
        #expect(folded[0].details?.contains { $0.key == "reason" && $0.value == "monthly report" } == true)
        #expect(folded[0].details?.contains { $0.key == "reads" && $0.value == "5" } == true)
        #expect(folded[1].count == 1 && folded[1].details?.contains { $0.key == "reason" && $0.value == "call with Sam" } == true)
        #expect(try auditor.auditLog(reads).count == 6)
        #expect(folded.allSatisfy { !$0.reasonMissing })
        // The folded line still says a sensitive part was among what it read.
        #expect(folded[0].details?.contains { $0.key == "compartments" && $0.value == "profile, sensitive" } == true)
        // Two separate reads in the same millisecond stay two lines: only one commit's batch folds.
        let now = lead.clock()
        lead.clock = { now }
        _ = try lead.readRecord(member)
        _ = try lead.readRecord(member)
        try auditor.refresh()
        #expect(try auditor.auditLog(reads, summarised: true).count == 4)
    }

    @Test("a sensitive read without a reason, where the policy now asks one, is marked for the auditor")
    func missingMarked() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let auditor = try fixture.enroll("kai", role: .auditor)
        _ = try auditor.shareAuditKey()
        try lead.refresh()
        let member = try lead.addRecord(
            groupName: Self.group, kind: .member,
            fields: [try RecordField(compartment: .profile, name: "name", value: "Sam"), try RecordField(compartment: .sensitive, name: "hiv", value: "x")])
        // Read with no reason (as a modified client would, ignoring the policy), then the policy asks for one.
        _ = try lead.readRecord(member)
        let caseID = try lead.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "x")], kind: .case))
        let file = fixture.directory.appendingPathComponent("result.txt").path
        try Data("result".utf8).write(to: URL(fileURLWithPath: file))
        let attachment = try lead.addAttachment(caseID: caseID, file: file, compartment: .sensitive)
        try lead.saveAttachment(attachment, to: fixture.directory.appendingPathComponent("out.txt").path)
        var policy = try lead.policy(groupName: Self.group)
        policy.reasons = [.sensitiveReads]
        try lead.setPolicy(groupName: Self.group, policy)
        try auditor.refresh()
        let lines = try auditor.auditLog(AuditLogFilter(type: .recordRead))
        #expect(lines.map(\.reasonMissing) == [true, true])
        // Now the stock client asks before decrypting anything.
        let refused = #expect(throws: KithVaultError.self) { try lead.readRecord(member) }
        #expect(refused?.remedy == .giveReason)
    }
}
