/// The form two names share when a tired reader could take one for the
/// other. It starts from search's normalisation (`SearchText`: case,
/// accents and Arabic tashkeel, compatibility forms, invisible and bidi
/// characters, the tatweel, Arabic letters written two ways (ى ي ی, ة ه,
/// ک ك, hamza forms), digits of every script), then drops every space and
/// zero-width joiner or non-joiner (easy to miss, or to type instead of a
/// space), and maps the Cyrillic and Greek letters drawn like Latin ones.
///
/// Used to refuse a new group or handle that looks like an existing one,
/// and to resolve a typed name: two groups whose names share a key are
/// never picked between silently.
enum LookAlike {
    /// The folded key of `name`.
    static func key(_ name: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in SearchText.normalise(name).unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control { continue }
            out.append(homoglyphs[scalar] ?? scalar)
        }
        return String(out)
    }

    /// Lower-case Cyrillic and Greek letters drawn like Latin ones.
    private static let homoglyphs: [Unicode.Scalar: Unicode.Scalar] = [
        "\u{0430}": "a", "\u{0435}": "e", "\u{043E}": "o", "\u{0440}": "p", "\u{0441}": "c", "\u{0443}": "y", "\u{0445}": "x",
        "\u{0456}": "i", "\u{0458}": "j", "\u{0455}": "s", "\u{0501}": "d", "\u{04BB}": "h", "\u{043A}": "k", "\u{043C}": "m",
        "\u{0442}": "t", "\u{0432}": "b", "\u{043D}": "h", "\u{03BF}": "o", "\u{03B1}": "a", "\u{03B5}": "e", "\u{03C1}": "p",
        "\u{03BD}": "v", "\u{03B9}": "i", "\u{03BA}": "k", "\u{03C4}": "t", "\u{03C5}": "u", "\u{03C7}": "x",
    ]
}
