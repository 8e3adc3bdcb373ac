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
    /// How `fields` (the decrypted, readable fields of one record) match
    /// `query`, with the names of the fields that matched; nil: no match.
    static func match(_ query: SearchQuery, fields: [RecordField]) -> (rank: SearchRank, fields: [String])? {
        let searchable = fields.compactMap { field in SearchRules.mode(for: field).map { (field, $0) } }
        var worst = SearchRank.whole
        var matched: [String] = []
        for condition in query.conditions {
            let candidates = searchable.filter { condition.field == nil || SearchRules.folded($0.0.name) == condition.field }
            guard let (rank, names) = match(condition, candidates) else { return nil }
            worst = max(worst, rank)
            for name in names where !matched.contains(name) { matched.append(name) }
        }
        return (worst, matched)
    }

    private static func match(_ condition: SearchQuery.Condition, _ fields: [(RecordField, FieldSearchMode)]) -> (SearchRank, [String])? {
        let typed = SearchTerms.whole(condition.words)
        // A whole value, or the same phone number however it is written.
        let whole = fields.filter { field, mode in
            let words = SearchText.words(field.value)
            if SearchTerms.whole(words) == typed { return true }
            return mode == .phone && condition.phone != nil && SearchText.phoneKey(field.value) == condition.phone
        }
        if !whole.isEmpty { return (.whole, whole.map(\.0.name)) }
        // Otherwise word by word, across the fields: each typed word's best match counts.
        let words = fields.map { field, _ in (field.name, SearchText.words(field.value)) }
        var worst = SearchRank.allWords
        var names: [String] = []
        for typedWord in condition.words {
            var best: (SearchRank, String)?
            for (name, recordWords) in words {
                for word in recordWords {
                    guard let rank = rank(typedWord, against: word) else { continue }
                    if best == nil || rank < (best?.0 ?? .typo) { best = (rank, name) }
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
        if typed.count >= SearchTerms.prefixMinimum, word.hasPrefix(typed) { return .prefix }
        if typed.count >= SearchTerms.typoMinimum, !typed.allSatisfy(\.isNumber), withinOneEdit(Array(typed), Array(word)) { return .typo }
        return nil
    }

    /// Whether `a` becomes `b` with at most one letter left out, added,
    /// changed, or two neighbours swapped.
    static func withinOneEdit(_ a: [Character], _ b: [Character]) -> Bool {
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
