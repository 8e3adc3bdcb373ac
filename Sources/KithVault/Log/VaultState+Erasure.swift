/// The replay's rules for erasure entries: who may erase, what must go
/// together, and when a retention rule allows it. Everything is decided
/// from the log, so every client and auditor reaches the same answer.
extension VaultState {
    /// The most records one erasure entry names (a retention run writes
    /// batches of at most this many).
    public static let maximumErasedPerEntry = 5000

    /// A month as retention counts it: a 12th of the Gregorian year's
    /// average length (30.44 days), so every client counts alike.
    public static let millisPerMonth: UInt64 = 2_629_746_000

    /// The time before which a record must have been last touched to be
    /// past `months` of retention at `nowMillis`.
    public static func retentionCutoff(months: UInt16, nowMillis: UInt64) -> UInt64 {
        let span = UInt64(months).multipliedReportingOverflow(by: millisPerMonth)
        return span.overflow || span.partialValue > nowMillis ? 0 : nowMillis - span.partialValue
    }

    /// Every record of `group` by its parent. Read through the group's
    /// listing, which the resume cache checks is complete (a lookup by
    /// parent alone could miss a row of a damaged cache, and an erasure
    /// built on it would be refused by every other client).
    func childrenByParent(in group: GroupID) throws -> [RecordID: [RecordState]] {
        Self.childrenByParent(try records.records(in: group))
    }

    /// `records` that have a parent, by their parent.
    static func childrenByParent(_ records: [RecordState]) -> [RecordID: [RecordState]] {
        Dictionary(grouping: records.filter { $0.parent != nil }, by: { $0.parent ?? $0.id })
    }

    /// When `record` was last touched: its newest version, and for a case
    /// its notes and attachments, and for a member every case about it.
    /// Retention counts from here, so an open case keeps its member.
    public func lastTouched(_ record: RecordState) throws -> UInt64 {
        Self.lastTouched(record, children: try childrenByParent(in: record.group))
    }

    static func lastTouched(_ record: RecordState, children: [RecordID: [RecordState]]) -> UInt64 {
        var latest = record.lastWrittenMillis
        guard record.kind == .case || record.kind == .member else { return latest }
        for child in children[record.id] ?? [] {
            latest = max(latest, record.kind == .member && child.kind == .case ? lastTouched(child, children: children) : child.lastWrittenMillis)
        }
        return latest
    }

    mutating func applyErasure(_ entry: LogEntry, group groupID: GroupID, cause: ErasureCause, records ids: [RecordID]) throws {
        guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
        if let refusal = Rights.erase(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
        // One form per meaning: ids in order, each once.
        guard !ids.isEmpty, ids.count <= Self.maximumErasedPerEntry, zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw invalid(entry, "malformed list of erased records")
        }
        let erasing = Set(ids)
        let children = try childrenByParent(in: groupID)
        var found: [RecordState] = []
        for id in ids {
            guard let record = try records.record(id), record.group == groupID else { throw invalid(entry, "it erases a record that is not in the group") }
            if let erasedAt = record.erasedAt { throw invalid(entry, "it erases a record already erased at log entry \(erasedAt)") }
            found.append(record)
        }
        // A case goes with its notes and attachments: nothing is left pointing at content that is gone.
        for record in found where record.kind == .case {
            if let left = (children[record.id] ?? []).first(where: { $0.kind != .case && !$0.isErased && !erasing.contains($0.id) }) {
                throw invalid(entry, "it erases a case but not its \(left.kind) \(left.id)")
            }
        }
        if case .retention(let kind, let months) = cause {
            guard group.policy.retention[kind] == months else {
                throw invalid(entry, "it erases by a retention rule (\(kind) records after \(months) months) that the group's policy does not have")
            }
            let cutoff = Self.retentionCutoff(months: months, nowMillis: entry.timeMillis)
            for record in found {
                if record.kind == kind {
                    guard Self.lastTouched(record, children: children) <= cutoff else { throw invalid(entry, "it erases by retention a \(kind) touched within \(months) months") }
                } else {
                    // Anything else goes only with what the rule reached (a case's notes, a member's cases and theirs).
                    guard let parent = record.parent, erasing.contains(parent) else {
                        throw invalid(entry, "it erases by the \(kind) retention rule a \(record.kind) that goes with no \(kind) it erases")
                    }
                }
                // A member past retention goes with its whole file.
                if kind == .member, record.kind == .member,
                    let left = (children[record.id] ?? []).first(where: { $0.kind == .case && !$0.isErased && !erasing.contains($0.id) })
                {
                    throw invalid(entry, "it erases a member by retention but not the case \(left.id) about them")
                }
            }
        }
        for var record in found {
            record.erasure = RecordErasure(seq: entry.seq, timeMillis: entry.timeMillis, actor: entry.actor)
            records.set(record, isNew: false)
        }
        group.lastErasureAt = entry.seq
        groups[groupID] = group
    }
}
