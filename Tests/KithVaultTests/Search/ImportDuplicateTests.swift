import Foundation
import Testing
@testable import KithVault

/// Importing a sheet again (issue 18): a re-import used to double every
/// member. `--skip-duplicates` and `--update-by` match rows as search does.
@Suite("Import duplicates")
struct ImportDuplicateTests {
    static let group = "Trans Support"
    static let sheet = """
        name,phone,pronouns
        Sam Rivera,+44 7700 900123,they
        José Núñez,07700 900456,he
        مُحَمَّد عَلِي,٠٧٧٠٠ ٩٠٠٧٨٩,he
        Kim Lee,,she

        """

    static func plan(_ text: String) throws -> ImportPlan { try ImportPlan.make(csv: Data(text.utf8), kind: .member) }

    static func members(_ vault: Vault) throws -> Int { try vault.listRecords(groupName: group, kind: .member).count }

    @Test("a re-import with --skip-duplicates adds nothing, however the names and numbers are written the second time")
    func skipsEveryDuplicate() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let first = try lead.importRecords(Self.plan(Self.sheet), groupName: Self.group, duplicates: .skip)
        #expect(first.map(\.action) == [.added, .added, .added, .added])
        // The same people, typed differently: case, accents, tashkeel, digits, the country code.
        let again = """
            name,phone,pronouns
            SAM RIVERA,07700 900123,they/them
            Jose Nunez,07700900456,he
            محمد علي,07700 900789,he
            Kim Lee,,she
            Kim Lee,,she
            Noor Saleh,07700 900000,she

            """
        let second = try lead.importRecords(Self.plan(again), groupName: Self.group, duplicates: .skip)
        #expect(second.map(\.action) == [.skipped, .skipped, .skipped, .skipped, .skipped, .added])
        #expect(second.prefix(4).map(\.id) == first.map(\.id))
        #expect(second[4].earlierRow == 5 && second[4].id == first[3].id)
        #expect(try Self.members(lead) == 5)
        // Without the flag, every row is a new record, as before.
        _ = try lead.importRecords(Self.plan(again), groupName: Self.group)
        #expect(try Self.members(lead) == 11)
    }

    @Test("--update-by phone updates the one record with that number in place and adds the rest, in one transaction")
    func updatesInPlace() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let first = try lead.importRecords(Self.plan(Self.sheet), groupName: Self.group)
        try caseworker.refresh()
        let update = """
            name,phone,pronouns
            Sam Rivera-Okafor,07700 900123,she
            New Person,07700 111222,they

            """
        let result = try caseworker.importRecords(Self.plan(update), groupName: Self.group, duplicates: .update(by: "phone"))
        #expect(result.map(\.action) == [.updated, .added])
        #expect(result[0].id == first[0].id)
        let sam = try caseworker.readRecord(#require(first[0].id))
        #expect(sam.version == 2)
        #expect(sam.fields.first { $0.name == "name" }?.value == "Sam Rivera-Okafor")
        #expect(sam.fields.first { $0.name == "pronouns" }?.value == "she")
        #expect(sam.fields.first { $0.name == "phone" }?.value == "07700 900123")
        #expect(try Self.members(caseworker) == 5)
        // Found by the new name, not by the old.
        #expect(try caseworker.search(SearchQuery.parse(["okafor"])).results.map(\.id) == [first[0].id])
    }

    @Test("a row matching two records, two rows updating one, or a field search does not compare refuse the whole import")
    func ambiguous() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        _ = try lead.importRecords(Self.plan(Self.sheet + "Sam Twin,+44 7700 900123,they\n"), groupName: Self.group)
        let before = try Self.members(lead)
        let cases: [(String, ImportDuplicates, String)] = [
            ("name,phone\nSam,07700 900123\n", .update(by: "phone"), "matches 2 records"),
            ("name,phone\nJosé,07700 900456\nJosé N,07700900456\n", .update(by: "phone"), "would both update record"),
            ("name,pronouns\nKim,they\n", .update(by: "pronouns"), "matched only by a field search looks at"),
        ]
        for (sheet, duplicates, says) in cases {
            #expect {
                _ = try lead.importRecords(Self.plan(sheet), groupName: Self.group, duplicates: duplicates)
            } throws: { error in
                (error as? KithVaultError)?.code == .invalidInput && (error as? KithVaultError)?.reason.contains(says) == true
            }
        }
        #expect(try Self.members(lead) == before)
    }

    @Test("repeats within a file are found as search finds them (a phone with and without its country code); two new rows with one update key are refused")
    func repeatsInTheFile() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let skipped = try lead.importRecords(
            Self.plan("name,phone\nSam Rivera,+44 7700 900123\nsam rivera,07700 900123\n"), groupName: Self.group, duplicates: .skip)
        #expect(skipped.map(\.action) == [.added, .skipped] && skipped[1].id == skipped[0].id && skipped[1].earlierRow == 2)
        #expect {
            _ = try lead.importRecords(Self.plan("name,phone\nKim,0123 456 789\nKim Lee,+44 123 456 789\n"), groupName: Self.group, duplicates: .update(by: "phone"))
        } throws: { error in
            (error as? KithVaultError)?.reason.contains("rows 2 and 3 have the same phone and match no record") == true
        }
        #expect(try Self.members(lead) == 1)
    }

    @Test("an update never drops fields the importer may not read: a case worker's update carries the sensitive fields forward unchanged")
    func neverDropsUnreadFields() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let sam = try lead.addRecord(
            groupName: Self.group, kind: .member,
            fields: [
                try RecordField(compartment: .profile, name: "name", value: "Sam Rivera"), try RecordField(compartment: .profile, name: "phone", value: "07700 900123"),
                try RecordField(compartment: .sensitive, name: "status", value: "x"),
            ])
        try caseworker.refresh()
        let rows = try caseworker.importRecords(Self.plan("name,phone\nSam R,07700 900123\nOther,0123 4567\n"), groupName: Self.group, duplicates: .update(by: "phone"))
        #expect(rows.map(\.action) == [.updated, .added])
        try lead.refresh()
        let view = try lead.readRecord(sam)
        #expect(view.version == 2 && view.fields.first { $0.name == "name" }?.value == "Sam R")
        #expect(view.fields.first { $0.name == "status" }?.compartment == .sensitive && view.fields.first { $0.name == "status" }?.value == "x")
        #expect(try Self.members(lead) == 2)
        // A row that names a sensitive column is still refused whole: the importer may not replace what they cannot read.
        #expect(throws: KithVaultError.self) {
            _ = try caseworker.importRecords(Self.plan("name,phone,sensitive:status\nSam R,07700 900123,y\n"), groupName: Self.group, duplicates: .update(by: "phone"))
        }
        #expect(try lead.readRecord(sam).version == 2)
    }
}
