/// A record past its group's retention, with what goes with it.
public struct RetentionDue: Sendable, Encodable {
    /// The record the rule reached.
    public let record: ErasedRecord
    /// When it was last touched (ms since 1970; see `GroupPolicy.retention`).
    public let lastTouchedMillis: UInt64
    /// The rule: records of this kind...
    public let ruleKind: RecordKind
    /// ...kept this many months.
    public let months: UInt16
    /// What goes with it: a case's notes and attachments, a member's cases and theirs.
    public let linked: [ErasedRecord]

    private enum CodingKeys: String, CodingKey {
        case record, linked, months
        case lastTouched = "last_touched"
        case rule
    }

    /// `{"record": {...}, "last_touched": ISO 8601, "rule": kind, "months": n, "linked": [...]}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(record, forKey: .record)
        try c.encode(Timestamp.iso8601(millis: lastTouchedMillis), forKey: .lastTouched)
        try c.encode(ruleKind.description, forKey: .rule)
        try c.encode(months, forKey: .months)
        try c.encode(linked, forKey: .linked)
    }
}

/// What `retentionDue` found in one group.
public struct RetentionPlan: Sendable, Encodable {
    /// The group's name.
    public let group: String
    /// Its rules: months kept per record kind (empty: none set).
    public let rules: [RecordKind: UInt16]
    /// The records past them, oldest first, each with what goes with it.
    public let due: [RetentionDue]
    /// The time the plan was made for (ms since 1970).
    public let nowMillis: UInt64

    /// Every record the plan erases (the due ones and what goes with them).
    public var total: Int { due.reduce(0) { $0 + 1 + $1.linked.count } }

    /// The ids of every record the plan erases, to confirm exactly these.
    public var ids: Set<RecordID> { Set(due.flatMap { [$0.record.id] + $0.linked.map(\.id) }) }

    private enum CodingKeys: String, CodingKey { case group, rules, due, total, now }

    /// `{"group", "rules": {kind: months}, "due": [...], "total", "now"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(Dictionary(uniqueKeysWithValues: rules.map { ($0.key.description, Int($0.value)) }), forKey: .rules)
        try c.encode(due, forKey: .due)
        try c.encode(total, forKey: .total)
        try c.encode(Timestamp.iso8601(millis: nowMillis), forKey: .now)
    }
}

/// What `applyRetention` erased: one erasure per batch, each its own transaction.
public struct RetentionOutcome: Sendable, Encodable {
    /// The group's name.
    public let group: String
    /// Each batch's erasure, in order.
    public let batches: [ErasureReport]
    /// Names what a run erased.
    public init(group: String, batches: [ErasureReport]) {
        self.group = group
        self.batches = batches
    }

    /// Records erased in all.
    public var erased: Int { batches.reduce(0) { $0 + $1.records.count } }

    private enum CodingKeys: String, CodingKey { case group, batches, erased }

    /// `{"group", "batches": [...], "erased"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(batches, forKey: .batches)
        try c.encode(erased, forKey: .erased)
    }
}

extension Vault {
    // MARK: Retention

    /// The records of `groupName` past its policy's retention now, each with
    /// what goes with it (nothing is decrypted or written; anyone with a
    /// role in the group may look). Rules are taken member, case, note,
    /// attachment: a member past retention takes its whole file, a case its
    /// notes and attachments, and nothing is listed twice.
    public func retentionDue(groupName: String) throws -> RetentionPlan {
        try refresh()
        let group = try self.group(named: groupName)
        _ = try role(in: group.id)
        let now = clock()
        return RetentionPlan(group: group.name, rules: state.groups[group.id]?.policy.retention ?? [:], due: try due(in: group.id, state: state, now: now), nowMillis: now)
    }

    /// The due records of `group` under `state` at `now`, oldest first per rule.
    func due(in group: GroupID, state: VaultState, now: UInt64) throws -> [RetentionDue] {
        let rules = state.groups[group]?.policy.retention ?? [:]
        guard !rules.isEmpty else { return [] }
        let all = try state.records.records(in: group)
        let records = all.filter { !$0.isErased }
        let children = VaultState.childrenByParent(all)
        var taken = Set<RecordID>()
        var due: [RetentionDue] = []
        for kind in RecordKind.allCases {
            guard let months = rules[kind] else { continue }
            let cutoff = VaultState.retentionCutoff(months: months, nowMillis: now)
            var found: [(RecordState, UInt64)] = []
            for record in records where record.kind == kind && !taken.contains(record.id) {
                let touched = VaultState.lastTouched(record, children: children)
                if touched <= cutoff { found.append((record, touched)) }
            }
            for (record, touched) in found.sorted(by: { ($0.1, $0.0.id) < ($1.1, $1.0.id) }) {
                let set: [RecordState]
                do {
                    set = try Self.erasureSet(of: record, cases: kind == .member ? .erase : .keep, children: children).filter { !taken.contains($0.id) }
                } catch let error as KithVaultError where error.code == .invalidInput {
                    // A file too large for one entry stays (a lead erases its cases first); the rest of the group goes on.
                    continue
                }
                guard set.first?.id == record.id else { continue }
                taken.formUnion(set.map(\.id))
                due.append(
                    RetentionDue(
                        record: Self.erasedRecord(record), lastTouchedMillis: touched, ruleKind: kind, months: months, linked: set.dropFirst().map(Self.erasedRecord)))
            }
        }
        return due
    }

    /// Erases what `retentionDue` lists (leads), in batches of at most
    /// `batchSize` records, one signed entry and one transaction each; each
    /// entry names its rule, so every client checks that what it erases was
    /// past it. A batch is built on the log as it stands when it commits:
    /// a record touched meanwhile is left out. `confirmed`: the ids the
    /// person was shown (`RetentionPlan.ids`); nothing else is erased, even
    /// if a rule was shortened meanwhile. `progress` hears (erased, total).
    /// Attachment files of erased records that a killed run left are
    /// removed too, and the store's files purged once at the end, also
    /// when a batch fails.
    public func applyRetention(
        groupName: String, batchSize: Int = 1000, confirmed: Set<RecordID>? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws -> RetentionOutcome {
        try refresh()
        let group = try self.group(named: groupName)
        try checkMayEraseRecords(group.id)
        let planned = try due(in: group.id, state: state, now: clock()).filter { item in
            confirmed.map { set in set.contains(item.record.id) && item.linked.allSatisfy { set.contains($0.id) } } ?? true
        }
        let total = planned.reduce(0) { $0 + 1 + $1.linked.count }
        var reports: [ErasureReport] = []
        var done = 0
        let limit = max(1, min(batchSize, VaultState.maximumErasedPerEntry))
        // Whatever happens below, what was erased is purged from the store's files once.
        var leftovers = try sweepErasedAttachments(group.id)
        defer {
            if !reports.isEmpty || leftovers > 0 { _ = try? store.purgeReplacedBytes() }
        }
        for kind in RecordKind.allCases {
            // One rule per entry (the entry names it); whole items per batch, so nothing is split from what it goes with.
            var batch: [RetentionDue] = []
            func flush() throws {
                guard !batch.isEmpty else { return }
                if let report = try eraseDue(batch, group: group.id, kind: kind, confirmed: confirmed) {
                    reports.append(report)
                    done += report.records.count
                    progress?(done, total)
                }
                batch = []
            }
            for item in planned where item.ruleKind == kind {
                if !batch.isEmpty && batch.reduce(0, { $0 + 1 + $1.linked.count }) + 1 + item.linked.count > limit { try flush() }
                batch.append(item)
            }
            try flush()
        }
        guard !reports.isEmpty || leftovers > 0 else { return RetentionOutcome(group: group.name, batches: []) }
        // One purge for the whole run (PostgreSQL's rewrites whole tables); the deferred one is then not needed.
        let purge = try store.purgeReplacedBytes()
        leftovers = 0
        let finished = reports
        reports = []
        return RetentionOutcome(
            group: group.name,
            batches: finished.map { report in
                var report = report
                report.purge = purge
                return report
            })
    }

    /// Overwrites and removes the files of erased attachments of `group`
    /// still in the store (a run killed between a batch's commit and its
    /// files); returns how many there were.
    func sweepErasedAttachments(_ group: GroupID) throws -> Int {
        let files = try state.records.records(in: group).filter { $0.isErased && $0.kind == .attachment }.map(\.id)
        return try store.attachments.erase(files)
    }

    /// One retention batch: the items still due when it commits (and, with `confirmed`, shown).
    private func eraseDue(_ items: [RetentionDue], group: GroupID, kind: RecordKind, confirmed: Set<RecordID>?) throws -> ErasureReport? {
        var erased: [RecordState] = []
        let name = groupName(group)
        try commit { state in
            // A lead who changed the rule meanwhile decides: the entry names the rule as it stands.
            guard let rule = state.groups[group]?.policy.retention[kind] else { return [] }
            let cutoff = VaultState.retentionCutoff(months: rule, nowMillis: self.clock())
            erased = []
            var seen = Set<RecordID>()
            let children = try state.childrenByParent(in: group)
            for item in items {
                guard let record = try state.records.record(item.record.id), !record.isErased, VaultState.lastTouched(record, children: children) <= cutoff else { continue }
                let set = try Self.erasureSet(of: record, cases: kind == .member ? .erase : .keep, children: children)
                // What was not shown is not erased: a note added to a case meanwhile keeps the case (it was touched anyway).
                if let confirmed, !set.allSatisfy({ confirmed.contains($0.id) }) { continue }
                // Each record once, whatever the items' sets turned into by now (one entry names each id once).
                erased += set.filter { seen.insert($0.id).inserted }
            }
            guard !erased.isEmpty else { return [] }
            let ids = erased.map(\.id).sorted()
            return [
                PendingEntry(
                    body: .recordsErased(group: group, cause: .retention(kind: kind, months: rule), records: ids),
                    details: [
                        ("action", "erased \(Self.describe(erased)) by retention"), ("group", name), ("rule", "\(kind) records \(rule) months after last touched"),
                        ("records", erased.map { "\($0.kind) \($0.id)" }.joined(separator: ", ")),
                    ])
            ]
        }
        guard !erased.isEmpty, let seq = try state.records.record(erased[0].id)?.erasedAt else { return nil }
        let (removed, _) = try afterCommit(entry: seq) { try removeErasedBytes(erased, purge: false) }
        return ErasureReport(group: name, records: erased.map(Self.erasedRecord), entry: seq, alreadyErased: false, attachmentsRemoved: removed, purge: .complete)
    }
}
