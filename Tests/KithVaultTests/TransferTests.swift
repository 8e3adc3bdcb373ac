import Foundation
import Testing
@testable import KithVault

private func plan(_ text: String, kind: RecordKind = .member, mapping: ImportMapping = ImportMapping()) throws -> ImportPlan {
    try ImportPlan.make(csv: Data(text.utf8), kind: kind, mapping: mapping)
}

private func values(_ row: ImportRow) -> [String: String] {
    Dictionary(uniqueKeysWithValues: row.fields.map { ($0.name, $0.value) })
}

/// Whole-file problems: each refused with a message naming the problem.
private let badFiles: [(String, String, ImportMapping)] = [
    ("name\n\u{FF}\n", "not UTF-8", ImportMapping()),
    ("", "no header row", ImportMapping()),
    ("name,name\nSam,Sam\n", "both named 'name'", ImportMapping()),
    ("name\nSam\n", "no column 'nmae'", ImportMapping(renames: ["nmae": "name"])),
    ("name\nSam\n", "no column 'phone'", ImportMapping(skipped: ["phone"])),
    ("name\nSam\n", "'status', which no column fills", ImportMapping(compartments: ["status": .sensitive])),
    ("a=b\nSam\n", "column 'a=b' cannot be a field", ImportMapping()),
    ("secret:x\nSam\n", "'secret' is not a compartment", ImportMapping()),
    ("name,full\nSam,Sam R\n", "would both fill the field 'name'", ImportMapping(renames: ["full": "name"])),
    ("name\nSam\n", "no column is left", ImportMapping(skipped: ["name"])),
    ("name,pronouns\n", "no data rows", ImportMapping()),
    ("name,pronouns\nSam,they\nAl\"ex,he\nRo,she\n", "row 3 is not valid CSV", ImportMapping()),
    ("name,pronouns\nSam,they\nRo,\"she\n", "row 3 is not valid CSV: a quoted cell", ImportMapping()),
    // Text after a closing quote: the parser would keep it as Sam"Smith.
    ("name,pronouns\nSam,they\n\"Sam\" \"Smith\",he\n", "row 3 is not valid CSV: text after the closing quote", ImportMapping()),
    // A quote left open in the header: refused by row, the rest never printed.
    ("name,\"pronouns\nSam,secret-status\n", "row 1 is not valid CSV: a quoted cell", ImportMapping()),
    ("name,\"pro\nnouns\"\nSam,they\n", "has a line break in its name", ImportMapping()),
    // A header's own compartment is not quietly moved somewhere weaker.
    ("name,sensitive:hiv\nSam,x\n", "puts 'hiv' in sensitive, but it was also given the compartment profile", ImportMapping(compartments: ["hiv": .profile])),
]

@Suite("Import and export")
struct TransferTests {
    @Test("RFC 4180: quoted commas, doubled quotes, line breaks, CRLF, a byte-order mark, and empty cells left out")
    func parsesRFC4180() throws {
        let text = "\u{FEFF}name,pronouns,sensitive:status\r\n\"Rivera, Sam\",they/them,\"said \"\"no\"\"\r\nthen yes\"\r\nAlex,,\r\n"
        let result = try plan(text)
        #expect(result.rejected.isEmpty)
        #expect(result.rows.map(\.row) == [2, 3])
        // CRLF is one line break: no made-up blank row after the last.
        #expect(result.blankRows.isEmpty)
        #expect(values(result.rows[0]) == ["name": "Rivera, Sam", "pronouns": "they/them", "status": "said \"no\"\r\nthen yes"])
        #expect(result.rows[0].fields.first { $0.name == "status" }?.compartment == .sensitive)
        #expect(result.rows[0].fields.first { $0.name == "name" }?.compartment == .profile)
        // Alex's empty cells make no fields at all.
        #expect(values(result.rows[1]) == ["name": "Alex"])
        #expect(result.compartments == [.profile, .sensitive])
    }

    @Test("--map renames, --skip leaves out, --compartment moves; export columns and blank rows are skipped")
    func mapsColumns() throws {
        let text = "kith:id,Full name,Phone,HIV,Notes\nold,Sam,0123,positive,x\n,,,,\nold2,Alex,0456,,y\n"
        let mapping = ImportMapping(renames: ["Full name": "name", "HIV": "hiv_status"], skipped: ["Notes"], compartments: ["hiv_status": .sensitive])
        let result = try plan(text, mapping: mapping)
        #expect(result.columns.map(\.field) == [nil, "name", "Phone", "hiv_status", nil])
        #expect(result.columns.map(\.skipReason) == ["written by an export, not a field", nil, nil, nil, "left out as asked"])
        #expect(result.blankRows == [3])
        #expect(result.rows.map(\.row) == [2, 4])
        #expect(values(result.rows[0]) == ["name": "Sam", "Phone": "0123", "hiv_status": "positive"])
        #expect(result.rows[0].fields.first { $0.name == "hiv_status" }?.compartment == .sensitive)
        #expect(result.rows[1].fields.count == 2)
        // A last row with no line break keeps its empty last cell.
        #expect(try plan("name,pronouns\nSam,").rows.count == 1)
    }

    @Test("bad rows are each named with their row number and reason; good rows are kept for the report")
    func rejectsRows() throws {
        let text = "name,pronouns,\nSam,they\nAlex,he,\nRo,she,extra\n,,\n\"Kim\",she,\n"
        let result = try plan(text)
        #expect(result.rows.map(\.row) == [3, 6])
        #expect(result.rejected.map(\.row) == [2, 4])
        #expect(result.rejected[0].reason.contains("2 cells but the header has 3"))
        #expect(result.rejected[1].reason.contains("column 3, which has no name"))
        #expect(result.blankRows == [5])

        let kinds = try plan("kith:kind,name\nmember,Sam\nnote,hello\n")
        #expect(kinds.rejected == [ImportRejection(row: 3, reason: "it is a note record (column kith:kind) and this import makes member records; import each kind from its own file")])

        let empty = try plan("name,Notes\n,x\n", mapping: ImportMapping(skipped: ["Notes"]))
        #expect(empty.rejected.first?.reason.contains("every imported cell is empty") == true)

        let huge = try plan("name\n" + String(repeating: "x", count: (1 << 20) + 1) + "\n")
        #expect(huge.rejected.first?.reason.contains("over 1 MiB") == true)

        // Spaces around header names are dropped (and --map names match them).
        let spaced = try plan("name , pronouns\nSam,they\n", mapping: ImportMapping(renames: ["pronouns ": "pronoun"]))
        #expect(spaced.columns.map(\.field) == ["name", "pronoun"])

        // A field in two compartments (an export of different records) imports;
        // a row that fills both is refused, and a cell of kith:kind is never echoed.
        let both = try plan("profile:status,sensitive:status,kith:kind\na,,member\n,b,member\nc,d,member\n,e,secret-text\n")
        #expect(both.rows.map(\.row) == [2, 3])
        #expect(both.rows[1].fields.first?.compartment == .sensitive)
        #expect(both.rejected.map(\.row) == [4, 5])
        #expect(both.rejected[0].reason.contains("in two compartments"))
        #expect(!both.rejected[1].reason.contains("secret-text"))
    }

    @Test("a file that is wrong as a whole is refused before any row", arguments: badFiles.indices)
    func refusesFiles(index: Int) {
        let (text, expected, mapping) = badFiles[index]
        do {
            _ = try ImportPlan.make(csv: Data(text.utf8) + (text.contains("\u{FF}") ? Data([0xFF]) : Data()), kind: .member, mapping: mapping)
            Issue.record("accepted: \(text)")
        } catch let error as KithVaultError {
            #expect(error.code == .invalidInput)
            #expect(error.description.contains(expected), "\(error.description)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Files as spreadsheets save them: (what, bytes, delimiter given).
    static let spreadsheets: [(String, Data, CSVDelimiter?)] = [
        ("commas", Data("name,pronouns,phone\nمُحَمَّد,he,\"+961 70, ext 2\"\nSam,they,1\n".utf8), nil),
        ("semicolons (Excel in many locales)", Data("name;pronouns;phone\nمُحَمَّد;he;+961 70, ext 2\nSam;they;1\n".utf8), nil),
        ("tabs", Data("name\tpronouns\tphone\nمُحَمَّد\the\t+961 70, ext 2\nSam\tthey\t1\n".utf8), nil),
        ("a UTF-8 byte order mark, CRLF and a blank last row", Data([0xEF, 0xBB, 0xBF]) + Data("name;pronouns;phone\r\nمُحَمَّد;he;+961 70, ext 2\r\nSam;they;1\r\n;;\r\n".utf8), nil),
        ("UTF-16 little-endian with its mark, tabs (Excel's Unicode text)", utf16("name\tpronouns\tphone\r\nمُحَمَّد\the\t+961 70, ext 2\r\nSam\tthey\t1\r\n", bigEndian: false), nil),
        ("UTF-16 big-endian with its mark", utf16("name,pronouns,phone\nمُحَمَّد,he,\"+961 70, ext 2\"\nSam,they,1\n", bigEndian: true), nil),
        ("a semicolon given by hand, a comma in a cell", Data("name;pronouns;phone\nمُحَمَّد;he;+961 70, ext 2\nSam;they;1\n".utf8), .semicolon),
    ]

    static func utf16(_ text: String, bigEndian: Bool) -> Data {
        var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
        for unit in text.utf16 {
            let pair = [UInt8(unit >> 8), UInt8(unit & 0xFF)]
            bytes += bigEndian ? pair : pair.reversed()
        }
        return Data(bytes)
    }

    @Test("spreadsheets as people have them import the same two rows", arguments: spreadsheets.indices)
    func spreadsheetsAsSaved(index: Int) throws {
        let (what, data, given) = Self.spreadsheets[index]
        let plan = try ImportPlan.make(csv: data, kind: .member, delimiter: given)
        #expect(plan.rows.count == 2 && plan.rejected.isEmpty, "\(what): \(plan.rejected)")
        #expect(plan.columns.map(\.column) == ["name", "pronouns", "phone"], "\(what)")
        #expect(values(plan.rows[0]) == ["name": "مُحَمَّد", "pronouns": "he", "phone": "+961 70, ext 2"], "\(what)")
        #expect(plan.delimiterDetected == (given == nil))
    }

    @Test("the delimiter is found from the header row, and a wrong one given by hand is named")
    func delimiters() throws {
        #expect(try plan("name;pronouns\nSam;they\n").delimiter == .semicolon)
        #expect(try plan("name\tpronouns\nSam\tthey\n").delimiter == .tab)
        #expect(try plan("name\nSam\n").delimiter == .comma)
        // Quoted separators in the header do not count.
        #expect(try plan("\"a;b;c\",d\nx,y\n").delimiter == .comma)
        let error = #expect(throws: KithVaultError.self) {
            try ImportPlan.make(csv: Data("name;pronouns\nSam;they\n".utf8), kind: .member, delimiter: .comma)
        }
        #expect(error?.remedy == .chooseDelimiter(.semicolon) && error?.reason.contains("a semicolon") == true)
        // A row with too many cells names the delimiter in use.
        let semicolons = try plan("name;pronouns\nSam;they;x\n")
        #expect(semicolons.rejected.first?.reason.contains("a cell with a semicolon in it must be in double quotes") == true)
    }

    @Test("two byte order marks are both dropped; an invisible character in a header name is refused")
    func invisibleHeader() throws {
        let doubled = try ImportPlan.make(csv: Data([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF]) + Data("name\nSam\n".utf8), kind: .member)
        #expect(doubled.columns.map(\.column) == ["name"])
        let error = #expect(throws: KithVaultError.self) { try plan("na\u{200D}me,phone\nSam,1\n") }
        #expect(error?.reason.contains("column 1 of the header row has an invisible character") == true)
    }

    @Test("UTF-16 without its mark, and other binary files, are refused saying how to save them")
    func binaryRefused() {
        var bare = Self.utf16("name,pronouns\nSam,they\n", bigEndian: false)
        bare.removeFirst(2)
        for data in [bare, Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00])] {
            let error = #expect(throws: KithVaultError.self) { try ImportPlan.make(csv: data, kind: .member) }
            #expect(error?.reason.contains("save it from your spreadsheet as 'CSV UTF-8'") == true)
        }
    }

    @Test("only member and case records are imported")
    func refusesOtherKinds() {
        #expect(throws: KithVaultError.self) { try plan("text\nhi\n", kind: .note) }
    }

    @Test("an import writes every row in one transaction, readable after, with progress to the end")
    func importsAll() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        _ = lead
        var text = "name,pronouns,sensitive:status\n"
        for index in 0..<500 { text += "Person \(index),they/them,s\(index)\n" }
        let importPlan = try plan(text)
        let before = caseworker.state.count
        var reports: [(Int, Int)] = []
        // A case worker may not write sensitive fields: nothing is written.
        #expect(throws: KithVaultError.self) { try caseworker.importRecords(importPlan, groupName: "Trans Support") }
        #expect(caseworker.state.count == before)

        let leadView = try fixture.open("lead-tra")
        let start = leadView.state.count
        let imported = try leadView.importRecords(importPlan, groupName: "Trans Support") { reports.append(($0, $1)) }
        #expect(imported.count == 500)
        #expect(imported.map(\.row) == Array(2...501))
        // One entry per record, and nothing else (the lead's keys existed already).
        #expect(leadView.state.count - start == 500)
        #expect(reports.last.map { $0 == (1000, 1000) } == true)
        // Reports came during the work, not only the final one.
        #expect(reports.count > 2 && reports.contains { $0.0 > 0 && $0.0 < 1000 })
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        let view = try leadView.readRecord(imported[7].id)
        #expect(view.fields.map(\.value) == ["Person 7", "they/them", "s7"])
        let reader = try fixture.open("cw-tra")
        #expect(try reader.listRecords(groupName: "Trans Support", kind: .member).count == 500)
    }

    @Test("a plan with a rejected row writes nothing and names the row")
    func rejectedWritesNothing() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let bad = try plan("name,pronouns\nSam,they\nAlex,he,extra\nRo,she\n")
        let before = lead.state.count
        do {
            _ = try lead.importRecords(bad, groupName: "Trans Support")
            Issue.record("imported a plan with a rejected row")
        } catch let error as KithVaultError {
            #expect(error.description.contains("row 3 cannot be imported"))
            #expect(error.description.contains("Nothing was imported"))
        }
        #expect(lead.state.count == before)
        #expect(try lead.listRecords(groupName: "Trans Support").isEmpty)
    }

    @Test("an export reads what the user may read, logs each read as an export, and round-trips through import")
    func exportRoundTrip() throws {
        let fixture = try VaultFixture()
        let (lead, _, viewer) = try fixture.standardGroup()
        let auditor = try fixture.enroll("auditor", role: .auditor)
        #expect(try auditor.shareAuditKey() == .made)
        let nasty = ["a, b", "say \"hi\"", "two\nlines", " padded ", "=1+2", "Zoë 🌈", "-x"]
        var ids: [RecordID] = []
        for (index, value) in nasty.enumerated() {
            ids.append(
                try lead.addRecord(
                    groupName: "Trans Support", kind: .member,
                    fields: fields([("name", value), ("sensitive:status", "s\(index)")])))
        }
        let views = try lead.exportRecords(groupName: "Trans Support", format: "csv").records
        #expect(views.count == nasty.count)
        let table = RecordTable(views)
        #expect(Array(table.header.prefix(7)) == ["kith:id", "kith:kind", "kith:case", "kith:version", "kith:author", "kith:written", "kith:withheld"])
        #expect(Array(table.header.suffix(2)) == ["profile:name", "sensitive:status"])

        // Back in through the importer: the same values in the same compartments.
        let again = try ImportPlan.make(csv: Data(table.csv().utf8), kind: .member)
        #expect(again.rejected.isEmpty)
        #expect(again.rows.map { values($0)["name"] } == views.map { $0.fields.first { $0.name == "name" }?.value })
        #expect(again.rows[0].fields.first { $0.name == "status" }?.compartment == .sensitive)

        // With the guard, formulas are defused and nothing else changes.
        let guarded = try ImportPlan.make(csv: Data(table.csv(guardFormulas: true).utf8), kind: .member)
        let names = guarded.rows.compactMap { values($0)["name"] }
        #expect(names.contains("'=1+2") && names.contains("'-x") && names.contains("a, b"))

        // Each exported record has a read entry saying it was an export.
        let reads = try auditor.auditLog(AuditLogFilter(actor: lead.me, type: .recordRead))
        let actions = reads.compactMap { $0.details?.first { $0.key == "action" }?.value }
        #expect(actions == Array(repeating: "exported as csv member", count: nasty.count))

        // A viewer's export withholds the sensitive compartment.
        let seen = try viewer.exportRecords(groupName: "Trans Support", format: "json").records
        #expect(seen.count == nasty.count)
        #expect(seen.allSatisfy { $0.withheld == [.sensitive] && $0.fields.map(\.name) == ["name"] })
        // --record picks records, and a record of another group is refused.
        #expect(try lead.exportRecords(groupName: "Trans Support", ids: [ids[2]], format: "json").records.map(\.id) == [ids[2]])
        #expect(throws: KithVaultError.self) { try viewer.exportRecords(groupName: "Nowhere", format: "csv") }
        let (otherLead, _, _) = try fixture.standardGroup("Beta")
        let elsewhere = try otherLead.addRecord(groupName: "Beta", kind: .member, fields: fields([("name", "Kim")]))
        do {
            _ = try lead.exportRecords(groupName: "Trans Support", ids: [elsewhere], format: "json")
            Issue.record("exported a record of another group")
        } catch let error as KithVaultError {
            #expect(error.description.contains("is not in group Trans Support"))
        }
    }
}
