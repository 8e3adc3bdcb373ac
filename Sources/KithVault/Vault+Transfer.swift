/// One imported row and the record it became.
public struct ImportedRecord: Sendable {
    /// Its row number in the file (the header is row 1).
    public let row: Int
    /// The record it became, updated, or duplicates (for a repeat of an
    /// earlier row, the record that row became or duplicates).
    public let id: RecordID
    /// What became of it.
    public let action: ImportAction
    /// For a row skipped as a repeat of an earlier row of the file, that row.
    public let earlierRow: Int?

    init(row: Int, id: RecordID, action: ImportAction = .added, earlierRow: Int? = nil) {
        self.row = row
        self.id = id
        self.action = action
        self.earlierRow = earlierRow
    }
}

extension Vault {
    // MARK: Import

    /// Checks that `plan` can be written to `groupName` by this user: the
    /// group exists, the user has a role in it, and the role may write every
    /// compartment the rows fill. Writes nothing (the dry run).
    public func checkImport(_ plan: ImportPlan, groupName: String) throws {
        let group = try self.group(named: groupName)
        let myRole = try role(in: group.id)
        guard let policy = state.groups[group.id]?.policy else { throw KithVaultError.notFound("group \(groupName)") }
        for compartment in plan.compartments where !policy.canWrite(myRole, compartment) {
            let columns = plan.columns.filter { $0.compartment == compartment }.map(\.column)
            throw KithVaultError.accessDenied(
                "as \(myRole) of \(group.name) you may not write \(compartment) fields (columns: \(columns.joined(separator: ", ")))", remedy: .skipColumns)
        }
    }

    /// Writes every row of `plan` as a new record in `groupName`, all in one
    /// transaction: either every row becomes a record or none does. Refuses
    /// a plan with rejected rows. `progress` hears (done, total) as records
    /// are sealed and their log entries signed.
    /// With `duplicates` other than `.add`, each row is first matched
    /// against the group as search matches (see `ImportDuplicates`); the
    /// match is logged as one search, and updates are merged into the
    /// record's newest version inside the same transaction as the rest.
    public func importRecords(
        _ plan: ImportPlan, groupName: String, duplicates: ImportDuplicates = .add, progress: ((Int, Int) -> Void)? = nil
    ) throws -> [ImportedRecord] {
        if let first = plan.rejected.first {
            let more = plan.rejected.count > 1 ? " (and \(plan.rejected.count - 1) more rows)" : ""
            throw KithVaultError.invalidInput("row \(first.row) cannot be imported: \(first.reason)\(more). Nothing was imported", remedy: .dryRun)
        }
        try checkImport(plan, groupName: groupName)
        try refresh()
        let group = try self.group(named: groupName)
        if case .update(let field) = duplicates, searchRules(group.id).mode(forName: field) == nil {
            throw KithVaultError.invalidInput("--update-by \(field): records are matched only by a field search looks at (by default a name-like or contact field of the profile: name, phone, email, ...)")
        }
        let matches: [ImportMatch]
        do { matches = try matchImport(plan, group: group, duplicates: duplicates) } catch is SearchIndexUnreadable {
            // An index file SQLite cannot read is started again, once.
            resetSearchIndex()
            matches = try matchImport(plan, group: group, duplicates: duplicates)
        }
        let newIDs = try plan.rows.map { _ in try RecordID.random() }
        let written = zip(plan.rows, zip(matches, newIDs)).filter { $0.1.0.action != .skipped }
        // Each record is sealed, then its log entry signed: two steps a record.
        let total = written.count * 2
        try write(group: group.id, progress: progress.map { report in { report(min($0, total), total) } }) {
            try written.map { row, pair in
                let (match, newID) = pair
                guard match.action == .updated, let id = match.existing else {
                    return RecordDraft(id: newID, version: 1, kind: plan.kind, parent: nil, fields: row.fields, action: "imported \(plan.kind) from CSV")
                }
                return try self.mergedDraft(id, changes: row.fields, action: "updated \(plan.kind) from CSV (row \(row.row))")
            }
        }
        progress?(total, total)
        var byRow: [Int: RecordID] = [:]
        return zip(plan.rows, zip(matches, newIDs)).map { row, pair in
            let (match, newID) = pair
            // A repeat names the record its earlier row became or matched (rows come in order, so that one is known).
            let id = match.existing ?? match.earlierRow.flatMap { byRow[$0] } ?? newID
            byRow[row.row] = id
            return ImportedRecord(row: row.row, id: id, action: match.action, earlierRow: match.earlierRow)
        }
    }

    // MARK: Export

    /// Reads, for an export, the newest version of every record of
    /// `groupName` this user may see (only `ids` when given; only `kind`
    /// when given), in the order they were first written. Every read is
    /// logged, its sealed details saying it was an export and in which
    /// `format`. A record that fails its checks does not stop the rest: it
    /// is left out and named in `skipped` (a caller reports it and fails),
    /// so one damaged record never blocks a group's export. With
    /// `allVersions`, every version of each record is read, oldest first
    /// (a subject access request gets everything the vault holds).
    public func exportRecords(groupName: String, ids: [RecordID] = [], kind: RecordKind? = nil, format: String, allVersions: Bool = false) throws -> ExportedRecords {
        // A long-lived vault must export what others wrote since it opened.
        try refresh()
        let group = try self.group(named: groupName)
        try requireReason(.exports, group: group.id)
        var chosen = try listRecords(groupName: groupName, kind: kind).map(\.id)
        if !ids.isEmpty {
            for id in ids {
                let record = try recordState(id, orElse: "record \(id)")
                guard record.group == group.id else {
                    throw KithVaultError.invalidInput("record \(id) is not in group \(group.name); export it with its own group's name")
                }
            }
            let wanted = Set(ids)
            chosen = chosen.filter { wanted.contains($0) }
        }
        // In the order they were written (an import's rows keep their order).
        var positions: [RecordID: UInt64] = [:]
        for id in chosen { positions[id] = try state.records.record(id)?.versions.first?.seq ?? 0 }
        chosen.sort { (positions[$0] ?? 0) < (positions[$1] ?? 0) }
        var views: [RecordView] = []
        var skipped: [SkippedRecord] = []
        for id in chosen {
            let versions: [UInt32?] = allVersions ? try state.records.record(id)?.versions.map(\.version) ?? [] : [nil]
            do {
                for version in versions { views.append(try readWithoutLogging(id, version: version)) }
            } catch let error as KithVaultError where error.code == .integrity {
                views.removeAll { $0.id == id }
                skipped.append(SkippedRecord(id: id, error: error))
            }
        }
        try logReads(views, verb: "exported as \(format)")
        return ExportedRecords(records: views, skipped: skipped)
    }
}

/// What an export read: the records, and those it had to leave out.
public struct ExportedRecords: Sendable {
    /// The records read, in the order they were first written.
    public let records: [RecordView]
    /// Records that failed their checks and are not in `records`.
    public let skipped: [SkippedRecord]
}

/// A record an export or rekey left out, and why.
public struct SkippedRecord: Sendable {
    /// The record.
    public let id: RecordID
    /// What was wrong with it.
    public let error: KithVaultError
}
