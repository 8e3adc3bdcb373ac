import Testing
@testable import KithVault

/// The parts of search that need no vault: which fields count, the terms a
/// value is indexed under, how a query is read, and how a candidate is
/// checked and ranked (issue 18).
@Suite("Search matching")
struct SearchMatcherTests {
    @Test(
        "one typo is a letter left out, added, changed, or two neighbours swapped",
        arguments: [
            ("rivera", "rivera", true), ("rivra", "rivera", true), ("riviera", "rivera", true), ("rivexa", "rivera", true),
            ("rievra", "rivera", true), ("irvera", "rivera", true), ("riverz", "rivera", true),
            ("rvra", "rivera", false), ("rivxxa", "rivera", false), ("arevir", "rivera", false), ("", "rivera", false),
            ("محمود", "محمد", true), ("مححمد", "محمد", true), ("احمد", "محمد", true), ("حامد", "محمد", false),
        ])
    func oneEdit(typed: String, word: String, within: Bool) {
        #expect(SearchMatcher.withinOneEdit(Array(typed.unicodeScalars), Array(word.unicodeScalars)) == within)
        #expect(SearchMatcher.withinOneEdit(Array(word.unicodeScalars), Array(typed.unicodeScalars)) == within)
    }

    @Test(
        "how one typed word meets one word of a record",
        arguments: [
            ("sam", "sam", SearchRank.allWords), ("sa", "samira", .prefix), ("s", "sam", nil), ("samuel", "samual", .typo),
            ("sams", "sam", nil), ("0770", "07700", .prefix), ("07701", "07700", nil), ("محم", "محمد", .prefix),
        ] as [(String, String, SearchRank?)])
    func wordRank(typed: String, word: String, rank: SearchRank?) {
        #expect(SearchMatcher.rank(typed, against: word) == rank)
    }

    @Test(
        "name-like and contact fields of the profile are searched; nothing else",
        arguments: [
            ("name", "profile", FieldSearchMode.words), ("Full Name", "profile", .words), ("first_name", "profile", .words),
            ("الاسم", "profile", .words), ("الإسم", "profile", .words), ("alias", "profile", .words), ("email", "profile", .prefixes), ("Telegram", "profile", .prefixes),
            ("phone", "profile", .phone), ("Mobile", "profile", .phone), ("رقم الهاتف", "profile", .phone), ("whatsapp", "profile", .phone),
            ("pronouns", "profile", nil), ("city", "profile", nil), ("name", "sensitive", nil), ("name", "notes", nil), ("phone", "sensitive", nil),
        ] as [(String, String, FieldSearchMode?)])
    func rules(name: String, compartment: String, mode: FieldSearchMode?) throws {
        let field = try RecordField(compartment: #require(Compartment(name: compartment)), name: name, value: "x")
        #expect(SearchRules.mode(for: field) == mode)
    }

    @Test("a value is indexed whole, by word, by prefixes up to 12 letters and by one-letter deletions; a number never by deletions")
    func terms() {
        let terms = SearchTerms.terms(value: "Sam Rivera-Okafor", mode: .words)
        #expect(terms.contains(IndexTerm(kind: .whole, text: "sam rivera okafor")))
        #expect(terms.contains(IndexTerm(kind: .word, text: "rivera")))
        #expect(terms.contains(IndexTerm(kind: .prefix, text: "ri")))
        #expect(terms.contains(IndexTerm(kind: .prefix, text: "river")))
        #expect(!terms.contains(IndexTerm(kind: .prefix, text: "rivera")))  // the word itself is a word term
        #expect(terms.contains(IndexTerm(kind: .deletion, text: "rivra")))
        #expect(!terms.contains(IndexTerm(kind: .deletion, text: "sa")))  // "sam" is too short to forgive a typo
        let long = SearchTerms.terms(value: "Abcdefghijklmnopqrstuvwxyz", mode: .words)
        #expect(long.contains(IndexTerm(kind: .prefix, text: "abcdefghijkl")))
        #expect(!long.contains(IndexTerm(kind: .prefix, text: "abcdefghijklm")))
        #expect(!long.contains { $0.kind == .deletion })  // over 24 letters
        let phone = SearchTerms.terms(value: "+44 7700 900123", mode: .phone)
        #expect(phone.contains(IndexTerm(kind: .phone, text: "700900123")))
        #expect(!phone.contains { $0.kind == .deletion })
        #expect(!SearchTerms.terms(value: "+44 7700 900123", mode: .words).contains { $0.kind == .phone })
        #expect(SearchTerms.terms(value: "🌈 !!", mode: .words).isEmpty)
        // An address is looked up by word and prefix, never by a typo; a long number by its first 6 digits.
        let email = SearchTerms.terms(value: "samira@example.org", mode: .prefixes)
        #expect(email.contains(IndexTerm(kind: .word, text: "samira")) && email.contains(IndexTerm(kind: .prefix, text: "exam")))
        #expect(!email.contains { $0.kind == .deletion })
        let number = SearchTerms.terms(value: "07700900123", mode: .words)
        #expect(number.contains(IndexTerm(kind: .prefix, text: "077009")) && !number.contains(IndexTerm(kind: .prefix, text: "0770090")))
    }

    @Test("a query is free text and field=value parts; nothing to search for, or a field search never looks at, is refused by name")
    func parsing() throws {
        let query = try SearchQuery.parse(["Sam", "phone=+44 7700 900123", "Rivera"])
        #expect(query.conditions.count == 2)
        #expect(query.conditions[0].field == nil && query.conditions[0].words == ["sam", "rivera"])
        #expect(query.conditions[1].field == "phone" && query.conditions[1].phone == "700900123")
        #expect(query.description == "Sam Rivera phone=+44 7700 900123")
        for bad in [[], ["  "], ["🌈"], ["name="], [String(repeating: "a", count: 1100)]] {
            #expect(throws: KithVaultError.self) { _ = try SearchQuery.parse(bad) }
        }
        // Field forms are checked against the rules of the groups searched.
        let status = try SearchQuery.parse(["hiv_status=positive"])
        #expect {
            try status.checkFields([.standard])
        } throws: { error in
            (error as? KithVaultError)?.reason.contains("'hiv_status' is not a field search looks at") == true
        }
        try query.checkFields([.standard])
    }

    @Test("a candidate is ranked by its decrypted fields: whole value, every word, prefixes, one typo; a miss is no result")
    func ranking() throws {
        let sam = try fields([("name", "Sam Rivera"), ("phone", "+44 7700 900123"), ("pronouns", "they/them")])
        func rank(_ typed: [String]) throws -> SearchRank? { SearchMatcher.match(try SearchQuery.parse(typed), fields: sam)?.rank }
        #expect(try rank(["sam rivera"]) == .whole)
        #expect(try rank(["SAM", "RIVERA"]) == .whole)
        #expect(try rank(["07700 900123"]) == .whole)  // the same phone number, national form
        #expect(try rank(["rivera", "sam"]) == .allWords)
        #expect(try rank(["sa", "riv"]) == .prefix)
        #expect(try rank(["sam", "riviera"]) == .typo)
        #expect(try rank(["sam", "jones"]) == nil)
        #expect(try rank(["they"]) == nil)  // pronouns are not searched
        #expect(try rank(["name=sam"]) == .allWords)
        #expect(try rank(["phone=sam"]) == nil)  // only in the field named
        #expect(SearchMatcher.match(try SearchQuery.parse(["sam", "900123"]), fields: sam)?.fields == ["name", "phone"])
        // No typo in an address: samria is not samira there.
        let mail = try fields([("email", "samira@example.org")])
        #expect(SearchMatcher.match(try SearchQuery.parse(["samria"]), fields: mail) == nil)
        #expect(SearchMatcher.match(try SearchQuery.parse(["samira"]), fields: mail)?.rank == .allWords)
    }
}
