/// What an index term stands for. Hashed with the term, so a word and the
/// same letters as a prefix never meet by accident.
enum TermKind: UInt8, Sendable {
    /// A field's whole value (its words, in order, one space apart).
    case whole = 1
    /// One word.
    case word = 2
    /// The first 2 to `SearchTerms.prefixLimit` letters of a longer word.
    case prefix = 3
    /// A word of `SearchTerms.typoMinimum` letters or more with any one
    /// letter left out (so one typo meets: a letter left out, added,
    /// changed or two swapped).
    case deletion = 4
    /// A phone number's key (`SearchText.phoneKey`).
    case phone = 5
}

/// One normalised term of the index.
struct IndexTerm: Hashable, Sendable {
    let kind: TermKind
    let text: String
}

/// The terms search indexes for a value, and looks up for a query. Both
/// come from `SearchText`, so what is typed meets what was stored.
enum SearchTerms {
    /// Prefixes start at 2 letters...
    static let prefixMinimum = 2
    /// ...and stop at 12: a longer typed prefix looks up its first 12
    /// letters, and the check against the record does the rest.
    static let prefixLimit = 12
    /// One typo is forgiven in words of 5 letters or more...
    static let typoMinimum = 5
    /// ...up to 24 (longer words are rarely names, and cost the index most).
    static let typoLimit = 24
    /// Whole values longer than this are not indexed whole (their words are).
    static let wholeLimit = 256

    /// A value's words joined as the index keeps a whole value.
    static func whole(_ words: [String]) -> String { words.joined(separator: " ") }

    /// Every term a field's value is indexed under.
    static func terms(value: String, mode: FieldSearchMode) -> Set<IndexTerm> {
        var terms = Set<IndexTerm>()
        let words = SearchText.words(value)
        let joined = whole(words)
        if !joined.isEmpty, joined.count <= wholeLimit { terms.insert(IndexTerm(kind: .whole, text: joined)) }
        for word in words {
            terms.insert(IndexTerm(kind: .word, text: word))
            let letters = Array(word)
            if letters.count > prefixMinimum {
                for length in prefixMinimum...min(letters.count - 1, prefixLimit) {
                    terms.insert(IndexTerm(kind: .prefix, text: String(letters[0..<length])))
                }
            }
            // Digits are not forgiven a typo: a number one digit off is another person's.
            if (typoMinimum...typoLimit).contains(letters.count), !letters.allSatisfy(\.isNumber) {
                for deleted in deletions(letters) { terms.insert(IndexTerm(kind: .deletion, text: deleted)) }
            }
        }
        if mode == .phone, let key = SearchText.phoneKey(value) { terms.insert(IndexTerm(kind: .phone, text: key)) }
        return terms
    }

    /// The terms that find records holding `word` as a word, a prefix, or
    /// within one typo.
    static func lookups(word: String) -> [IndexTerm] {
        let letters = Array(word)
        var found = [IndexTerm(kind: .word, text: word)]
        if letters.count >= prefixMinimum {
            found.append(IndexTerm(kind: .prefix, text: String(letters.prefix(prefixLimit))))
        }
        if letters.count >= typoMinimum, !letters.allSatisfy(\.isNumber) {
            // Symmetric deletion: an indexed word and the typed one meet when
            // one of them, or both, with a letter left out are the same.
            found.append(IndexTerm(kind: .deletion, text: word))
            for deleted in deletions(letters) {
                found.append(IndexTerm(kind: .word, text: deleted))
                found.append(IndexTerm(kind: .deletion, text: deleted))
            }
        }
        return found
    }

    /// `letters` with each one left out in turn.
    static func deletions(_ letters: [Character]) -> Set<String> {
        Set(letters.indices.map { index in String(letters[..<index] + letters[(index + 1)...]) })
    }
}
