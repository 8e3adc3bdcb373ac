/// What an import does with a row for someone already in the group.
public enum ImportDuplicates: Sendable, Equatable {
    /// Every row becomes a new record.
    case add
    /// A row whose name-like and contact fields all equal those of a record
    /// already there (or of an earlier row), as search compares them, is
    /// left out.
    case skip
    /// A row whose field `by` equals that field of exactly one record
    /// already there becomes a new version of that record; the others are added.
    case update(by: String)
}

/// What became of one imported row.
public enum ImportAction: String, Sendable, Encodable {
    /// A new record.
    case added
    /// Left out: the record (or row) it duplicates is named.
    case skipped
    /// A new version of the record named.
    case updated
}

/// How an import row was matched against the group (see `ImportDuplicates`).
struct ImportMatch {
    let action: ImportAction
    /// The record it matched (skipped, updated), or nil.
    let existing: RecordID?
    /// For a row skipped as a repeat of an earlier row of the same file.
    let earlierRow: Int?
}

extension Vault {
    /// Matches every row of `plan` against `group` for `duplicates`, with
    /// the search index (brought up to date, logged), and logs the check as
    /// one search. Throws, naming the rows, when a row matches more than one
    /// record, or two rows would update one record.
    func matchImport(_ plan: ImportPlan, group: GroupInfo, duplicates: ImportDuplicates) throws -> [ImportMatch] {
        // A plain import reads nothing and indexes nothing.
        guard duplicates != .add else { return plan.rows.map { _ in ImportMatch(action: .added, existing: nil, earlierRow: nil) } }
        let index = try searchIndex()
        var indexed = try bringUpToDate([group.id], index: index)
        var outcome: [ImportMatch] = []
        var seen: [[String]: Int] = [:]
        var updated: [RecordID: Int] = [:]
        // Rows that add a record, by the key they would be updated by next time.
        var addedByKey: [String: Int] = [:]
        var matchedRecords = 0
        var checked = 0
        let rules = searchRules(group.id)
        for row in plan.rows {
            // Fields a search compares (at most a query's 16; a value too long to search is left out of the comparison).
            let searchable = row.fields.filter { rules.mode(for: $0) != nil && !SearchText.words($0.value).isEmpty && $0.value.utf8.count <= 1024 }
                .prefix(16)
            /// How search compares a field: a phone or number by its phone key, the rest by its folded words.
            func key(_ field: RecordField) -> String {
                let mode = rules.mode(for: field)
                if mode == .phone || mode == .digits, let phone = SearchText.phoneKey(field.value) { return SearchRules.folded(field.name) + "#" + phone }
                return SearchRules.folded(field.name) + "=" + SearchTerms.whole(SearchText.words(field.value))
            }
            let conditions: [SearchQuery.Condition]
            switch duplicates {
            case .add, .skip:  // (.add returned above)
                // A row is the same person as an earlier one of the file when every searchable field folds the same.
                let keys = searchable.map(key).sorted()
                if !keys.isEmpty, let earlier = seen[keys] {
                    outcome.append(ImportMatch(action: .skipped, existing: nil, earlierRow: earlier))
                    continue
                }
                if !keys.isEmpty { seen[keys] = row.row }
                conditions = try searchable.map { try SearchQuery.Condition(field: $0.name, text: $0.value) }
            case .update(let field):
                let folded = SearchRules.folded(field)
                conditions = try searchable.filter { SearchRules.folded($0.name) == folded }.prefix(1).map { try SearchQuery.Condition(field: $0.name, text: $0.value) }
            }
            guard !conditions.isEmpty else {
                // Nothing to compare (no such field in this row): a new record.
                outcome.append(ImportMatch(action: .added, existing: nil, earlierRow: nil))
                continue
            }
            checked = 0
            let found = try matches(SearchQuery(conditions: conditions), group: group.id, kind: plan.kind, index: index, checked: &checked, indexed: &indexed)
            guard !found.tooMany else {
                throw KithVaultError.invalidInput("row \(row.row) is like more records than one check reads, so whether it is already there is not clear; nothing was imported")
            }
            let same = found.results.filter { $0.rank == .whole }.map(\.id)
            if case .update(let field) = duplicates {
                guard same.count <= 1 else {
                    throw KithVaultError.invalidInput(
                        "row \(row.row)'s \(field) matches \(same.count) records (\(same.map(\.description).joined(separator: ", "))), so it is not clear which to update; nothing was imported")
                }
                if let id = same.first {
                    if let other = updated[id] {
                        throw KithVaultError.invalidInput("rows \(other) and \(row.row) would both update record \(id); nothing was imported")
                    }
                    updated[id] = row.row
                    matchedRecords += 1
                    outcome.append(ImportMatch(action: .updated, existing: id, earlierRow: nil))
                } else {
                    // Two new people with one key would make every later --update-by by it ambiguous.
                    let newKey = searchable.first { SearchRules.folded($0.name) == SearchRules.folded(field) }.map(key) ?? ""
                    if let other = addedByKey[newKey] {
                        throw KithVaultError.invalidInput("rows \(other) and \(row.row) have the same \(field) and match no record, so they would become two records with it; nothing was imported")
                    }
                    addedByKey[newKey] = row.row
                    outcome.append(ImportMatch(action: .added, existing: nil, earlierRow: nil))
                }
            } else if let id = same.first {
                matchedRecords += 1
                outcome.append(ImportMatch(action: .skipped, existing: id, earlierRow: nil))
            } else {
                outcome.append(ImportMatch(action: .added, existing: nil, earlierRow: nil))
            }
        }
        let how: String
        if case .update(let field) = duplicates { how = "by \(field), to update" } else { how = "to skip duplicates" }
        try commit { _ in
            [
                PendingEntry(
                    body: .searched(groups: [group.id]),
                    details: [("action", "matched \(plan.rows.count) import rows against the group \(how)"), ("results", "\(matchedRecords)")])
            ]
        }
        return outcome
    }
}
