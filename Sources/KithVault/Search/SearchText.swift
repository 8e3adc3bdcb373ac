/// The one normalisation search uses, for what it indexes and for what a
/// case worker types, so the two always meet: "Sam" finds "SAM", "José"
/// finds "Jose", "محمد" finds "مُحَمَّد", "أحمد" finds "احمد", "٠٧٧٠٠" finds
/// "07700".
///
/// In order: compatibility composition (full-width letters, ligatures and
/// presentation forms become plain letters), lower case (and ß to ss),
/// combining marks dropped after decomposition (Latin accents; Arabic
/// tashkeel, hamza above and below, madda and the Quranic marks), the
/// tatweel and other invisible format characters dropped, Arabic letter
/// variants unified (ٱ to ا, ى and Persian ی to ي, ة to ه, Persian ک to ك;
/// أ إ آ ؤ ئ become ا ا ا و ي by the decomposition), and the digits of
/// every script (Arabic-Indic, Eastern Arabic-Indic, Devanagari, ...) to
/// ASCII.
public enum SearchText {
    /// `text` folded as the index and queries see it.
    public static func normalise(_ text: String) -> String {
        // Plain ASCII (most Latin names, every phone and e-mail) folds by case alone: no marks, no variants, ASCII digits.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var out = String.UnicodeScalarView()
        for scalar in text.precomposedStringWithCompatibilityMapping.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            let properties = scalar.properties
            switch properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format: continue
            default: break
            }
            if scalar == "\u{0640}" || properties.isDefaultIgnorableCodePoint { continue }
            if let letter = arabicVariants[scalar] {
                out.append(letter)
            } else if scalar == "ß" {
                out.append(contentsOf: "ss".unicodeScalars)
            } else if properties.numericType == .decimal, let value = properties.numericValue, (0...9).contains(value) {
                out.append(Unicode.Scalar(UInt8(48 + Int(value))))
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// The words of `text`, normalised: runs of letters and digits (an
    /// apostrophe or hyphen inside a word splits it too, so "O'Brien" is
    /// "o" and "brien"). Scripts written without spaces are not segmented.
    public static func words(_ text: String) -> [String] {
        normalise(text).split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// How a phone number is compared: by its last 9 digits (or all of them
    /// when it has fewer), so the same number written with its country code
    /// (+44 7700 900123, 0044...) and in its national form (07700 900123)
    /// meets; nil when it holds fewer than 4 digits.
    public static func phoneKey(_ text: String) -> String? {
        let digits = normalise(text).filter(\.isASCII).filter(\.isNumber)
        guard digits.count >= 4 else { return nil }
        return String(digits.suffix(9))
    }

    /// Arabic letters written in more than one way, to the form search uses.
    private static let arabicVariants: [Unicode.Scalar: Unicode.Scalar] = [
        "\u{0671}": "\u{0627}",  // alef wasla -> alef
        "\u{0672}": "\u{0627}", "\u{0673}": "\u{0627}", "\u{0675}": "\u{0627}",  // alef with wavy hamza forms -> alef
        "\u{0649}": "\u{064A}",  // alef maksura -> yeh
        "\u{06CC}": "\u{064A}",  // Persian yeh -> yeh
        "\u{06D2}": "\u{064A}",  // yeh barree -> yeh
        "\u{0629}": "\u{0647}",  // teh marbuta -> heh
        "\u{06C0}": "\u{0647}",  // heh with yeh above -> heh
        "\u{06A9}": "\u{0643}",  // Persian keheh -> kaf
    ]
}
