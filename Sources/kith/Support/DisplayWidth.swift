/// How many terminal columns text takes, counted by grapheme, so tables
/// line up whatever script or symbol a cell holds: a grapheme of a wide
/// (East Asian wide or full-width) character or an emoji takes two; one
/// made only of marks or zero-width characters takes none; any other,
/// Arabic and Hebrew letters included, takes one.
enum DisplayWidth {
    /// The columns `text` takes on a terminal.
    static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// The columns one grapheme takes.
    static func of(_ grapheme: Character) -> Int {
        guard let first = grapheme.unicodeScalars.first else { return 0 }
        // An emoji shown as a picture: presented so by default, or asked to be (U+FE0F).
        if first.properties.isEmojiPresentation || (first.properties.isEmoji && grapheme.unicodeScalars.contains("\u{FE0F}")) { return 2 }
        if isWide(first.value) { return 2 }
        let visible = grapheme.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format, .control: return false
            default: return !scalar.properties.isDefaultIgnorableCodePoint
            }
        }
        return visible ? 1 : 0
    }

    /// East Asian wide and full-width ranges (Unicode's EastAsianWidth W and F).
    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}

extension Terminal {
    /// A table cell that holds right-to-left text, wrapped in a first-strong
    /// isolate (U+2068 ... U+2069), so a terminal that applies the bidi
    /// algorithm lays it out on its own and never reorders it with the
    /// columns beside it. Kith adds these after neutralising the cell: none
    /// can come from the vault.
    static func isolated(_ cell: String) -> String {
        let rightToLeft = cell.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x0590...0x08FF, 0xFB1D...0xFDFF, 0xFE70...0xFEFF, 0x10800...0x10FFF, 0x1E800...0x1EFFF: return true
            default: return false
            }
        }
        return rightToLeft ? "\u{2068}" + cell + "\u{2069}" : cell
    }
}
