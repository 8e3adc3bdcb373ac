import ArgumentParser
import Foundation
import KithCrypto
import KithVault

/// `kith import`: a spreadsheet of members or cases into a group.
struct Import: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import member or case records from a CSV file (all rows or none).",
        discussion: """
            The file is CSV as spreadsheets save it: a header row, then one row per record, cells \
            separated by commas, semicolons or tabs (found from the header row, or give \
            --delimiter), in UTF-8 with or without a byte order mark, or UTF-16 with one (Excel's \
            "Unicode text"), with Windows or Unix line ends. \
            Each column becomes the field named in its header; a header like sensitive:hiv_status \
            puts the field in that compartment (default: profile for members, notes for cases). \
            Empty cells make no field; rows with every cell empty are skipped. Columns an \
            export added (kith:id, kith:kind, ...) are skipped.

            Every row is checked before anything is written. If any row is wrong, nothing is \
            imported and each bad row is named with its row number (the header is row 1, as in \
            a spreadsheet). Otherwise all rows are written in one transaction: a crash or an \
            interruption leaves the vault as it was. Try --dry-run first.

            Importing the same sheet again? --skip-duplicates leaves out every row whose name-like \
            and contact fields (name, phone, email, ...) all equal a record already in the group, as \
            'kith find' compares them (José = Jose, +44 7700 900123 = 07700 900123), and rows that \
            repeat an earlier row. --update-by phone makes each row whose phone matches exactly one \
            record a new version of that record (the other fields replaced, the rest kept), and adds \
            the others. Both use your search index, and the check is logged as one search.

            The CSV file itself stays on disk in plaintext: delete it once the import is checked.

            Examples:
              kith import members.csv --group "Trans Support" --kind member --dry-run
              kith import members.csv --group "Trans Support" --kind member \\
                  --map "Full name=name" --compartment hiv_status=sensitive --skip "Internal ref"
              kith import members.csv --group "Trans Support" --kind member --skip-duplicates
              kith import members.csv --group "Trans Support" --kind member --update-by phone
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The CSV file, or - for standard input.", valueName: "file.csv"))
    var file: String
    @Option(help: "The group the records go into.")
    var group: String
    @Option(help: "member or case.")
    var kind: RecordKind
    @Option(help: ArgumentHelp("Fill the field FIELD from the column COLUMN; repeat for more.", valueName: "column=field"))
    var map: [String] = []
    @Option(help: ArgumentHelp("Leave this column out; repeat for more.", valueName: "column"))
    var skip: [String] = []
    @Option(help: ArgumentHelp("Put FIELD in this compartment: profile, notes or sensitive; repeat for more.", valueName: "field=compartment"))
    var compartment: [String] = []
    @Option(help: "What separates the cells: comma, semicolon or tab. Default: found from the header row.")
    var delimiter: CSVDelimiter?
    @Flag(help: "Check everything and report what would be imported and every row that would be refused; write nothing.")
    var dryRun = false
    @Flag(help: "Leave out rows for people already in the group (same name-like and contact fields), and repeated rows.")
    var skipDuplicates = false
    @Option(help: ArgumentHelp("Update the record whose FIELD (name-like or contact, e.g. phone) matches the row's, instead of adding a second one.", valueName: "field"))
    var updateBy: String?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        guard kind == .member || kind == .case else {
            throw KithVaultError.invalidInput("'\(kind)' is not a kind you can import: use member or case")
        }
        if skipDuplicates && updateBy != nil {
            throw KithVaultError.invalidInput("give --skip-duplicates or --update-by, not both: a row either is left out or updates its record")
        }
        var data = try readInput()
        // The raw bytes are zeroed once parsed. The parsed text and the field
        // values are ordinary strings, not wiped (as for any shown field).
        defer { data.resetBytes(in: 0..<data.count) }
        let plan = try ImportPlan.make(csv: data, kind: kind, mapping: mapping(), delimiter: delimiter)
        let vault = try global.openVault()
        if dryRun {
            // The real run checks the same rights inside importRecords.
            try vault.checkImport(plan, groupName: group)
            try report(plan)
            if !plan.rejected.isEmpty { throw ExitCode(64) }
            return
        }
        if !plan.rejected.isEmpty {
            for rejection in plan.rejected.prefix(20) { Output.error("kith: row \(rejection.row): \(rejection.reason)") }
            if plan.rejected.count > 20 { Output.error("kith: ... and \(plan.rejected.count - 20) more rows (--dry-run lists them all)") }
            throw KithVaultError.invalidInput(
                "\(plan.rejected.count) of \(Output.count(plan.rows.count + plan.rejected.count, "row")) cannot be imported, so nothing was imported: mend the rows named above and run again")
        }
        let bar = ProgressBar("importing")
        defer { bar.finish() }
        // Two steps a record (sealed, then its entry signed): the bar counts records.
        let duplicates: ImportDuplicates = skipDuplicates ? .skip : updateBy.map { .update(by: $0) } ?? .add
        let imported = try vault.importRecords(plan, groupName: group, duplicates: duplicates) { bar.update(done: $0 / 2, total: $1 / 2) }
        bar.finish()
        let added = imported.filter { $0.action == .added }
        let updated = imported.filter { $0.action == .updated }, skipped = imported.filter { $0.action == .skipped }
        if output.json {
            try Output.json(
                ImportOutput(
                    group: group, kind: kind.description, imported: added.count, updated: updated.count, skipped: skipped.count, records: imported,
                    blankRows: plan.blankRows))
        } else {
            let first = added.first?.row ?? 0, last = added.last?.row ?? 0
            if added.isEmpty {
                Output.say("Imported no new record into \(group).")
            } else if duplicates == .add {
                print("Imported \(Output.count(added.count, "\(kind) record")) into \(group) (rows \(first)-\(last)).")
            } else {
                Output.say("Imported \(Output.count(added.count, "new \(kind) record")) into \(group).")
            }
            if !updated.isEmpty {
                Output.say("Updated \(Output.count(updated.count, "record")) already there (\(rowList(updated))).")
            }
            if !skipped.isEmpty {
                Output.say("Skipped \(Output.count(skipped.count, "row")) for people already there or repeated in the file (\(rowList(skipped))).")
            }
            if !plan.blankRows.isEmpty { print("Skipped \(Output.count(plan.blankRows.count, "blank row")).") }
            print("'kith record list --group \"\(group)\" --kind \(kind)' lists them.")
        }
        if file != "-" && Terminal.errorIsTerminal {
            let quoted = "'" + file.replacingOccurrences(of: "'", with: "'\\''") + "'"
            Output.warning("\(file) is still on disk in plaintext; delete it once you have checked the import (for example: shred -u \(quoted)).")
        }
    }

    /// "rows 2, 5, 9", or the first ten and how many more ('--json' lists them all).
    private func rowList(_ records: [ImportedRecord]) -> String {
        let shown = records.prefix(10).map { String($0.row) }.joined(separator: ", ")
        if records.count == 1 { return "row \(shown)" }
        return records.count > 10 ? "rows \(shown) and \(records.count - 10) more; --json lists them all" : "rows \(shown)"
    }

    /// The file's bytes, refusing anything too big before reading it all.
    private func readInput() throws -> Data {
        try TextFile.input(
            file, what: "CSV file", limit: ImportPlan.maximumBytes,
            tooLarge: "one import takes at most \(ImportPlan.maximumBytes >> 20) MiB: split it into several files")
    }

    private func mapping() throws -> ImportMapping {
        var renames: [String: String] = [:]
        for pair in map {
            // Field names have no '=', so the last one separates.
            guard let equals = pair.lastIndex(of: "="), equals != pair.startIndex, pair.index(after: equals) != pair.endIndex else {
                throw KithVaultError.invalidInput("--map '\(pair)' is not column=field, like --map \"Full name=name\"")
            }
            renames[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        var compartments: [String: Compartment] = [:]
        for pair in compartment {
            guard let equals = pair.lastIndex(of: "="), let named = Compartment(name: String(pair[pair.index(after: equals)...])) else {
                throw KithVaultError.invalidInput("--compartment '\(pair)' is not field=compartment with a compartment of profile, notes or sensitive")
            }
            compartments[String(pair[..<equals])] = named
        }
        return ImportMapping(renames: renames, skipped: Set(skip), compartments: compartments)
    }

    /// The dry run's report: columns, counts, every refused row.
    private func report(_ plan: ImportPlan) throws {
        if output.json {
            try Output.json(
                DryRunOutput(
                    group: group, kind: plan.kind.description, wouldImport: plan.rows.count, delimiter: plan.delimiter, columns: plan.columns,
                    rejected: plan.rejected, blankRows: plan.blankRows))
            return
        }
        let how = plan.delimiterDetected ? "found from the header row; --delimiter changes it" : "as given"
        print("Cells are separated by \(plan.delimiter.words) (\(how)).")
        Output.table(
            ["COLUMN", "FIELD", "COMPARTMENT"],
            plan.columns.map { column in
                guard let field = column.field, let compartment = column.compartment else {
                    return [column.column.isEmpty ? "(no name)" : column.column, "-", "skipped: \(column.skipReason ?? "")"]
                }
                return [column.column, field, compartment.description]
            })
        print("")
        print("Would import \(Output.count(plan.rows.count, "\(plan.kind) record")) into \(group).")
        if !plan.blankRows.isEmpty { print("Would skip \(Output.count(plan.blankRows.count, "blank row")).") }
        if plan.rejected.isEmpty {
            print("No row would be refused. Run again without --dry-run to import.")
        } else {
            print(Terminal.styled("\(Output.count(plan.rejected.count, "row")) would be refused, so nothing would be imported:", .red))
            for rejection in plan.rejected { Output.say("  row \(rejection.row): \(rejection.reason)") }
        }
    }
}

/// `import --json`: group, kind, imported (new records), updated, skipped,
/// records [{row, id, action, duplicate_of_row}], blank_rows.
private struct ImportOutput: Encodable {
    let group: String
    let kind: String
    let imported: Int
    let updated: Int
    let skipped: Int
    let records: [ImportedRecord]
    let blankRows: [Int]

    private enum CodingKeys: String, CodingKey { case group, kind, imported, updated, skipped, records, blankRows = "blank_rows" }
}

/// `import --dry-run --json`: dry_run, group, kind, would_import, delimiter, columns, rejected, blank_rows.
private struct DryRunOutput: Encodable {
    let dryRun = true
    let group: String
    let kind: String
    let wouldImport: Int
    let delimiter: CSVDelimiter
    let columns: [ImportColumn]
    let rejected: [ImportRejection]
    let blankRows: [Int]

    private enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run", group, kind, wouldImport = "would_import", delimiter, columns, rejected, blankRows = "blank_rows"
    }
}
