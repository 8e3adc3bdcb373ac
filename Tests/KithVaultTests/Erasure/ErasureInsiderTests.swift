import Foundation
import Testing

@testable import KithVault

/// A modified client against erasure: every client's replay refuses what
/// the stock client never writes, so an erased id never comes back and
/// nobody but a lead erases, or erases half of a case.
@Suite("Erasure against a modified client")
struct ErasureInsiderTests {
    static let group = "Trans Support"

    /// An erased case with its note, a live case with a note, and the attackers' handles.
    struct Scene {
        let fixture: VaultFixture
        let lead: Vault
        let caseworker: Vault
        let group: GroupID
        let erasedCase: RecordID
        let erasedNote: RecordID
        let liveCase: RecordID
        let liveNote: RecordID
    }

    static func scene() throws -> Scene {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(group)
        let erasedCase = try caseworker.addRecord(groupName: group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        let erasedNote = try caseworker.addNote(caseID: erasedCase, text: "first call")
        let liveCase = try caseworker.addRecord(groupName: group, kind: .case, fields: fields([("need", "food")], kind: .case))
        let liveNote = try caseworker.addNote(caseID: liveCase, text: "second call")
        try lead.refresh()
        try lead.eraseRecord(erasedCase, reason: "closed long ago")
        try caseworker.refresh()
        return Scene(
            fixture: fixture, lead: lead, caseworker: caseworker, group: try #require(lead.state.groups.keys.first), erasedCase: erasedCase,
            erasedNote: erasedNote, liveCase: liveCase, liveNote: liveNote)
    }

    static func attacker(_ scene: Scene, _ handle: String) throws -> Attacker {
        Attacker(identity: try #require(scene.fixture.identities[handle]), store: try scene.fixture.store())
    }

    /// Opening the vault afresh must refuse the forged entry, saying `why`.
    static func refused(_ scene: Scene, _ why: String) throws {
        let error = #expect(throws: KithVaultError.self) { _ = try scene.fixture.open("lead-tra") }
        #expect(error?.code == .invalidEntry && error?.reason.contains(why) == true, "\(error?.reason ?? "")")
    }

    static func notes(_ scene: Scene) throws -> KeyRef {
        KeyRef(compartment: .notes, epoch: try #require(scene.caseworker.state.groups[scene.group]?.currentEpoch[.notes]))
    }

    @Test("a new version of an erased record is refused by every client")
    func newVersion() throws {
        let scene = try Self.scene()
        try Self.attacker(scene, "cw-tra").append(
            .recordWritten(
                record: scene.erasedCase, version: 2, group: scene.group, kind: .case, parent: nil, parts: [Self.notes(scene)], carried: [],
                contentHash: [UInt8](repeating: 1, count: 32)))
        try Self.refused(scene, "an erased id is never written again")
    }

    @Test("an erased id written again as a new record is refused")
    func reusedID() throws {
        let scene = try Self.scene()
        try Self.attacker(scene, "cw-tra").append(
            .recordWritten(
                record: scene.erasedNote, version: 1, group: scene.group, kind: .note, parent: scene.liveCase, parts: [Self.notes(scene)], carried: [],
                contentHash: [UInt8](repeating: 1, count: 32)))
        try Self.refused(scene, "an erased id is never written again")
    }

    @Test("a note added to an erased case, and a read of an erased record, are refused")
    func hangingOnErased() throws {
        let scene = try Self.scene()
        try Self.attacker(scene, "cw-tra").append(
            .recordWritten(
                record: RecordID.random(), version: 1, group: scene.group, kind: .note, parent: scene.erasedCase, parts: [Self.notes(scene)], carried: [],
                contentHash: [UInt8](repeating: 1, count: 32)))
        try Self.refused(scene, "cannot belong to an erased case")

        let second = try Self.scene()
        try Self.attacker(second, "cw-tra").append(.recordRead(record: second.erasedNote, version: 1))
        try Self.refused(second, "it reads an erased record")
    }

    @Test("a case worker's or an admin's own erasure entry is refused: only a lead erases")
    func notALead() throws {
        for handle in ["cw-tra", "viewer-tra", "founder"] {
            let scene = try Self.scene()
            try Self.attacker(scene, handle).append(.recordsErased(group: scene.group, cause: .request, records: [scene.liveNote]))
            try Self.refused(scene, "only a lead of the group may erase its records")
        }
    }

    @Test("a lead's forged erasures: half a case, twice, out of order, outside the group, or by a rule the policy lacks")
    func malformed() throws {
        let cases: [(String, (Scene) throws -> EntryBody)] = [
            ("it erases a case but not its note", { .recordsErased(group: $0.group, cause: .request, records: [$0.liveCase]) }),
            ("already erased at log entry", { .recordsErased(group: $0.group, cause: .request, records: [$0.erasedNote]) }),
            ("malformed list of erased records", { s in .recordsErased(group: s.group, cause: .request, records: [s.liveCase, s.liveNote].sorted().reversed()) }),
            ("malformed list of erased records", { .recordsErased(group: $0.group, cause: .request, records: []) }),
            ("it erases a record that is not in the group", { .recordsErased(group: $0.group, cause: .request, records: [try RecordID.random()]) }),
            ("that the group's policy does not have", { .recordsErased(group: $0.group, cause: .retention(kind: .note, months: 1), records: [$0.liveNote]) }),
        ]
        for (why, body) in cases {
            let scene = try Self.scene()
            try Self.attacker(scene, "lead-tra").append(try body(scene))
            try Self.refused(scene, why)
        }
    }

    @Test("an erasure by retention of a record touched within the rule's time is refused")
    func retentionTooSoon() throws {
        let scene = try Self.scene()
        var policy = try scene.lead.policy(groupName: Self.group)
        policy.retention = [.note: 6]
        try scene.lead.setPolicy(groupName: Self.group, policy)
        try Self.attacker(scene, "lead-tra").append(.recordsErased(group: scene.group, cause: .retention(kind: .note, months: 6), records: [scene.liveNote]))
        try Self.refused(scene, "it erases by retention a note touched within 6 months")
    }

    @Test("the erasure entry's bytes round-trip, and a truncated or unknown cause is refused")
    func encoding() throws {
        let body = EntryBody.recordsErased(
            group: try RecordID.random(), cause: .retention(kind: .case, months: 36), records: [try RecordID.random(), try RecordID.random()].sorted())
        #expect(try EntryBody.decode(type: .recordsErased, bytes: body.encode()) == body)
        var unknownCause = body.encode()
        unknownCause[Identifier.length] = 9
        #expect(throws: KithVaultError.self) { try EntryBody.decode(type: .recordsErased, bytes: unknownCause) }
        #expect(throws: KithVaultError.self) { try EntryBody.decode(type: .recordsErased, bytes: Array(body.encode().dropLast(3))) }
    }
}
