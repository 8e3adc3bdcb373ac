import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import KithCrypto

/// Records laid out as one table for a CSV export: a row per record, the
/// export's own columns first (`kith:id`, `kith:kind`, ...; an import skips
/// them), then one column per field, named `compartment:name` so that an
/// import puts each value back in its compartment.
public struct RecordTable: Sendable {
    /// The header row.
    public let header: [String]
    /// One row per record, as long as the header.
    public let rows: [[String]]

    /// Lays out `views`; fields appear in the order they are first met.
    public init(_ views: [RecordView]) {
        var fieldColumns: [String] = []
        var seen: Set<String> = []
        for view in views {
            for field in view.fields {
                let column = "\(field.compartment):\(field.name)"
                if seen.insert(column).inserted { fieldColumns.append(column) }
            }
        }
        let meta = ["id", "kind", "case", "version", "author", "written", "withheld", "member"].map { ImportPlan.metadataPrefix + $0 }
        header = meta + fieldColumns
        let index = Dictionary(uniqueKeysWithValues: fieldColumns.enumerated().map { ($1, $0) })
        rows = views.map { view in
            let parent = view.parent?.description ?? ""
            var row = [
                view.id.description, view.kind.description, view.kind == .case ? "" : parent, "\(view.version)", view.author,
                Timestamp.iso8601(millis: view.timeMillis),
                view.withheld.map(\.description).joined(separator: " "), view.kind == .case ? parent : "",
            ]
            var cells = [String](repeating: "", count: fieldColumns.count)
            for field in view.fields {
                if let position = index["\(field.compartment):\(field.name)"] { cells[position] = field.value }
            }
            row += cells
            return row
        }
    }

    /// How many cells a spreadsheet might run as a formula (what
    /// `csv(guardFormulas: true)` protects).
    public var formulaLikeCells: Int {
        rows.reduce(0) { $0 + $1.filter(CSVCell.looksLikeFormula).count }
    }

    /// The table as RFC 4180 CSV text (CRLF line ends, cells quoted when
    /// they need it). With `guardFormulas`, a cell a spreadsheet would run
    /// as a formula (starting with =, +, -, @, tab or CR) gets a leading
    /// apostrophe, so opening the file cannot run what a record's author typed.
    public func csv(guardFormulas: Bool = false) -> String {
        var out = ""
        for row in [header] + rows {
            out += row.map { CSVCell.encode($0, guardFormulas: guardFormulas) }.joined(separator: ",")
            out += "\r\n"
        }
        return out
    }
}

/// One CSV cell's text.
enum CSVCell {
    /// Whether a spreadsheet would take `value` for a formula.
    static func looksLikeFormula(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first else { return false }
        return "=+-@\t\r".unicodeScalars.contains(first)
    }

    static func encode(_ value: String, guardFormulas: Bool) -> String {
        var value = value
        if guardFormulas, looksLikeFormula(value) {
            value = "'" + value
        }
        // Quote what a parser would otherwise split or trim: separators,
        // quotes, line breaks, and spaces at either end.
        let needsQuotes =
            value.contains { $0 == "," || $0 == "\"" || $0.isNewline }
            || value.first?.isWhitespace == true || value.last?.isWhitespace == true
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A new plaintext file for an export: mode 0600, written whole under a
/// temporary name and only then given its name, never replacing a file.
public enum PlaintextFile {
    /// Writes `bytes` to a new file at `path` (mode 0600, never replacing
    /// one), then wipes `bytes`. Written as `attach get` writes: in a
    /// private folder beside `path`, noted under `partials` first, so a
    /// process killed part way leaves nothing the next kith command does
    /// not remove (the crash matrix found plaintext temporaries left).
    public static func create(_ bytes: inout [UInt8], at path: String, partials: PartialFiles?) throws {
        defer { SecureBytes.wipe(&bytes) }
        guard access(path, F_OK) != 0 else {
            throw KithVaultError.invalidInput("\(path) already exists and was left untouched", remedy: .chooseNewFile)
        }
        let output = try OutputFile(path: path, partials: partials)
        defer { output.abandon() }
        try bytes.withUnsafeBytes { try output.write($0) }
        try output.publish()
    }
}
