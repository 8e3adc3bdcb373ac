import Foundation

/// What happens to the cases about a member who is erased.
public enum LinkedCases: Sendable, Equatable {
    /// Refuse when there are any, naming how many (the person chooses).
    case ask
    /// Erase them too, with their notes and attachments (a subject's request).
    case erase
    /// Keep them: they stay, about a member whose record is gone.
    case keep
}

/// One record an erasure takes.
public struct ErasedRecord: Sendable, Equatable, Encodable {
    /// The record.
    public let id: RecordID
    /// Its kind.
    public let kind: RecordKind
    /// The case a note or attachment belongs to, or the member a case is about.
    public let parent: RecordID?

    private enum CodingKeys: String, CodingKey { case id, kind, parent }

    /// `{"id": ..., "kind": ..., "parent": ...}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.description, forKey: .id)
        try c.encode(kind.description, forKey: .kind)
        try c.encodeIfPresent(parent?.description, forKey: .parent)
    }
}

/// What an erasure did.
public struct ErasureReport: Sendable, Encodable {
    /// The group's name.
    public let group: String
    /// The records erased, in the order they were written.
    public let records: [ErasedRecord]
    /// The erasure's log entry (for one already erased: the entry that did it).
    public let entry: UInt64
    /// True when the record had been erased before: this run only removed
    /// what a crash or a restored store had left (`leftovers`).
    public let alreadyErased: Bool
    /// Attachment files (or database attachments) still there and now removed.
    public let attachmentsRemoved: Int
    /// How far the store's files are cleared of the erased bytes (for a
    /// retention run, by the one purge after its last batch).
    public internal(set) var purge: PurgeOutcome

    private enum CodingKeys: String, CodingKey {
        case group, records, entry
        case alreadyErased = "already_erased"
        case attachmentsRemoved = "attachments_removed"
        case purge
    }
}

extension Vault {
    // MARK: Erasing

    /// What erasing `id` takes, as it stands (nothing is written): the
    /// record; for a case its notes and attachments; for a member, with
    /// `cases: .erase`, every case about them and theirs. Refuses someone
    /// who does not lead the record's group, and, with `.ask`, a member
    /// who has cases (say whether they go).
    public func erasurePlan(_ id: RecordID, cases: LinkedCases = .ask) throws -> [ErasedRecord] {
        try refresh()
        let record = try recordState(id, orElse: "record \(id)")
        try checkMayEraseRecords(record.group)
        return try Self.erasureSet(of: record, cases: cases, children: state.childrenByParent(in: record.group)).map(Self.erasedRecord)
    }

    /// Erases `id` for good (leads): one signed entry says so, with
    /// `reason` sealed to auditors, and in the same transaction every
    /// stored version of the record, and of what goes with it (see
    /// `erasurePlan`), leaves the store; then attachment files are
    /// overwritten and removed and the store's files purged. Every client
    /// drops the records from its search index when it next reads the log.
    /// For a record erased before, removes whatever of it is still stored
    /// (a crash between the commit and the files, a store restored under
    /// the log) and writes nothing. `confirmed`: the ids the person was
    /// shown (`erasurePlan`); when what erasing takes at the commit differs
    /// (a note or a case added meanwhile), nothing is erased and it says so.
    public func eraseRecord(_ id: RecordID, cases: LinkedCases = .ask, reason: String, confirmed: [RecordID]? = nil) throws -> ErasureReport {
        let reason = try Self.checkedReason(reason)
        try refresh()
        let record = try recordState(id, orElse: "record \(id)", allowErased: true)
        try checkMayEraseRecords(record.group)
        if let erasure = record.erasure { return try finishErasure(of: record, erasure: erasure) }
        var erased: [RecordState] = []
        var entrySeq: UInt64 = 0
        let name = groupName(record.group)
        try commit { state in
            // Built on the log as it stands at the commit: a note added meanwhile goes with its case.
            guard let current = try state.records.record(id) else { throw KithVaultError.notFound("record \(id)") }
            if current.isErased { throw self.erased(current) }
            erased = try Self.erasureSet(of: current, cases: cases, children: state.childrenByParent(in: current.group))
            if let confirmed, Set(confirmed) != Set(erased.map(\.id)) {
                throw KithVaultError.invalidInput(
                    "what erasing \(id) takes changed since it was shown (\(erased.count) records now, \(confirmed.count) shown: someone added or erased a note or case meanwhile); nothing was erased, look at it again")
            }
            entrySeq = state.count
            return [
                PendingEntry(
                    body: .recordsErased(group: record.group, cause: .request, records: erased.map(\.id).sorted()),
                    details: [
                        ("action", "erased \(Self.describe(erased))"), ("group", name), ("reason", reason),
                        ("records", erased.map { "\($0.kind) \($0.id)" }.joined(separator: ", ")),
                    ])
            ]
        }
        // A detail-key entry may have gone first in the same commit: the erasure is the last one.
        entrySeq = try state.records.record(id)?.erasedAt ?? entrySeq
        let (removed, purge) = try afterCommit(entry: entrySeq) { try removeErasedBytes(erased) }
        return ErasureReport(
            group: name, records: erased.map(Self.erasedRecord), entry: entrySeq, alreadyErased: false, attachmentsRemoved: removed, purge: purge)
    }

    /// For a record erased before: removes what is still stored of it and
    /// of the records erased with it (their rows went with the entry; an
    /// attachment file may not have, if the process was killed between).
    private func finishErasure(of record: RecordState, erasure: RecordErasure) throws -> ErasureReport {
        // The replayed log knows which records that entry erased.
        let erased = try state.records.records(in: record.group).filter { $0.erasedAt == erasure.seq }
        let (removed, purge) = try removeErasedBytes(erased)
        return ErasureReport(
            group: groupName(record.group), records: erased.sorted { ($0.versions.first?.seq ?? 0) < ($1.versions.first?.seq ?? 0) }.map(Self.erasedRecord),
            entry: erasure.seq, alreadyErased: true, attachmentsRemoved: removed, purge: purge)
    }

    /// Runs the clean-up after an erasure's commit; a failure says the
    /// erasure itself is done, and how to finish.
    func afterCommit<T>(entry: UInt64, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as KithVaultError {
            throw KithVaultError(
                error.code == .busy ? .busy : .storage,
                "the erasure is logged (entry \(entry)) and the records are gone from the vault, but removing what was left of them failed (\(error.reason)); run the same erasure again to finish")
        }
    }

    /// Overwrites and removes the attachments among `records`, then
    /// purges the store's files (unless `purge` is false: a retention run
    /// purges once, after its last batch, since PostgreSQL's purge rewrites
    /// whole tables).
    func removeErasedBytes(_ records: [RecordState], purge: Bool = true) throws -> (attachments: Int, purge: PurgeOutcome) {
        let files = records.filter { $0.kind == .attachment }.map(\.id)
        let removed = try store.attachments.erase(files)
        return (removed, purge ? try store.purgeReplacedBytes() : .complete)
    }

    /// Refuses, before anything is asked or shown, someone who may not
    /// erase the records of `groupName` (only its leads may).
    public func checkMayErase(groupName: String) throws {
        try checkMayEraseRecords(try group(named: groupName).id)
    }

    func checkMayEraseRecords(_ group: GroupID) throws {
        if let refusal = Rights.erase(state, group: group, actor: me) {
            throw KithVaultError.accessDenied(refusal.reason(group: groupName(group)))
        }
    }

    /// The records erasing `record` takes, oldest first (see `erasurePlan`);
    /// `children`: its group's records by parent (`childrenByParent`).
    static func erasureSet(of record: RecordState, cases: LinkedCases, children: [RecordID: [RecordState]]) throws -> [RecordState] {
        func live(_ children: [RecordState]) -> [RecordState] {
            children.filter { !$0.isErased }.sorted { ($0.versions.first?.seq ?? 0) < ($1.versions.first?.seq ?? 0) }
        }
        var set = [record]
        switch record.kind {
        case .note, .attachment:
            break
        case .case:
            set += live(children[record.id] ?? []).filter { $0.kind != .case }
        case .member:
            let about = live(children[record.id] ?? []).filter { $0.kind == .case }
            switch cases {
            case .ask where !about.isEmpty:
                throw KithVaultError.invalidInput(
                    "member \(record.id) has \(about.count) case\(about.count == 1 ? "" : "s") about them; say whether \(about.count == 1 ? "it goes" : "they go") too (with \(about.count == 1 ? "its" : "their") notes and attachments) or \(about.count == 1 ? "stays" : "stay")",
                    remedy: .chooseLinkedCases(count: about.count))
            case .erase:
                for item in about { set += [item] + live(children[item.id] ?? []).filter { $0.kind != .case } }
            case .ask, .keep:
                break
            }
        }
        guard set.count <= VaultState.maximumErasedPerEntry else {
            throw KithVaultError.invalidInput("erasing \(record.id) would take \(set.count) records at once (at most \(VaultState.maximumErasedPerEntry)); erase its cases one by one first")
        }
        return set
    }

    static func erasedRecord(_ record: RecordState) -> ErasedRecord { ErasedRecord(id: record.id, kind: record.kind, parent: record.parent) }

    /// "member 3f…, 2 cases, 5 notes", for the sealed details.
    static func describe(_ records: [RecordState]) -> String {
        RecordKind.allCases.compactMap { kind in
            let count = records.filter { $0.kind == kind }.count
            guard count > 0 else { return nil }
            return count == 1 && records.count == 1 ? "\(kind) \(records[0].id)" : "\(count) \(kind)\(count == 1 ? "" : "s")"
        }.joined(separator: ", ")
    }
}
