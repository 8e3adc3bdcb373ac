/// Text from the vault made safe to show a person, on a terminal or a web
/// page: every scalar that would act instead of being shown, or reorder the
/// text around it, is written visibly as `<U+XXXX>`. One rule for every
/// interface, so what a hostile record can do is the same everywhere.
public enum VisibleText {
    /// `text` with every C0 and C1 control, DEL, bidi override, embedding,
    /// isolate and mark, and the line and paragraph separators, written as
    /// `<U+XXXX>`. With `keepNewlines`, line feeds stay (a note's lines).
    public static func safe(_ text: String, keepNewlines: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if keepNewlines && scalar == "\n" {
                out.append(scalar)
            } else if isNeutralised(scalar) {
                out.append(contentsOf: marker(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Whether `scalar` acts on a terminal or reorders text instead of being shown.
    public static func isNeutralised(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1 (ESC, BEL, CR, CSI 0x9B, OSC 0x9D ...)
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true  // bidi embeddings, overrides, isolates, marks
        case 0x2028, 0x2029: return true  // line and paragraph separators
        default: return false
        }
    }

    /// "<U+202E>": four hex digits at least, upper case.
    static func marker(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
    }
}
