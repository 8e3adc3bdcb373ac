import KithLog

/// Which entries `auditLog` lists (every condition given must hold).
public struct AuditLogFilter: Sendable {
    /// Only entries by this user.
    public var actor: UserID?
    /// Only entries of this type.
    public var type: EntryType?
    /// Only entries written at or after this time (ms since 1970).
    public var sinceMillis: UInt64?
    /// Only entries about this record (its versions, its reads, notes on it).
    public var record: RecordID?
    /// Only entries about any of these records (a member's whole file).
    public var records: Set<RecordID>?

    /// A filter; nil conditions match everything.
    public init(actor: UserID? = nil, type: EntryType? = nil, sinceMillis: UInt64? = nil, record: RecordID? = nil, records: Set<RecordID>? = nil) {
        self.actor = actor
        self.type = type
        self.sinceMillis = sinceMillis
        self.record = record
        self.records = records
    }
}

/// One log entry in plain words.
public struct AuditLogLine: Sendable {
    /// Its position.
    public let seq: UInt64
    /// When it was written (the writer's clock, ms since 1970).
    public let timeMillis: UInt64
    /// Who wrote it.
    public let actor: UserID
    /// Their handle.
    public let actorHandle: String
    /// Its type.
    public let type: EntryType
    /// The public part, in words.
    public let summary: String
    /// The sealed details, opened (auditors, and writers for their own
    /// entries); nil when this identity cannot open them; empty when the
    /// entry has none.
    public internal(set) var details: [(key: String, value: String)]?
    /// The latest time of the entries before, when this entry's writer
    /// claims an earlier one (their clock was behind; up to a day is
    /// accepted): both are shown, since neither is proven.
    public var previousTimeMillis: UInt64? = nil
    /// How many entries this line stands for: more than one when a bulk
    /// read (an export, a case's notes) is summarised; they run from `seq`
    /// to `lastSeq`.
    public var count: Int = 1
    /// The last entry this line stands for.
    public var lastSeq: UInt64 { seq + UInt64(max(count, 1) - 1) }
    /// True when the read's group asks a reason for it (by its policy now)
    /// and the sealed details hold none: a modified client, or one from
    /// before the policy asked (only a reader of the details can tell).
    public var reasonMissing = false
}

extension Vault {
    /// The log's entries that pass `filter`, oldest first, in plain words.
    /// Details are opened for auditors (after the audit key reached them)
    /// and for a writer's own entries; everyone else sees the public part.
    /// With `summarised`, the reads of one batch (same reader, same commit,
    /// same action and group) are one line with their count, so one export
    /// of 2,000 records is one line, not 2,000.
    public func auditLog(_ filter: AuditLogFilter = AuditLogFilter(), summarised: Bool = false) throws -> [AuditLogLine] {
        try refresh()
        var lines: [AuditLogLine] = []
        // Read a page at a time. This client may have resumed past most of
        // these entries, so each must chain to the one before, and the last
        // to the head it verified: then they are the verified ones.
        var previous = [UInt8](repeating: 0, count: 32)
        var previousTime: UInt64 = 0
        var seq: UInt64 = 0
        while seq < state.count {
            let page = try store.entries(from: seq, limit: Int(clamping: min(UInt64(VerifiedLog.pageSize), state.count - seq)))
            guard !page.isEmpty else { break }
            seq += UInt64(page.count)
            for bytes in page {
                let entry = try LogEntry.decode(bytes)
                guard entry.previousHash == previous else { throw Self.changedSinceVerified }
                previous = entry.hash
                try line(for: entry, filter, previousTime: previousTime, into: &lines)
                previousTime = max(previousTime, entry.timeMillis)
            }
        }
        guard seq == state.count, previous == state.headHash else { throw Self.changedSinceVerified }
        return summarised ? Self.summarise(lines) : lines
    }

    /// Consecutive reads of one batch folded into one line each.
    static func summarise(_ lines: [AuditLogLine]) -> [AuditLogLine] {
        var out: [AuditLogLine] = []
        for line in lines {
            if let last = out.last, last.type == .recordRead, line.type == .recordRead, last.actor == line.actor, last.timeMillis == line.timeMillis,
                last.lastSeq + 1 == line.seq, detail("action", last) == detail("action", line), detail("group", last) == detail("group", line),
                detail("reason", last) == detail("reason", line), (last.details == nil) == (line.details == nil),
                // Opened details fold only within one commit's batch; sealed ones by reader, time and position alone.
                last.details == nil || (detail("batch", last) != nil && detail("batch", last) == detail("batch", line))
            {
                var merged = last
                merged.count += 1
                merged.reasonMissing = last.reasonMissing || line.reasonMissing
                // What was read stays visible on the folded line: the compartments of every read in it.
                if let details = merged.details {
                    let read = Set((detail("compartments", last) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                        .union((detail("compartments", line) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                        .filter { !$0.isEmpty }
                    merged.details = details.filter { $0.key != "compartments" } + [("compartments", read.sorted().joined(separator: ", "))]
                }
                out[out.count - 1] = merged
            } else {
                out.append(line)
            }
        }
        return out.map { line in
            guard line.count > 1 else { return line }
            var folded = line
            let action = detail("action", line) ?? "read records"
            folded = AuditLogLine(
                seq: line.seq, timeMillis: line.timeMillis, actor: line.actor, actorHandle: line.actorHandle, type: line.type,
                summary: "\(action) (\(line.count) reads, entries \(line.seq)-\(line.lastSeq))",
                details: line.details.map { details in details.filter { $0.key != "fields" && $0.key != "batch" } + [("reads", "\(line.count)")] },
                previousTimeMillis: line.previousTimeMillis, count: line.count, reasonMissing: line.reasonMissing)
            return folded
        }
    }

    private static func detail(_ key: String, _ line: AuditLogLine) -> String? {
        line.details?.first { $0.key == key }?.value
    }

    private static var changedSinceVerified: KithVaultError {
        .integrity("the store's log no longer matches what this client verified (an entry was changed or removed); tell an auditor")
    }

    /// Adds `entry` to `lines` in plain words when it passes `filter`.
    private func line(for entry: LogEntry, _ filter: AuditLogFilter, previousTime: UInt64, into lines: inout [AuditLogLine]) throws {
        guard filter.actor.map({ $0 == entry.actor }) ?? true, filter.type.map({ $0.includes(entry.body.type) }) ?? true,
            filter.sinceMillis.map({ entry.timeMillis >= $0 }) ?? true, filter.record.map({ concerns(entry.body, $0) }) ?? true,
            filter.records.map({ set in set.contains { concerns(entry.body, $0) } }) ?? true
        else { return }
        let details = try openDetails(entry)
        lines.append(
            AuditLogLine(
                seq: entry.seq, timeMillis: entry.timeMillis, actor: entry.actor, actorHandle: handle(of: entry.actor),
                type: entry.body.type, summary: summary(of: entry.body), details: details,
                previousTimeMillis: entry.timeMillis < previousTime ? previousTime : nil, reasonMissing: try reasonMissing(entry.body, actor: entry.actor, details)))
    }

    /// Whether a read's group asks a reason for it and its opened details
    /// give none. Whether it opened sensitive fields is judged from the log
    /// (the version read holds a sensitive part, and the reader's role in
    /// the group now may read it), not from details its client wrote.
    private func reasonMissing(_ body: EntryBody, actor: UserID, _ details: [(key: String, value: String)]?) throws -> Bool {
        guard case .recordRead(let id, let version) = body, let details, !details.contains(where: { $0.key == "reason" }),
            let record = try state.records.record(id), let group = state.groups[record.group], !group.policy.reasons.isEmpty
        else { return false }
        if group.policy.reasons.contains(.exports), details.first(where: { $0.key == "action" })?.value.hasPrefix("exported") == true { return true }
        guard group.policy.reasons.contains(.sensitiveReads), record.versions.first(where: { $0.version == version })?.compartments.contains(.sensitive) == true
        else { return false }
        let role = group.members[actor]
        // Someone whose role is gone is judged by what they wrote down, having no role to judge by.
        return role.map { group.policy.canRead($0, .sensitive) } ?? (details.first { $0.key == "compartments" }?.value.contains("sensitive") ?? true)
    }

    private func concerns(_ body: EntryBody, _ record: RecordID) -> Bool {
        switch body {
        case .recordWritten(let id, _, _, _, let parent, _, _, _): return id == record || parent == record
        case .recordRead(let id, _): return id == record
        case .recordsErased(_, _, let ids): return ids.contains(record)
        default: return false
        }
    }

    /// The public part of an entry, in words (names resolved through the directory).
    func summary(of body: EntryBody) -> String {
        switch body {
        case .genesis: return "founded the vault"
        case .userEnrolled(let user, let role, _, _, _): return "enrolled \(handle(of: user.userID)) as \(role)"
        case .groupCreated(let group, _, _): return "created group \(groupName(group))"
        case .roleGranted(let group, let user, let role): return "granted \(role) in \(groupName(group)) to \(handle(of: user))"
        case .roleRevoked(let group, let user): return "removed \(handle(of: user)) from \(groupName(group))"
        case .keysDistributed(let group, let grants):
            // Each key with its own recipients: not every member gets every compartment.
            let keys = grants.map { grant in
                "\(grant.compartment)@\(grant.epoch) to \(grant.envelopes.map { handle(of: $0.user) }.sorted().joined(separator: ", "))"
            }
            let recovery = grants.contains { $0.recovery != nil } ? " (and each new epoch to its recovery key)" : ""
            return "sealed \(groupName(group)) keys: \(keys.joined(separator: "; "))\(recovery)"
        case .recordWritten(let record, let version, let group, let kind, _, let parts, let carried, _):
            let kept = carried.isEmpty ? "" : "; carried unchanged: \(carried.map(\.description).joined(separator: ", "))"
            return "wrote \(kind) \(record) version \(version) in \(groupName(group)) (\(parts.map(\.description).joined(separator: ", "))\(kept))"
        case .recordRead(let record, let version): return "read record \(record) version \(version)"
        case .policySet(let group, _): return "set the policy of \(groupName(group))"
        case .rekeyStarted(let group, let mode, let targets):
            return "started the \(mode) of \(groupName(group)) onto \(targets.map(\.description).joined(separator: ", "))"
        case .rekeyCompleted(let group, let mode, _, let versions): return "completed the \(mode) of \(groupName(group)) (\(versions) versions changed)"
        case .auditKeyShared(_, let envelopes):
            return "sealed the audit key to \(envelopes.map { handle(of: $0.user) }.joined(separator: ", "))"
        case .detailKeySealed: return "sealed their detail key to the audit key"
        case .userRemoved(let user, _, _):
            let name = state.users[user].flatMap { try? openHandle(of: $0) } ?? user.description
            return "removed \(name) from the vault"
        case .auditKeyChained: return "sealed the previous audit key to the new one"
        case .recordsIndexed(let group, let records):
            return "indexed \(records) record\(records == 1 ? "" : "s") of \(groupName(group)) for search on their device"
        case .searched(let groups): return "searched \(groups.map { groupName($0) }.joined(separator: ", "))"
        case .deviceWiped: return "wiped a device with kith panic (remove the identity if a copy of its keyfile may be elsewhere)"
        case .vaultSettings(let founderMayLead):
            return founderMayLead ? "founded the vault letting its founder also lead groups" : "made the vault's settings"
        case .recoverySetUp(let group, let epoch, _, let threshold, let trustees, let keys):
            let names = trustees.map { handle(of: $0.user) }.sorted().joined(separator: ", ")
            return "set up recovery \(epoch) of \(groupName(group)): \(threshold) of \(trustees.count) trustees (\(names)) can hand its \(keys.count) keys to a new lead"
        case .userReplaced(let old, let new): return "said \(handle(of: new)) is the same person as \(handle(of: old)), whose identity was removed"
        case .restoreAccepted(let seenSize):
            return seenSize == 0
                ? "accepted the vault as restored from a backup: whatever devices had seen after it is lost"
                : "accepted the vault as restored from a backup: what devices had seen after it is lost (this admin's device had seen \(seenSize) entries)"
        case .recoveryRequested(let group, let epoch): return "asked the trustees of \(groupName(group)) for its keys (recovery \(epoch))"
        case .recoveryApproved(let group, let request, _): return "approved the recovery request at entry \(request) for \(groupName(group)), sending their share"
        case .recoveryCompleted(let group, let request):
            return "recovered the keys of \(groupName(group)) with the approvals of request \(request), becoming its lead"
        case .recordsErased(let group, let cause, let records):
            let what = records.count == 1 ? "record \(records[0])" : "\(records.count) records"
            switch cause {
            case .request: return "erased \(what) of \(groupName(group))"
            case .retention(let kind, let months): return "erased \(what) of \(groupName(group)) by retention (\(kind) records after \(months) month\(months == 1 ? "" : "s"))"
            }
        }
    }
}
