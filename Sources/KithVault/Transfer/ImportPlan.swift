import Foundation
import SwiftCSV

/// How a CSV file's columns become record fields.
public struct ImportMapping: Sendable {
    /// Column name → field name (`--map column=field`).
    public var renames: [String: String]
    /// Columns left out (`--skip column`).
    public var skipped: Set<String>
    /// Field name → compartment (`--compartment field=sensitive`).
    public var compartments: [String: Compartment]

    /// A mapping; with nothing given, every column becomes the field of its header's name.
    public init(renames: [String: String] = [:], skipped: Set<String> = [], compartments: [String: Compartment] = [:]) {
        self.renames = renames
        self.skipped = skipped
        self.compartments = compartments
    }
}

/// What one CSV column becomes.
public struct ImportColumn: Sendable, Equatable {
    /// The column's name in the header row.
    public let column: String
    /// The field it fills, or nil when it is left out.
    public let field: String?
    /// The compartment of that field.
    public let compartment: Compartment?
    /// Why it is left out (nil when imported).
    public let skipReason: String?
}

/// One data row to import.
public struct ImportRow: Sendable {
    /// Its row number as a spreadsheet shows it (the header is row 1).
    public let row: Int
    /// Its fields; empty cells are left out.
    public let fields: [RecordField]
}

/// A row that would not be imported, and why.
public struct ImportRejection: Sendable, Equatable {
    /// Its row number as a spreadsheet shows it (the header is row 1).
    public let row: Int
    /// What is wrong with it and what to do.
    public let reason: String
}

/// A CSV file checked and turned into records, before anything is written:
/// what `kith import --dry-run` reports and what `Vault.importRecords` writes.
/// Parsing is RFC 4180 (comma-separated, double-quoted cells, a header row)
/// by SwiftCSV, with the checks it leaves to its caller done here.
public struct ImportPlan: Sendable {
    /// The record kind every row becomes.
    public let kind: RecordKind
    /// Every column of the header, in order, and what it becomes.
    public let columns: [ImportColumn]
    /// The rows that pass every check.
    public let rows: [ImportRow]
    /// The rows that do not; an import with any of these writes nothing.
    public let rejected: [ImportRejection]
    /// Rows with every cell empty, skipped (spreadsheets often leave them at the end).
    public let blankRows: [Int]
    /// The character the cells were read as separated by.
    public let delimiter: CSVDelimiter
    /// Whether it was found from the header row (false: it was given).
    public let delimiterDetected: Bool

    /// The most data rows one import takes (all of them go in one transaction).
    public static let maximumRows = 100_000
    /// The largest CSV file one import reads.
    public static let maximumBytes = 64 << 20

    /// Columns an export adds (`kith:id`, `kith:kind`, ...): never imported as fields.
    public static let metadataPrefix = "kith:"

    /// Checks `data` as a CSV file of `kind` records. Throws for a problem
    /// with the file as a whole (not text, bad header, a mapping that names
    /// no column); problems with single rows go in `rejected`. The text may
    /// be UTF-8 (with or without a byte order mark) or UTF-16 with one; the
    /// delimiter, unless given, is found from the header row.
    public static func make(csv data: Data, kind: RecordKind, mapping: ImportMapping = ImportMapping(), delimiter given: CSVDelimiter? = nil) throws -> ImportPlan {
        guard kind == .member || kind == .case else {
            throw KithVaultError.invalidInput("'\(kind)' records are not imported: import member or case records")
        }
        guard data.count <= maximumBytes else {
            throw KithVaultError.invalidInput("the file is \(data.count >> 20) MiB; one import takes at most \(maximumBytes >> 20) MiB: split it into several files")
        }
        let text = try CSVText.decode(data)
        let delimiter = given ?? CSVDelimiter.detect(in: text)
        // Quoting first: a quote left open in the header would otherwise make
        // the rest of the file one header cell (and print it in an error).
        if let (row, problem) = CSVQuoting.firstProblem(in: text, delimiter: delimiter) {
            throw KithVaultError.invalidInput("row \(row) is not valid CSV: \(problem)")
        }
        // A last row with no line break after it would lose an empty last
        // cell to the parser; ending the text with one keeps it. ("\r\n" is
        // one Character in Swift, so ask the last Character, not a suffix.)
        let ended = text.last?.isNewline ?? true ? text : text + "\n"
        let csv: EnumeratedCSV
        do {
            csv = try EnumeratedCSV(string: ended, delimiter: .character(delimiter.character), loadColumns: false, rowLimit: 0)
        } catch {
            throw KithVaultError.invalidInput(
                "the header row (row 1) is not valid CSV: a cell with \(delimiter.words), quote or line break must be in double quotes")
        }
        // Spreadsheets often leave spaces around names; a field name never has them.
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        if let hidden = header.firstIndex(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .format } }) {
            // An invisible character would make a field that looks like 'name' but is not, which search and duplicates then miss.
            throw KithVaultError.invalidInput("column \(hidden + 1) of the header row has an invisible character in its name; retype the name in the spreadsheet")
        }
        if let broken = header.firstIndex(where: { $0.contains(where: \.isNewline) }) {
            throw KithVaultError.invalidInput("column \(broken + 1) of the header row has a line break in its name; give it a one-line name")
        }
        guard !header.isEmpty, header.contains(where: { !$0.isEmpty }) else {
            throw KithVaultError.invalidInput("the file has no header row: its first row must name the columns, like name,pronouns,phone")
        }
        if header.count == 1, let other = CSVDelimiter.allCases.first(where: { $0 != delimiter && header[0].contains($0.character) }) {
            // Only a delimiter given by hand gets here: detection would have taken the other one.
            throw KithVaultError.invalidInput(
                "the header row is one column with \(other.words) in it, but its cells were read as separated by \(delimiter.words)",
                remedy: .chooseDelimiter(other))
        }
        let columns = try mapColumns(header, kind: kind, mapping: mapping)

        var rows: [ImportRow] = []
        var rejected: [ImportRejection] = []
        var blank: [Int] = []
        var rowNumber = 1
        var tooMany = false
        do {
            try csv.enumerateAsArray(startAt: 1, rowLimit: nil) { cells in
                rowNumber += 1
                guard !tooMany else { return }
                guard rowNumber - 1 <= maximumRows else {
                    tooMany = true
                    return
                }
                switch checkRow(cells, row: rowNumber, columns: columns, kind: kind, delimiter: delimiter) {
                case .blank: blank.append(rowNumber)
                case .rejected(let reason): rejected.append(ImportRejection(row: rowNumber, reason: reason))
                case .accepted(let fields): rows.append(ImportRow(row: rowNumber, fields: fields))
                }
            }
        } catch {
            // Quoting was checked above, so this is unexpected; the parser
            // stops at the first row it cannot read: after the last it delivered.
            throw KithVaultError.invalidInput(
                "row \(rowNumber + 1) is not valid CSV: a cell with \(delimiter.words), quote or line break must be in double quotes, with its quotes doubled")
        }
        if tooMany {
            throw KithVaultError.invalidInput("the file has over \(maximumRows) data rows; one import takes at most \(maximumRows): split it into several files")
        }
        guard !rows.isEmpty || !rejected.isEmpty else {
            throw KithVaultError.invalidInput("the file has a header row but no data rows: nothing to import")
        }
        return ImportPlan(
            kind: kind, columns: columns, rows: rows, rejected: rejected, blankRows: blank, delimiter: delimiter, delimiterDetected: given == nil)
    }

    /// The compartments the rows write to (the importer needs the right to write each).
    public var compartments: [Compartment] {
        Array(Set(rows.flatMap { $0.fields.map(\.compartment) })).sorted()
    }

    /// A column's name for a message: long names are cut short.
    private static func shown(_ name: String) -> String {
        name.count > 40 ? String(name.prefix(37)) + "..." : name
    }

    // MARK: Header

    private static func mapColumns(_ header: [String], kind: RecordKind, mapping given: ImportMapping) throws -> [ImportColumn] {
        // Header names are trimmed, so the names given for them are too.
        var mapping = given
        mapping.renames = Dictionary(given.renames.map { ($0.key.trimmingCharacters(in: .whitespaces), $0.value) }, uniquingKeysWith: { $1 })
        mapping.skipped = Set(given.skipped.map { $0.trimmingCharacters(in: .whitespaces) })
        let known = Set(header)
        for column in mapping.renames.keys.sorted() + mapping.skipped.sorted() where !known.contains(column) {
            throw KithVaultError.invalidInput(
                "there is no column '\(shown(column))'; the header row has: \(header.filter { !$0.isEmpty }.map(shown).joined(separator: ", "))")
        }
        var seen: [String: Int] = [:]
        for (index, name) in header.enumerated() where !name.isEmpty {
            if let first = seen[name] {
                throw KithVaultError.invalidInput("columns \(first + 1) and \(index + 1) are both named '\(shown(name))'; rename one in the header row")
            }
            seen[name] = index
        }

        var columns: [ImportColumn] = []
        // Keyed by compartment and name: an export may hold 'status' in two
        // compartments (from different records); a row may fill only one.
        var fieldColumn: [String: String] = [:]
        var fieldNames: Set<String> = []
        for name in header {
            if name.isEmpty {
                columns.append(ImportColumn(column: name, field: nil, compartment: nil, skipReason: "no name in the header row"))
                continue
            }
            if mapping.skipped.contains(name) {
                columns.append(ImportColumn(column: name, field: nil, compartment: nil, skipReason: "left out as asked"))
                continue
            }
            if name.hasPrefix(metadataPrefix) && mapping.renames[name] == nil {
                columns.append(ImportColumn(column: name, field: nil, compartment: nil, skipReason: "written by an export, not a field"))
                continue
            }
            // A header may name the compartment as --field does: sensitive:hiv_status.
            let target = mapping.renames[name] ?? name
            let parsed: RecordField
            do {
                // parse() splits at the first '='; a name must not have one at all.
                guard !target.contains("=") else { throw KithVaultError.invalidInput("a field name has no '='") }
                parsed = try RecordField.parse("\(target)=", kind: kind)
            } catch {
                throw KithVaultError.invalidInput("column '\(shown(name))' cannot be a field (\(detail(of: error)))", remedy: .renameColumn)
            }
            var compartment = parsed.compartment
            if let chosen = mapping.compartments[parsed.name] {
                // A header that names its compartment is not quietly moved
                // (say, from sensitive to where viewers read it).
                if target.contains(":") && chosen != parsed.compartment {
                    throw KithVaultError.invalidInput(
                        "column '\(shown(name))' puts '\(parsed.name)' in \(parsed.compartment), but it was also given the compartment \(chosen); change the header or give no compartment for it")
                }
                compartment = chosen
            }
            let key = "\(compartment):\(parsed.name)"
            if let other = fieldColumn[key] {
                throw KithVaultError.invalidInput(
                    "columns '\(shown(other))' and '\(shown(name))' would both fill the field '\(parsed.name)'; map one to another name or leave it out", remedy: .renameColumn)
            }
            fieldColumn[key] = name
            fieldNames.insert(parsed.name)
            columns.append(ImportColumn(column: name, field: parsed.name, compartment: compartment, skipReason: nil))
        }
        for field in mapping.compartments.keys.sorted() where !fieldNames.contains(field) {
            throw KithVaultError.invalidInput("a compartment is given for the field '\(field)', which no column fills; fields: \(fieldNames.sorted().joined(separator: ", "))")
        }
        guard columns.contains(where: { $0.field != nil }) else {
            throw KithVaultError.invalidInput("no column is left to import; check the columns left out and the header row")
        }
        return columns
    }

    // MARK: Rows

    private enum RowCheck {
        case blank
        case rejected(String)
        case accepted([RecordField])
    }

    private static func checkRow(_ cells: [String], row: Int, columns: [ImportColumn], kind: RecordKind, delimiter: CSVDelimiter) -> RowCheck {
        if cells.allSatisfy(\.isEmpty) { return .blank }
        guard cells.count == columns.count else {
            return .rejected(
                "it has \(cells.count) cells but the header has \(columns.count) columns; a cell with \(delimiter.words) in it must be in double quotes")
        }
        var fields: [RecordField] = []
        for (index, (column, cell)) in zip(columns, cells).enumerated() where !cell.isEmpty {
            if column.column == metadataPrefix + "kind", column.field == nil, cell != kind.description {
                // Name the kind only when it is one; never echo a cell's text.
                let other = RecordKind(name: cell).map { "a \($0) record" } ?? "not a \(kind) record"
                return .rejected("it is \(other) (column kith:kind) and this import makes \(kind) records; import each kind from its own file")
            }
            guard let field = column.field, let compartment = column.compartment else {
                if column.column.isEmpty {
                    return .rejected("it has a value in column \(index + 1), which has no name in the header row; name the column or empty the cell")
                }
                continue
            }
            do {
                fields.append(try RecordField(compartment: compartment, name: field, value: cell))
            } catch {
                return .rejected("column '\(shown(column.column))': \(detail(of: error))")
            }
        }
        guard !fields.isEmpty else { return .rejected("every imported cell is empty; fill one or delete the row") }
        var names: Set<String> = []
        for field in fields where !names.insert(field.name).inserted {
            return .rejected("it fills the field '\(field.name)' in two compartments; a record holds a field once: empty one of the two cells")
        }
        return .accepted(fields)
    }

    /// A bad-input error's own words, to put inside a longer sentence.
    private static func detail(of error: Error) -> String {
        if let error = error as? KithVaultError, error.code == .invalidInput { return error.reason }
        return "\(error)"
    }
}
