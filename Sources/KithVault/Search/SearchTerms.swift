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
    /// A run of digits is indexed by its first 2 to 6 digits.
    static let digitPrefixLimit = 6
    /// One typo is forgiven in words of 5 letters or more...
    static let typoMinimum = 5
    /// ...up to 24 (longer words are rarely names, and cost the index most).
    static let typoLimit = 24
    /// Whole values longer than this are not indexed whole (their words are).
    static let wholeLimit = 256

    /// A value's words joined as the index keeps a whole value.
    static func whole(_ words: [String]) -> String { words.joined(separator: " ") }

    /// Every term a field's value is indexed under (for tests and for
    /// reading; the index itself uses `visit`, which makes no strings).
    static func terms(value: String, mode: FieldSearchMode) -> Set<IndexTerm> {
        var terms = Set<IndexTerm>()
        visit(value: value, mode: mode) { kind, bytes in terms.insert(IndexTerm(kind: kind, text: String(decoding: bytes, as: UTF8.self))) }
        return terms
    }

    /// Hands every term of a value to `body` as its kind and UTF-8 bytes
    /// (possibly more than once). Letters are Unicode scalars of the
    /// normalised text, so prefixes and deletions cut between them.
    static func visit(value: String, mode: FieldSearchMode, _ body: (TermKind, [UInt8]) -> Void) {
        if mode == .digits {
            if let key = SearchText.phoneKey(value) { body(.phone, Array(key.utf8)) }
            return
        }
        let words = SearchText.words(value)
        let joined = whole(words)
        if !joined.isEmpty, joined.unicodeScalars.count <= wholeLimit { body(.whole, Array(joined.utf8)) }
        guard mode != .whole else { return }
        for word in words {
            let bytes = Array(word.utf8)
            body(.word, bytes)
            // Where each letter starts, and the end.
            var starts: [Int] = []
            var offset = 0
            for scalar in word.unicodeScalars {
                starts.append(offset)
                offset += UTF8.width(scalar)
            }
            starts.append(offset)
            let letters = starts.count - 1
            let digits = word.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
            // A number is looked up by its start only so far: its whole is the phone key's job.
            let limit = digits ? digitPrefixLimit : prefixLimit
            if letters > prefixMinimum, min(letters - 1, limit) >= prefixMinimum {
                for length in prefixMinimum...min(letters - 1, limit) { body(.prefix, Array(bytes[0..<starts[length]])) }
            }
            // Only names are forgiven a typo: a number one digit off, or an address one letter off, is someone else's.
            if mode == .words, (typoMinimum...typoLimit).contains(letters), !digits {
                for index in 0..<letters { body(.deletion, Array(bytes[0..<starts[index]] + bytes[starts[index + 1]...])) }
            }
        }
        if mode == .phone, let key = SearchText.phoneKey(value) { body(.phone, Array(key.utf8)) }
    }

    /// The terms that find records holding `word` as a word, a prefix, or
    /// within one typo.
    static func lookups(word: String) -> [IndexTerm] {
        let letters = Array(word.unicodeScalars)
        var found = [IndexTerm(kind: .word, text: word)]
        let digits = letters.allSatisfy { ("0"..."9").contains($0) }
        if letters.count >= prefixMinimum {
            found.append(IndexTerm(kind: .prefix, text: text(letters.prefix(digits ? digitPrefixLimit : prefixLimit))))
        }
        if letters.count >= typoMinimum, !digits {
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
    static func deletions(_ letters: [Unicode.Scalar]) -> Set<String> {
        Set(letters.indices.map { index in text(letters[..<index] + letters[(index + 1)...]) })
    }

    private static func text<S: Sequence<Unicode.Scalar>>(_ scalars: S) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
