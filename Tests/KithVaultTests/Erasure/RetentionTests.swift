import Foundation
import Testing

@testable import KithVault

/// Retention (issue 19, item 3): a group's signed policy keeps records of a
/// kind for so many months after they were last touched; a lead's run
/// erases what is past it, in logged batches, on fixed clocks here.
@Suite("Retention")
struct RetentionTests {
    static let group = "Trans Support"
    static let day: UInt64 = 24 * 3600 * 1000
    static let month = VaultState.millisPerMonth

    /// Every vault of the test on one clock the test moves (the log refuses time going back).
    final class Clock: @unchecked Sendable {
        // @unchecked: moved only by the test, between calls.
        var now: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)
    }

    static func setUp(_ rules: [RecordKind: UInt16]) throws -> (VaultFixture, Vault, Vault, Clock) {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(group)
        let clock = Clock()
        for vault in [lead, caseworker] { vault.clock = { clock.now } }
        var policy = try lead.policy(groupName: group)
        policy.retention = rules
        try lead.setPolicy(groupName: group, policy)
        try caseworker.refresh()
        return (fixture, lead, caseworker, clock)
    }

    @Test("notes go after their months, a case after its own with what is left of it, a case touched since stays; a dry run writes nothing")
    func notesThenCases() throws {
        let (fixture, lead, caseworker, clock) = try Self.setUp([.note: 24, .case: 36])
        let oldCase = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        let oldNote = try caseworker.addNote(caseID: oldCase, text: "first call")
        let busyCase = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "food")], kind: .case))
        let busyNote = try caseworker.addNote(caseID: busyCase, text: "first call")
        clock.now += 20 * Self.month
        let recent = try caseworker.addNote(caseID: busyCase, text: "still in touch")
        clock.now += 5 * Self.month  // 25 months after the first writes
        try lead.refresh()
        let plan = try lead.retentionDue(groupName: Self.group)
        #expect(Set(plan.due.map(\.record.id)) == [oldNote, busyNote])
        #expect(plan.due.allSatisfy { $0.ruleKind == .note && $0.months == 24 && $0.linked.isEmpty })
        let before = try fixture.store().entries(from: 0).count
        // The caseworker may look too; the plan itself writes nothing.
        #expect(try caseworker.retentionDue(groupName: Self.group).total == 2)
        #expect(try fixture.store().entries(from: 0).count == before)

        let first = try lead.applyRetention(groupName: Self.group)
        #expect(first.erased == 2 && first.batches.count == 1)
        #expect(try lead.notes(caseID: busyCase).map(\.id) == [recent])
        #expect(try lead.notes(caseID: oldCase).isEmpty)
        #expect(try lead.retentionDue(groupName: Self.group).due.isEmpty)

        clock.now += 12 * Self.month  // 37 months: the old case is past 36, the busy one was touched 17 months ago
        try lead.refresh()
        let second = try lead.applyRetention(groupName: Self.group)
        #expect(second.batches.flatMap(\.records).map(\.id) == [oldCase])
        #expect(try lead.listRecords(groupName: Self.group).map(\.id).sorted() == [busyCase, recent].sorted())
        let audit = try AuditVerifier.verify(store: fixture.store())
        #expect(audit.valid && audit.records?.erased == 3 && audit.records?.problems.isEmpty == true)
        // Each entry names its rule, for everyone to check.
        let causes = try fixture.store().entries(from: 0).map(LogEntry.decode).compactMap { entry -> ErasureCause? in
            if case .recordsErased(_, let cause, _) = entry.body { return cause }
            return nil
        }
        #expect(causes == [.retention(kind: .note, months: 24), .retention(kind: .case, months: 36)])
    }

    @Test("a member past retention goes with every case about them; one with a case touched since stays")
    func members() throws {
        let (_, lead, caseworker, clock) = try Self.setUp([.member: 12])
        let gone = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        let kept = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dee")]))
        try caseworker.refresh()
        let goneCase = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "x")], kind: .case), parent: gone)
        let goneNote = try caseworker.addNote(caseID: goneCase, text: "note")
        let keptCase = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "y")], kind: .case), parent: kept)
        clock.now += 10 * Self.month
        try caseworker.addNote(caseID: keptCase, text: "touched")
        clock.now += 3 * Self.month
        try lead.refresh()
        let plan = try lead.retentionDue(groupName: Self.group)
        #expect(plan.due.map(\.record.id) == [gone] && plan.due.first?.linked.map(\.id) == [goneCase, goneNote])
        let outcome = try lead.applyRetention(groupName: Self.group)
        #expect(Set(outcome.batches.flatMap(\.records).map(\.id)) == [gone, goneCase, goneNote])
        #expect(try lead.listRecords(groupName: Self.group, kind: .member).map(\.id) == [kept])
    }

    @Test("batches: each a transaction of at most the batch size, whole files never split; only leads apply")
    func batches() throws {
        let (fixture, lead, caseworker, clock) = try Self.setUp([.case: 1])
        var cases: [RecordID] = []
        for index in 0..<5 {
            let id = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "n\(index)")], kind: .case))
            try caseworker.addNote(caseID: id, text: "note \(index)")
            cases.append(id)
        }
        clock.now += 2 * Self.month
        try caseworker.refresh()
        let refused = #expect(throws: KithVaultError.self) { try caseworker.applyRetention(groupName: Self.group) }
        #expect(refused?.code == .accessDenied)
        try lead.refresh()
        let before = try fixture.store().entries(from: 0).count
        let outcome = try lead.applyRetention(groupName: Self.group, batchSize: 4)
        #expect(outcome.batches.map { $0.records.count } == [4, 4, 2])
        #expect(try fixture.store().entries(from: 0).count == before + 3)
        #expect(try lead.listRecords(groupName: Self.group).isEmpty)
    }

    @Test("a policy's retention round-trips through its signed bytes and its JSON; bad values are refused by name")
    func policy() throws {
        var policy = GroupPolicy.default
        policy.retention = [.note: 24, .case: 36]
        var w = ByteWriter()
        policy.encode(into: &w)
        var r = ByteReader(w.bytes, what: "policy")
        #expect(try GroupPolicy.decode(&r) == policy)
        // Without retention, the bytes are those of before.
        var plain = ByteWriter()
        GroupPolicy.default.encode(into: &plain)
        #expect(plain.bytes.first == UInt8(GroupRole.allCases.count))
        let roles =
            #"{"lead": {"read": ["notes", "profile", "sensitive"], "write": ["notes", "profile", "sensitive"]}, "caseworker": {"read": ["notes", "profile"], "write": ["notes", "profile"]}, "viewer": {"read": ["profile"], "write": []}}"#
        let parsed = try GroupPolicy(json: Data(#"{"roles": \#(roles), "retention": {"note": 24, "case": 36}}"#.utf8))
        #expect(parsed.retention == [.note: 24, .case: 36] && parsed.jsonRetention == ["note": 24, "case": 36])
        for (bad, says) in [
            (#"{"notes": 24}"#, "not a record kind"), (#"{"note": 0}"#, "1 to 1200"), (#"{"note": 1201}"#, "1 to 1200"), (#"{"note": 2.5}"#, "whole number"),
            (#"{"note": true}"#, "whole number"), (#"{"note": "24"}"#, "whole number"), (#"[24]"#, "object of record kinds"),
        ] {
            let error = #expect(throws: KithVaultError.self) { try GroupPolicy(json: Data(#"{"roles": \#(roles), "retention": \#(bad)}"#.utf8)) }
            #expect(error?.reason.contains(says) == true, "\(bad): \(error?.reason ?? "")")
        }
        var tooLong = GroupPolicy.default
        tooLong.retention = [.note: 5000]
        #expect(tooLong.problem?.contains("1 to 1200 months") == true)
    }
}
