/// What a case worker asks search for: free text ("sam jones"), field
/// forms (`name="Sam Jones"`, `phone=07700900123`), or both; every part
/// must match.
public struct SearchQuery: Sendable, Equatable {
    /// One part of a query.
    public struct Condition: Sendable, Equatable {
        /// The field it must match in (folded as `SearchRules` folds names), or nil: any searchable field.
        public let field: String?
        /// The text as typed (sealed to auditors in the search's log entry).
        public let text: String
        /// The field's name as typed.
        let fieldName: String?
        /// Its normalised words.
        let words: [String]
        /// Its phone key, when it holds 4 digits or more.
        let phone: String?
        /// Its phone key when it is a number and nothing else ("sam 0770..." is a name and a number, not a phone).
        var phoneOnly: String? { words.allSatisfy { $0.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } } ? phone : nil }

        /// A condition on `field` (nil: any searchable field).
        public init(field: String?, text: String) throws {
            let words = SearchText.words(text)
            guard !words.isEmpty else {
                let place = field.map { " for \($0)" } ?? ""
                throw KithVaultError.invalidInput("there is nothing to search for\(place): give a name, a word or a number", remedy: .giveSearchText)
            }
            guard text.utf8.count <= 1024 else { throw KithVaultError.invalidInput("the search text is over 1 KiB; search for a name, a word or a number") }
            self.field = field.map(SearchRules.folded)
            self.fieldName = field
            self.text = text
            self.words = words
            self.phone = SearchText.phoneKey(text)
        }
    }

    /// Every part; all must match.
    public let conditions: [Condition]

    /// A query of these parts.
    public init(conditions: [Condition]) throws {
        guard !conditions.isEmpty else { throw KithVaultError.invalidInput("there is nothing to search for", remedy: .giveSearchText) }
        guard conditions.count <= 16 else { throw KithVaultError.invalidInput("a search may have at most 16 parts") }
        self.conditions = conditions
    }

    /// Parses what was typed: each `field=value` is a field form; all the
    /// rest is one free-text part.
    public static func parse(_ parts: [String]) throws -> SearchQuery {
        var conditions: [Condition] = []
        var free: [String] = []
        for part in parts {
            if let equals = part.firstIndex(of: "="), equals != part.startIndex {
                let name = String(part[..<equals])
                conditions.append(try Condition(field: name, text: String(part[part.index(after: equals)...])))
            } else {
                free.append(part)
            }
        }
        if !free.isEmpty { conditions.insert(try Condition(field: nil, text: free.joined(separator: " ")), at: 0) }
        return try SearchQuery(conditions: conditions)
    }

    /// Parses one typed line, as a search box or a prompt gives it: parts
    /// split at spaces, except inside double or single quotes, which are
    /// dropped (`name="Sam Rivera" phone=0770` is two parts), then as
    /// `parse(_:)`. An unclosed quote is refused rather than guessed at.
    public static func parse(line: String) throws -> SearchQuery {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        var started = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                started = true
            } else if character.isWhitespace {
                if started || !current.isEmpty { parts.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
            }
        }
        guard quote == nil else {
            throw KithVaultError.invalidInput("a quote in the search text is not closed: close it, or leave quotes out", remedy: .giveSearchText)
        }
        if started || !current.isEmpty { parts.append(current) }
        return try parse(parts)
    }

    /// Refuses a field form for a field none of `rules` searches (a typo, or
    /// a field such as pronouns): it would find nothing, silently.
    public func checkFields(_ rules: [SearchRules]) throws {
        for condition in conditions {
            guard let field = condition.field, let name = condition.fieldName else { continue }
            guard rules.contains(where: { $0.mode(forName: field) != nil }) else {
                let known = rules.flatMap(\.written)
                let looks = known.isEmpty ? "name-like and contact fields of the profile (name, phone, email, ...)" : "the fields the group's policy names (\(Set(known).sorted().joined(separator: ", ")))"
                throw KithVaultError.invalidInput("'\(name)' is not a field search looks at: it finds people by \(looks)", remedy: .giveSearchText)
            }
        }
    }

    /// The query in words, for the log's sealed details.
    public var description: String {
        conditions.map { condition in condition.field.map { "\($0)=\(condition.text)" } ?? condition.text }.joined(separator: " ")
    }
}
