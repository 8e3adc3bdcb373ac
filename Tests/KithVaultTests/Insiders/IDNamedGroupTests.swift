import Foundation
import KithCrypto
import Testing
@testable import KithVault

/// An admin with a modified client names a group after another group's id,
/// so that whatever names the real group by its id (the web interface's
/// forms, `--group ID`) lands in the impostor, which the admin's own
/// sock-puppet lead can read. A whole id always means that group.
@Suite("A group named like another's id")
struct IDNamedGroupTests {
    @Test("a group named with the real group's whole id never catches what names the real group by id; a prefix that is also a name is refused")
    func impostor() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let real = try lead.group(named: "Trans Support").id
        let impostor = try LookAlikeTests.forgeGroup(fixture, named: real.description)
        try lead.refresh()
        // By its whole id, the real group, every time.
        #expect(try lead.group(named: real.description).id == real)
        #expect(try lead.group(named: real.description.uppercased()).id == real)
        let id = try lead.addRecord(groupName: real.description, kind: .member, fields: fields([("name", "Alex Secret")]))
        #expect(try lead.readRecord(id).group == "Trans Support")
        // The impostor is still reachable by its own id.
        #expect(try lead.group(named: impostor.id.description).id == impostor.id)
        // A prefix of the real id that is also... not the impostor's name: the prefix names the real group.
        #expect(try lead.group(named: String(real.description.prefix(12))).id == real)
    }

    @Test("a name that begins another group's id is ambiguous and refused rather than guessed")
    func prefixNamed() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let real = try lead.group(named: "Trans Support").id
        let prefix = String(real.description.prefix(10))
        _ = try LookAlikeTests.forgeGroup(fixture, named: prefix)
        try lead.refresh()
        #expect {
            _ = try lead.group(named: prefix)
        } throws: { error in
            (error as? KithVaultError)?.remedy == .nameGroupByID
        }
    }

    @Test("the stock client refuses to name a group like an id", arguments: ["0123456789abcdef", "DEADBEEF", "0123456789abcdef0123456789abcdef", "dead beef", "d\u{0435}adbeef"])
    func stockRefuses(name: String) throws {
        let fixture = try VaultFixture()
        #expect(throws: KithVaultError.self) { try fixture.admin.createGroup(name: name) }
        // A word in it is fine.
        #expect(try fixture.admin.createGroup(name: "Group \(name)").name == "Group \(name)")
    }
}
