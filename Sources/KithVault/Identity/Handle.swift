import Foundation

/// A user's handle: how people name each other in commands. Kept short and
/// plain so it can be typed, read aloud and compared: 1 to 64 letters (of
/// any script, with their marks), digits, '.', '_' and '-', starting with a
/// letter or digit. The letters come from one script (Latin, Arabic,
/// Cyrillic, ...), so a handle cannot mix look-alike letters of two scripts
/// (`аlex` with a Cyrillic а); the vault also refuses a handle that folds to
/// an existing one (`LookAlike`). Handles are kept NFKC-normalised, so the
/// same name typed on two keyboards is the same handle.
/// Handles never appear in the store in the clear.
public struct Handle: Hashable, Sendable, CustomStringConvertible {
    /// The handle, NFKC-normalised.
    public let value: String

    /// The rule, in words, for messages.
    public static let rule =
        "1 to 64 letters of one script (\(HandleScript.named)), digits, '.', '_' or '-', starting with a letter or digit, with no spaces"

    /// Validates a handle.
    public init(_ typed: String) throws {
        let value = typed.precomposedStringWithCompatibilityMapping
        let scalars = Array(value.unicodeScalars)
        // The typed text is echoed with invisible characters named, so a refusal never carries a bidi override.
        let echoed = String(String.UnicodeScalarView(typed.unicodeScalars.prefix(80).flatMap { Self.isInvisible($0) ? Array("<U+\(String($0.value, radix: 16, uppercase: true))>".unicodeScalars) : [$0] }))
        let refuse = { (why: String) in
            KithVaultError.invalidInput("'\(echoed)' is not a valid handle: \(why); a handle is \(Self.rule). Names with spaces go in records")
        }
        guard (1...64).contains(value.count), scalars.count <= 256 else { throw refuse("it must be 1 to 64 characters long") }
        guard let first = scalars.first, Self.isLetter(first) || Self.isDigit(first) else {
            throw refuse("it must start with a letter or digit")
        }
        if let bad = scalars.first(where: { !(Self.isLetter($0) || Self.isMark($0) || Self.isDigit($0) || $0 == "." || $0 == "_" || $0 == "-") }) {
            throw refuse(bad.properties.isWhitespace ? "it has a space" : "it has \(Self.shown(bad)), which is not a letter, digit, '.', '_' or '-'")
        }
        // Letters nobody can see (a Hangul filler) or drawn like other Latin letters (ǀ for l, ɑ for a) would make a handle pass for another.
        if let bad = scalars.first(where: { $0.properties.isDefaultIgnorableCodePoint || Self.latinLookAlikes.contains($0) }) {
            throw refuse("it has \(Self.shown(bad)), which looks like another letter or like nothing")
        }
        let scripts = Set(scalars.filter(Self.isLetter).map(HandleScript.init))
        if let other = scripts.first(where: { if case .block = $0 { return true } else { return false } }) {
            throw refuse("its letters are of \(other), which handles do not use (\(HandleScript.named))")
        }
        if scripts.count > 1 {
            throw refuse("it mixes letters of \(scripts.map(\.description).sorted().joined(separator: " and ")), which can make it look like another handle")
        }
        self.value = value
    }

    /// The handle.
    public var description: String { value }

    /// Handles are unique regardless of case.
    public var comparisonKey: String { value.lowercased() }

    /// Latin letters drawn like other Latin letters.
    private static let latinLookAlikes: Set<Unicode.Scalar> = ["\u{01C0}", "\u{01C1}", "\u{01C3}", "\u{0251}", "\u{0261}", "\u{0131}", "\u{0237}", "\u{0269}", "\u{026A}", "\u{029F}"]

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark: return true
        default: return false
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .decimalNumber }

    /// A character named safely for a message (never a control or bidi character as itself).
    private static func shown(_ scalar: Unicode.Scalar) -> String {
        let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
        return isInvisible(scalar) ? code : "'\(scalar)' (\(code))"
    }

    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .privateUse, .unassigned, .surrogate: return scalar != " "
        default: return false
        }
    }
}

/// The script a handle's letter belongs to, by Unicode block (Swift's
/// standard library has no Script property). A letter outside the named
/// scripts is refused: scripts nobody reviewed hold letters drawn like
/// Latin ones (Lisu, Cherokee).
enum HandleScript: Hashable, CustomStringConvertible {
    /// The scripts handles may use, in words.
    static let named = "Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Syriac, Thaana, Devanagari, Bengali, Thai, Georgian, Ethiopic, Chinese or Japanese, Korean"

    case latin, greek, cyrillic, armenian, hebrew, arabic, syriac, thaana, devanagari, bengali, thai, georgian, ethiopic, cjk, hangul
    case block(UInt32)

    init(_ scalar: Unicode.Scalar) {
        switch scalar.value {
        case 0x41...0x5A, 0x61...0x7A, 0xAA, 0xBA, 0xC0...0x24F, 0x250...0x2AF, 0x1D00...0x1DBF, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xFF21...0xFF5A:
            self = .latin
        case 0x370...0x3FF, 0x1F00...0x1FFF: self = .greek
        case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: self = .cyrillic
        case 0x530...0x58F: self = .armenian
        case 0x590...0x5FF, 0xFB1D...0xFB4F: self = .hebrew
        case 0x600...0x6FF, 0x750...0x77F, 0x870...0x8FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF: self = .arabic
        case 0x700...0x74F, 0x860...0x86F: self = .syriac
        case 0x780...0x7BF: self = .thaana
        case 0x900...0x97F, 0xA8E0...0xA8FF: self = .devanagari
        case 0x980...0x9FF: self = .bengali
        case 0xE00...0xE7F: self = .thai
        case 0x10A0...0x10FF, 0x1C90...0x1CBF, 0x2D00...0x2D2F: self = .georgian
        case 0x1200...0x139F, 0x2D80...0x2DDF, 0xAB00...0xAB2F: self = .ethiopic
        // Japanese writes Han, Hiragana and Katakana together: one script here.
        case 0x3005, 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x3134F: self = .cjk
        case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: self = .hangul
        default: self = .block(scalar.value >> 7)
        }
    }

    var description: String {
        switch self {
        case .latin: return "Latin"
        case .greek: return "Greek"
        case .cyrillic: return "Cyrillic"
        case .armenian: return "Armenian"
        case .hebrew: return "Hebrew"
        case .arabic: return "Arabic"
        case .syriac: return "Syriac"
        case .thaana: return "Thaana"
        case .devanagari: return "Devanagari"
        case .bengali: return "Bengali"
        case .thai: return "Thai"
        case .georgian: return "Georgian"
        case .ethiopic: return "Ethiopic"
        case .cjk: return "Chinese or Japanese"
        case .hangul: return "Korean"
        case .block(let block): return "the block at U+" + String(block << 7, radix: 16, uppercase: true)
        }
    }
}
