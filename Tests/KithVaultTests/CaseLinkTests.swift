import Foundation
import Testing

@testable import KithVault

/// Cases belong to members (issue 21, item 9): a case can name the member
/// record it is about, in its own group, and a member lists its cases.
@Suite("Cases about members")
struct CaseLinkTests {
    static let group = "Trans Support"

    @Test("a case names its member; the member lists its cases; JSON and exports say which member")
    func linked() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, viewer) = try fixture.standardGroup(Self.group)
        let sam = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        try caseworker.refresh()
        let housing = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case), parent: sam)
        let food = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "food")], kind: .case), parent: sam)
        _ = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "other")], kind: .case))
        try viewer.refresh()
        #expect(try viewer.cases(ofMember: sam).map(\.id) == [housing, food])
        let view = try lead.readRecord(housing)
        #expect(view.parent == sam)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(view)) as? [String: Any])
        #expect(json["member"] as? String == sam.description && json["case"] == nil)
        let table = RecordTable([view])
        #expect(table.header.contains("kith:member") && table.rows[0][table.header.firstIndex(of: "kith:member") ?? 0] == sam.description)
        #expect(table.rows[0][2] == "")
        // A fresh client replays the links.
        #expect(try fixture.open("lead-tra").cases(ofMember: sam).count == 2)
    }

    @Test("a case about a case, a note, or a member of another group is refused before anything is written")
    func refused() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let (other, _, _) = try fixture.standardGroup("Food Bank")
        let sam = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        let someCase = try lead.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "x")], kind: .case))
        let elsewhere = try other.addRecord(groupName: "Food Bank", kind: .member, fields: fields([("name", "Dee")]))
        let before = try fixture.store().entries(from: 0).count
        for (parent, says) in [(someCase, "is a case record, not a member"), (elsewhere, "is in group Food Bank, not Trans Support")] {
            let error = #expect(throws: KithVaultError.self) {
                try lead.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "y")], kind: .case), parent: parent)
            }
            #expect(error?.code == .invalidInput && error?.reason.contains(says) == true, "\(error?.reason ?? "")")
        }
        #expect(try fixture.store().entries(from: 0).count == before)
        #expect(throws: KithVaultError.self) { try lead.cases(ofMember: someCase) }
        _ = sam
    }

    @Test("a modified client's case about a case is an invalid entry for every client")
    func forged() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let someCase = try lead.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "x")], kind: .case))
        try caseworker.refresh()
        let group = try caseworker.group(named: Self.group)
        let epoch = try #require(caseworker.state.groups[group.id]?.currentEpoch[.notes])
        try Attacker(identity: #require(fixture.identities["cw-tra"]), store: fixture.store()).append(
            .recordWritten(
                record: RecordID.random(), version: 1, group: group.id, kind: .case, parent: someCase, parts: [KeyRef(compartment: .notes, epoch: epoch)],
                carried: [], contentHash: [UInt8](repeating: 0, count: 32)))
        let error = #expect(throws: KithVaultError.self) { _ = try fixture.open("lead-tra") }
        #expect(error?.code == .invalidEntry && error?.reason.contains("a case can only be about a member record") == true, "\(error?.reason ?? "")")
    }
}
