import Foundation

/// The character between the cells of a CSV file. Spreadsheets write a
/// comma, or in many locales (where the comma is the decimal mark) a
/// semicolon; Excel's "Unicode text" is tab-separated.
public enum CSVDelimiter: String, Sendable, CaseIterable, Encodable {
    /// `,`
    case comma
    /// `;`
    case semicolon
    /// A tab.
    case tab

    /// The character itself.
    public var character: Character {
        switch self {
        case .comma: return ","
        case .semicolon: return ";"
        case .tab: return "\t"
        }
    }

    var scalar: Unicode.Scalar {
        switch self {
        case .comma: return ","
        case .semicolon: return ";"
        case .tab: return "\t"
        }
    }

    /// The delimiter in words for a message: "a comma".
    public var words: String {
        switch self {
        case .comma: return "a comma"
        case .semicolon: return "a semicolon"
        case .tab: return "a tab"
        }
    }

    /// The delimiter the header row uses: whichever of comma, semicolon and
    /// tab it holds most often outside double quotes (a comma on a tie, and
    /// when it holds none: a file of one column).
    static func detect(in text: String) -> CSVDelimiter {
        var counts: [CSVDelimiter: Int] = [:]
        var quoted = false
        for scalar in text.unicodeScalars {
            if scalar == "\"" {
                quoted.toggle()
            } else if !quoted, scalar == "\n" || scalar == "\r" {
                break
            } else if !quoted, let found = allCases.first(where: { $0.scalar == scalar }) {
                counts[found, default: 0] += 1
            }
        }
        return allCases.max { (counts[$0] ?? 0, rank($0)) < (counts[$1] ?? 0, rank($1)) } ?? .comma
    }

    /// Ties go to the commoner delimiter.
    private static func rank(_ delimiter: CSVDelimiter) -> Int {
        switch delimiter {
        case .comma: return 2
        case .semicolon: return 1
        case .tab: return 0
        }
    }
}

/// The text of a CSV file as spreadsheets save it: UTF-8 with or without a
/// byte order mark, or UTF-16 with one (Excel's "Unicode text"), converted.
enum CSVText {
    /// The text, without any byte order marks left at its start (some tools write two).
    static func decode(_ data: Data) throws -> String {
        var text = try decodeBytes(data)
        while text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        return text
    }

    private static func decodeBytes(_ data: Data) throws -> String {
        let bytes = [UInt8](data.prefix(3))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            guard let text = String(validating: data.dropFirst(3), as: UTF8.self) else { throw notUTF8 }
            return text
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            // Foundation reads the byte order from the mark and drops it.
            guard let text = String(data: data, encoding: .utf16), !text.unicodeScalars.contains("\u{0}") else {
                throw KithVaultError.invalidInput("the file starts like UTF-16 text but is not valid UTF-16: save it from your spreadsheet as 'CSV UTF-8'")
            }
            return text
        }
        if data.contains(0) {
            throw KithVaultError.invalidInput(
                "the file has zero bytes in it, so it is not CSV text (perhaps UTF-16 without its byte order mark, or a spreadsheet's own format): save it from your spreadsheet as 'CSV UTF-8'")
        }
        guard let text = String(validating: data, as: UTF8.self) else { throw notUTF8 }
        return text
    }

    static let notUTF8 = KithVaultError.invalidInput("the file is not UTF-8 text: save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'")
}
