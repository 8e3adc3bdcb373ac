import Foundation
import Testing

@testable import KithVault

/// Records named by the first digits of their id, as people copy them from
/// a listing: 8 or more hex digits naming exactly one record.
@Suite("Record ids by their first digits")
struct RecordIDPrefixTests {
    static let group = "Trans Support"

    @Test("a unique prefix names its record, fresh or resumed from the cache; an ambiguous, short or unknown one is refused with what to do")
    func prefixes() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let twinA = try RecordID(parsing: "abcdef0123456789" + "00000000000000aa")
        let twinB = try RecordID(parsing: "abcdef0123456789" + "00000000000000bb")
        for id in [twinA, twinB] { try lead.writeForTesting(id: id, kind: .member, group: Self.group, fields: fields([("name", "Twin \(id)")])) }
        let sam = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam")]))
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state"))
        _ = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        let resumed = try Vault(store: fixture.store(), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        #expect(resumed.resumedFrom != nil)
        for vault in [lead, resumed] {
            #expect(try vault.recordID(matching: String(sam.description.prefix(8))) == sam)
            #expect(try vault.recordID(matching: sam.description.uppercased()) == sam)
            #expect(try vault.recordID(matching: "abcdef0123456789" + "00000000000000a") == twinA)
            let ambiguous = #expect(throws: KithVaultError.self) { try vault.recordID(matching: "abcdef01") }
            #expect(ambiguous?.reason.contains("begins the ids of 2 records; give more of the id") == true, "\(ambiguous?.reason ?? "")")
            for bad in ["abcdef0", "not-an-id", String(repeating: "0", count: 33)] {
                let error = #expect(throws: KithVaultError.self) { try vault.recordID(matching: bad) }
                #expect(error?.code == .invalidInput && error?.reason.contains("the first 8 or more of them") == true, "\(bad)")
            }
            let unknown = #expect(throws: KithVaultError.self) { try vault.recordID(matching: "00000000") }
            #expect(unknown?.code == .notFound)
        }
        // An erased record is still named (its history and erasure can be asked about).
        try lead.eraseRecord(sam, reason: "duplicate")
        #expect(try lead.recordID(matching: String(sam.description.prefix(10))) == sam)
        #expect(try lead.history(lead.recordID(matching: String(sam.description.prefix(10)))).count == 1)
    }
}
