/// How well a record matched, best first.
public enum SearchRank: Int, Sendable, Comparable, CaseIterable, NamedCase, CustomStringConvertible, Encodable {
    /// A field's whole value is what was typed (or the same phone number).
    case whole = 0
    /// Every typed word is a word of the record.
    case allWords = 1
    /// Every typed word begins a word of the record.
    case prefix = 2
    /// Every typed word matches, some with one typo.
    case typo = 3

    /// The name used on the command line and in JSON.
    public var description: String {
        switch self {
        case .whole: return "whole"
        case .allWords: return "all-words"
        case .prefix: return "prefix"
        case .typo: return "typo"
        }
    }

    /// Orders by quality (best first).
    public static func < (lhs: SearchRank, rhs: SearchRank) -> Bool { lhs.rawValue < rhs.rawValue }

    /// In JSON by name.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The check every candidate passes before it is shown: the index may
/// over-match (hash collisions, an old version's words, a prefix cut at 12
/// letters), so the decrypted record itself decides, and ranks.
enum SearchMatcher {
    /// A searchable field, folded once for every part of a query.
    struct Prepared {
        let name: String
        let folded: String
        let mode: FieldSearchMode
        let words: [String]
        let whole: String
        let phone: String?

        init?(_ field: RecordField, rules: SearchRules) { self.init(field, mode: rules.mode(for: field)) }

        /// `field` searched by `mode` (nil: not searched), as its rules say.
        init?(_ field: RecordField, mode: FieldSearchMode?) {
            guard let mode else { return nil }
            name = field.name
            folded = SearchRules.folded(field.name)
            self.mode = mode
            let normalised = SearchText.normalise(field.value)
            words = normalised.split { !($0.isLetter || $0.isNumber) }.map(String.init)
            whole = SearchTerms.whole(words)
            phone = mode == .phone || mode == .digits ? SearchText.phoneKey(normalised) : nil
        }
    }

    /// How `fields` (the decrypted, readable fields of one record) match
    /// `query`, with the names of the fields that matched; nil: no match.
    static func match(_ query: SearchQuery, fields: [RecordField], rules: SearchRules = .standard) -> (rank: SearchRank, fields: [String])? {
        match(query, prepared: fields.compactMap { Prepared($0, rules: rules) })
    }

    /// As `match(_:fields:)`, for fields folded already.
    static func match(_ query: SearchQuery, prepared: [Prepared]) -> (rank: SearchRank, fields: [String])? {
        var worst = SearchRank.whole
        var matched: [String] = []
        for condition in query.conditions {
            let candidates = prepared.filter { condition.field == nil || $0.folded == condition.field }
            guard let (rank, names) = match(condition, candidates) else { return nil }
            worst = max(worst, rank)
            for name in names where !matched.contains(name) { matched.append(name) }
        }
        return (worst, matched)
    }

    private static func match(_ condition: SearchQuery.Condition, _ fields: [Prepared]) -> (SearchRank, [String])? {
        let typed = SearchTerms.whole(condition.words)
        // A whole value, or the same phone number however it is written.
        let whole = fields.filter { field in
            (field.mode != .digits && field.whole == typed) || (field.phone != nil && field.phone == condition.phoneOnly)
        }
        if !whole.isEmpty { return (.whole, whole.map(\.name)) }
        // Otherwise word by word, across the fields: each typed word's best match counts.
        var worst = SearchRank.allWords
        var names: [String] = []
        for typedWord in condition.words {
            var best: (SearchRank, String)?
            // A field searched whole, or by its digits, matches only as a whole (above).
            for field in fields where field.mode != .whole && field.mode != .digits {
                for word in field.words {
                    guard let rank = rank(typedWord, against: word), rank != .typo || field.mode == .words else { continue }
                    if best == nil || rank < (best?.0 ?? .typo) { best = (rank, field.name) }
                }
            }
            guard let best else { return nil }
            worst = max(worst, best.0)
            if !names.contains(best.1) { names.append(best.1) }
        }
        return (worst, names)
    }

    /// How one typed word matches one word of a record.
    static func rank(_ typed: String, against word: String) -> SearchRank? {
        if typed == word { return .allWords }
        if typed.unicodeScalars.count >= SearchTerms.prefixMinimum, word.unicodeScalars.starts(with: typed.unicodeScalars) { return .prefix }
        let letters = Array(typed.unicodeScalars)
        if letters.count >= SearchTerms.typoMinimum, !letters.allSatisfy({ ("0"..."9").contains($0) }), withinOneEdit(letters, Array(word.unicodeScalars)) {
            return .typo
        }
        return nil
    }

    /// Whether `a` becomes `b` with at most one letter left out, added,
    /// changed, or two neighbours swapped.
    static func withinOneEdit(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        if abs(a.count - b.count) > 1 { return false }
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        if i == a.count && i == b.count { return true }
        if a.count == b.count {
            // Changed here, or swapped with the next.
            if a[(i + 1)...] == b[(i + 1)...] { return true }
            return i + 1 < a.count && a[i] == b[i + 1] && a[i + 1] == b[i] && a[(i + 2)...] == b[(i + 2)...]
        }
        // One is longer: skip its letter here.
        return a.count > b.count ? a[(i + 1)...] == b[i...] : a[i...] == b[(i + 1)...]
    }
}
