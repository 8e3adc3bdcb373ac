import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

@Suite("Group policies")
struct PolicyTests {
    static let group = "Trans Support"

    @Test("a group starts with the default policy, in its signed creation entry")
    func defaultPolicy() throws {
        let fixture = try VaultFixture()
        let (_, _, viewer) = try fixture.standardGroup(Self.group)
        #expect(try viewer.policy(groupName: Self.group) == .default)
        let created = try SQLiteVaultStore(path: fixture.path).entries(from: 0).map { try LogEntry.decode($0).body }
            .first { $0.type == .groupCreated }
        guard case .groupCreated(_, _, let policy) = created else {
            Issue.record("no group creation entry")
            return
        }
        #expect(policy == .default)
    }

    @Test("granting a role a compartment seals it every epoch; taking it away starts a new epoch without them")
    func keysFollowPolicy() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let old = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Ari"), ("notes:need", "food")]))
        try lead.revoke(groupName: Self.group, from: "cw-tra")  // notes now at epoch 2: the viewer must get both epochs.

        var wider = GroupPolicy.default
        wider.readable[.viewer] = [.profile, .notes]
        #expect(try lead.setPolicy(groupName: Self.group, wider) == [])
        let viewer = try fixture.open("viewer-tra")
        #expect(try viewer.readRecord(old).fields.map(\.name) == ["name", "need"])
        let middle = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Bo"), ("notes:need", "rent")]))
        #expect(try viewer.readRecord(middle).withheld == [])

        // Back to the default: notes rotate, and the viewer's keys open nothing written after.
        #expect(try lead.setPolicy(groupName: Self.group, .default) == [.notes])
        let newer = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Cy"), ("notes:need", "legal")]))
        try viewer.refresh()
        #expect(try viewer.readRecord(newer).withheld == [.notes])
        let groupID = try lead.group(named: Self.group).id
        let stored = try StoredRecord.decode(#require(try SQLiteVaultStore(path: fixture.path).record(newer, version: 1)))
        let notesPart = try #require(stored.parts.first { $0.compartment == .notes })
        let theirs = viewer.state.groups[groupID]?.envelopes.filter { $0.key.compartment == .notes && $0.value[viewer.me] != nil }.map(\.key) ?? []
        #expect(theirs.count == 2)
        #expect(!theirs.contains(KeyRef(compartment: .notes, epoch: notesPart.wrapEpoch)))
    }

    @Test(
        "unusable policies are refused before anything is written",
        arguments: [
            GroupPolicy(readable: [.lead: [.profile], .caseworker: [.profile], .viewer: []], writable: [.lead: [.profile], .caseworker: [], .viewer: []]),
            GroupPolicy(
                readable: [.lead: Set(Compartment.allCases), .caseworker: [.profile], .viewer: []],
                writable: [.lead: Set(Compartment.allCases), .caseworker: [.profile, .notes], .viewer: []]),
        ])
    func unusable(policy: GroupPolicy) throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let before = lead.state.count
        #expect(throws: KithVaultError.self) { try lead.setPolicy(groupName: Self.group, policy) }
        #expect(lead.state.count == before)
        #expect(policy.problem != nil)
    }

    @Test("only a lead of the group may set its policy, and the log refuses a forged one")
    func rights() throws {
        let fixture = try VaultFixture()
        let (_, caseworker, _) = try fixture.standardGroup(Self.group)
        let (otherLead, _, _) = try fixture.standardGroup("Beta")
        var open = GroupPolicy.default
        open.readable[.caseworker] = Set(Compartment.allCases)
        open.writable[.caseworker] = Set(Compartment.allCases)
        for outsider in [caseworker, otherLead, fixture.admin] {
            #expect(throws: KithVaultError.self) { try outsider.setPolicy(groupName: Self.group, open) }
        }
        // Written straight into the store, the case worker's self-promotion makes every client refuse the log.
        var state = caseworker.state
        let groupID = try caseworker.group(named: Self.group).id
        let forged = try LogEntry.make(
            seq: state.count, previousHash: state.headHash, timeMillis: 1, actor: #require(fixture.identities["cw-tra"]),
            body: .policySet(group: groupID, policy: open), details: [], vaultID: state.vaultID)
        #expect(throws: KithVaultError.self) { try state.apply(forged) }
    }
}
