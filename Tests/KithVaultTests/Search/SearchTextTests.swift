import Testing
@testable import KithVault

/// The normalisation search uses for indexing and for queries (issue 18):
/// how case workers type names, in Arabic and Latin script.
@Suite("Search normalisation")
struct SearchTextTests {
    @Test(
        "one folded form for the ways a name is written",
        arguments: [
            // Latin: case, accents, compatibility forms, ß.
            ("Sam", "sam"), ("SAM", "sam"), ("José", "jose"), ("Jose\u{301}", "jose"), ("Zoë Müller", "zoe muller"), ("Straße", "strasse"),
            ("ＳＡＭ", "sam"), ("ﬁona", "fiona"),
            // Arabic: tashkeel and shadda, hamza forms, madda, alef wasla, alef maksura, ta marbuta, tatweel.
            ("مُحَمَّد", "محمد"), ("محمد", "محمد"), ("أحمد", "احمد"), ("إبراهيم", "ابراهيم"), ("آمنة", "امنه"), ("ٱلله", "الله"),
            ("مصطفى", "مصطفي"), ("فاطمة", "فاطمه"), ("مـحـمـد", "محمد"), ("سُؤال", "سوال"), ("رئيس", "رييس"),
            // Persian letters meet their Arabic forms.
            ("علی", "علي"), ("کریم", "كريم"),
            // Digits of three scripts to ASCII.
            ("٠٧٧٠٠ ٩٠٠١٢٣", "07700 900123"), ("۰۷۷۰۰", "07700"), ("07700", "07700"), ("१२३", "123"),
            // Mixed scripts, emoji, a bidi mark, an empty string.
            ("Sam سام", "sam سام"), ("Sam 🌈", "sam 🌈"), ("\u{200F}سام", "سام"), ("", ""),
        ])
    func normalises(input: String, expected: String) {
        #expect(SearchText.normalise(input) == expected)
    }

    @Test("words split on anything that is not a letter or a digit, in every script")
    func words() {
        #expect(SearchText.words("Sam  Rivera-Okafor") == ["sam", "rivera", "okafor"])
        #expect(SearchText.words("مُحَمَّد، أحمد") == ["محمد", "احمد"])
        #expect(SearchText.words("O'Brien, 07700 900123") == ["o", "brien", "07700", "900123"])
        #expect(SearchText.words("🌈🌈") == [])
        #expect(SearchText.words("") == [])
    }

    @Test("a phone number meets itself with and without its country code, in any digits")
    func phones() {
        let key = SearchText.phoneKey("07700 900123")
        #expect(key == "700900123")
        #expect(SearchText.phoneKey("+44 7700 900123") == key)
        #expect(SearchText.phoneKey("0044-7700-900123") == key)
        #expect(SearchText.phoneKey("٠٧٧٠٠ ٩٠٠١٢٣") == key)
        #expect(SearchText.phoneKey("+963 944 123 456") == SearchText.phoneKey("0944 123 456"))
        #expect(SearchText.phoneKey("123") == nil)
        #expect(SearchText.phoneKey("call me") == nil)
    }

    @Test("very long input is folded whole, without trouble")
    func longInput() {
        let long = String(repeating: "مُحَمَّد José ", count: 20_000)
        let folded = SearchText.normalise(long)
        #expect(folded.hasPrefix("محمد jose "))
        #expect(SearchText.words(long).count == 40_000)
    }
}
