import KithCrypto

/// What a rewrap or re-encryption did.
public struct RekeySummary: Sendable {
    /// Rewrap or re-encrypt.
    public let mode: RekeyMode
    /// The epochs the group's records now stand on.
    public let targets: [KeyRef]
    /// Record versions looked at.
    public let scanned: Int
    /// Record versions changed by this run (a resumed run counts only its own).
    public let changed: Int
    /// Whether this run finished a rekey that an earlier, interrupted run began.
    public let resumed: Bool
}

/// What a revocation did.
public struct RevokeResult: Sendable {
    /// The role removed by this call (nil when it only finished an interrupted rekey).
    public let removedRole: GroupRole?
    /// The rewrap or re-encryption, when one was asked for.
    public let rekey: RekeySummary?
}

/// Progress of a long rekey: record versions done out of the total.
public typealias RekeyProgressHandler = (_ done: Int, _ total: Int) -> Void

extension Vault {
    /// Removes `handle`'s role in `groupName` and rotates the keys they
    /// could read (see `revoke(groupName:from:)`), then, with `mode`, brings
    /// every existing record onto the new epochs: `.rewrap` rewraps the
    /// record keys (fast; content untouched), `.reencrypt` gives every record
    /// version a fresh key and fresh ciphertext (for a lost or compromised
    /// device). The revocation, the new keys and the start of the rekey are
    /// one transaction; the rekey then runs in batches, and running the same
    /// command again after an interruption finishes it.
    @discardableResult
    public func revoke(groupName: String, from handle: String, mode: RekeyMode?, progress: RekeyProgressHandler? = nil) throws -> RevokeResult {
        let group = try self.group(named: groupName)
        let target = try user(handle: handle)
        if state.groups[group.id]?.members[target.id] == nil, let mode {
            guard let pending = state.groups[group.id]?.pendingRekey else {
                throw KithVaultError.invalidInput("\(target.handle) has no role in \(group.name)", remedy: .rekeyGroup(group: group.name, mode: mode))
            }
            // An interrupted revoke being run again: finish what it started
            // (after new keys, if a removal from the vault made the current ones stale).
            if state.groups[group.id]?.staleCompartments.isEmpty == false {
                return RevokeResult(removedRole: nil, rekey: try rekey(groupName: groupName, mode: mode, progress: progress))
            }
            return RevokeResult(removedRole: nil, rekey: try runRekey(group: group.id, pending: pending, resumed: true, progress: progress))
        }
        let removed = try revokeRole(group: group, target: target, mode: mode)
        guard mode != nil, let pending = state.groups[group.id]?.pendingRekey else { return RevokeResult(removedRole: removed, rekey: nil) }
        return RevokeResult(removedRole: removed, rekey: try runRekey(group: group.id, pending: pending, resumed: false, progress: progress))
    }

    /// Brings every record of `groupName` onto the group's current epochs
    /// (leads only). Resumes an interrupted rekey first; a requested
    /// re-encryption supersedes an unfinished rewrap.
    @discardableResult
    public func rekey(groupName: String, mode: RekeyMode, progress: RekeyProgressHandler? = nil) throws -> RekeySummary {
        let group = try self.group(named: groupName)
        try refresh()
        guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
        if let refusal = Rights.rekey(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
        if !current.staleCompartments.isEmpty {
            // Keys a user removed from the vault held are replaced before anything is moved onto them.
            var freshKeys: [KeyRef: KeyBox] = [:]
            try commit { state in
                freshKeys = [:]
                guard let current = state.groups[group.id], !current.staleCompartments.isEmpty else { return [] }
                return [try staleKeysEntry(current, name: group.name, reason: "(someone removed from the vault held the old ones)", freshKeys: &freshKeys)]
            }
            rememberKeys(freshKeys, group: group.id)
        }
        guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
        if let pending = current.pendingRekey, pending.targets == Self.currentTargets(current), pending.mode == mode || pending.mode == .reencrypt {
            return try runRekey(group: group.id, pending: pending, resumed: true, progress: progress)
        }
        try commit { state in
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
            if let refusal = Rights.rekey(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
            let targets = Self.currentTargets(current)
            guard !targets.isEmpty else { throw KithVaultError.invalidInput("\(group.name) has no keys yet, so there is nothing to rekey") }
            return [Self.rekeyStart(group: group, mode: mode, targets: targets, reason: "asked for")]
        }
        guard let pending = state.groups[group.id]?.pendingRekey else { throw KithVaultError.notFound("the rekey of \(group.name)") }
        return try runRekey(group: group.id, pending: pending, resumed: false, progress: progress)
    }

    static func currentTargets(_ group: GroupState) -> [KeyRef] {
        group.currentEpoch.map { KeyRef(compartment: $0.key, epoch: $0.value) }.sorted()
    }

    static func rekeyStart(group: GroupInfo, mode: RekeyMode, targets: [KeyRef], reason: String) -> PendingEntry {
        PendingEntry(
            body: .rekeyStarted(group: group.id, mode: mode, targets: targets),
            details: [
                ("action", "began to \(mode) every record of \(group.name) (\(reason))"), ("group", group.name),
                ("targets", targets.map(\.description).joined(separator: ", ")),
            ])
    }

    /// The revocation itself: role removed, new epochs sealed to the rest,
    /// and (with `mode`) the rekey's start, all in one commit.
    private func revokeRole(group: GroupInfo, target: UserInfo, mode: RekeyMode?) throws -> GroupRole? {
        var freshKeys: [KeyRef: KeyBox] = [:]
        var removed: GroupRole?
        try commit { state in
            freshKeys = [:]
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(group.name)'") }
            if let refusal = Rights.revoke(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
            guard let removedRole = current.members[target.id] else {
                throw KithVaultError.invalidInput("\(target.handle) has no role in \(group.name)")
            }
            removed = removedRole
            var remaining = current.members
            remaining[target.id] = nil
            var grants: [KeyGrant] = []
            // New epochs are sealed to the recovery as it stands after the revocation (it may freeze).
            var revoked = current
            revoked.recoveryLoses(target.id, fromVault: false)
            var after = current
            // What they could read, and whatever a removal from the vault left stale.
            for compartment in Compartment.allCases where current.policy.canRead(removedRole, compartment) || current.staleCompartments.contains(compartment) {
                guard let epoch = current.currentEpoch[compartment] else { continue }
                let ref = KeyRef(compartment: compartment, epoch: epoch + 1)
                grants.append(try newEpochGrant(revoked, ref, members: remaining, freshKeys: &freshKeys))
                after.currentEpoch[compartment] = epoch + 1
            }
            var entries = [
                PendingEntry(
                    body: .roleRevoked(group: group.id, user: target.id),
                    details: [("action", "revoked \(removedRole) of \(target.handle) in \(group.name)"), ("group", group.name), ("handle", target.handle)])
            ]
            if !grants.isEmpty {
                entries.append(
                    PendingEntry(
                        body: .keysDistributed(group: group.id, grants: grants),
                        details: [
                            ("action", "new epoch of \(grants.map(\.compartment.description).joined(separator: ", ")) in \(group.name) after revoking \(target.handle)"),
                            ("group", group.name),
                        ]))
            }
            let targets = Self.currentTargets(after)
            if let mode, !targets.isEmpty {
                entries.append(Self.rekeyStart(group: group, mode: mode, targets: targets, reason: "revoked \(target.handle)"))
            }
            return entries
        }
        rememberKeys(freshKeys, group: group.id)
        return removed
    }

    /// Moves every version of the group's records that the verified log
    /// names onto its target epochs, one batch per transaction. The list
    /// comes from the log, not from the store's (unauthenticated) group
    /// column: an operator who edits that column cannot make a version skip
    /// the rekey, and a version missing from the store is named, not passed
    /// over. Every record stays readable by the remaining members at every
    /// instant (each batch replaces whole rows; old and new epochs are both
    /// theirs). Only when every version was checked and moved is the
    /// completion logged and are replaced bytes purged from the store's files.
    func runRekey(group: GroupID, pending: PendingRekey, resumed: Bool, progress: RekeyProgressHandler?) throws -> RekeySummary {
        let name = groupName(group)
        let targets = Dictionary(uniqueKeysWithValues: pending.targets.map { ($0.compartment, $0.epoch) })
        // Erased records have nothing left to move.
        let versions = try state.records.records(in: group).filter { !$0.isErased }
            .flatMap { record in record.versions.map { (id: record.id, version: $0.version, seq: $0.seq) } }
            .sorted { $0.seq < $1.seq }
        let total = versions.count
        var scanned = 0, changed = 0, batches = 0
        var damaged: [String] = []
        progress?(0, total)
        for start in stride(from: 0, to: versions.count, by: max(1, rekeyBatchSize)) {
            var replacements: [StoredRecordRow] = []
            for wanted in versions[start..<min(start + max(1, rekeyBatchSize), versions.count)] {
                scanned += 1
                let label = "record \(wanted.id) version \(wanted.version)"
                do {
                    guard let body = try store.record(wanted.id, version: wanted.version) else {
                        // A lead may have erased it meanwhile: then there is nothing to move.
                        try refresh()
                        if try state.records.record(wanted.id)?.isErased == true { continue }
                        throw KithVaultError.integrity("it is missing from the store")
                    }
                    let row = StoredRecordRow(recordID: wanted.id, version: wanted.version, body: body)
                    if let moved = try moved(row, targets: targets, mode: pending.mode) { replacements.append(moved) }
                } catch let error as KithVaultError where error.code == .integrity {
                    // Keep going: one damaged record must not leave the rest on the old keys.
                    damaged.append("\(label): \(error.reason)")
                }
            }
            do {
                try store.replaceRecordBodies(replacements)
            } catch let error as KithVaultError where error.code == .integrity {
                // A lead may have erased some of them meanwhile: those rows are rightly gone; the rest are replaced.
                try refresh()
                let kept = try replacements.filter { try state.records.record($0.recordID)?.isErased != true }
                guard kept.count < replacements.count else { throw error }
                try store.replaceRecordBodies(kept)
                replacements = kept
            }
            changed += replacements.count
            batches += 1
            progress?(scanned, total)
            if let stop = rekeyStopAfterBatches, batches >= stop {
                throw KithVaultError.storage("stopped after \(batches) batches (test hook)")
            }
        }
        guard damaged.isEmpty else {
            throw KithVaultError.integrity(
                "\(damaged.count) of \(total) record version(s) of \(name) could not be moved, so the \(pending.mode) is not complete and its completion was not logged (the rest were moved; run the command again once they are restored); first: \(damaged[0])",
                remedy: .tellAuditor)
        }
        try commit { state in
            // Someone else may have completed it, or started a newer one, meanwhile.
            guard state.groups[group]?.pendingRekey == pending else { return [] }
            return [
                PendingEntry(
                    body: .rekeyCompleted(group: group, mode: pending.mode, targets: pending.targets, versions: UInt32(clamping: changed)),
                    details: [("action", "finished the \(pending.mode) of \(name)"), ("group", name), ("versions", "\(scanned) scanned, \(changed) changed")])
            ]
        }
        try store.purgeReplacedBytes()
        return RekeySummary(mode: pending.mode, targets: pending.targets, scanned: scanned, changed: changed, resumed: resumed)
    }

    /// The row with every lagging part moved onto its target, or nil when
    /// nothing lags. The stored object is checked against the log first.
    private func moved(_ row: StoredRecordRow, targets: [Compartment: UInt32], mode: RekeyMode) throws -> StoredRecordRow? {
        var record = try StoredRecord.decode(row.body)
        let label = "record \(row.recordID) version \(row.version)"
        guard record.id == row.recordID, record.version == row.version,
            let logged = try state.records.record(row.recordID)?.versions.first(where: { $0.version == row.version }),
            logged.contentHash == record.contentHash
        else {
            throw KithVaultError.integrity("it is not what the log says was written")
        }
        var touched = false
        for index in record.parts.indices {
            let part = record.parts[index]
            guard let epoch = targets[part.compartment] else { continue }
            switch mode {
            case .rewrap where part.wrapEpoch < epoch:
                record.parts[index] = try rewrap(part, record: record, epoch: epoch, label: label)
                touched = true
            case .reencrypt where record.kind == .attachment && part.wrapEpoch < epoch:
                // An attachment's file key derives from its record key, so
                // a fresh record key would orphan the file: rewrap it instead.
                record.parts[index] = try rewrap(part, record: record, epoch: epoch, label: label)
                touched = true
            case .reencrypt where record.kind != .attachment && part.contentEpoch < epoch:
                record.parts[index] = try reencrypt(part, record: record, epoch: epoch, label: label)
                touched = true
            default:
                continue
            }
        }
        return touched ? StoredRecordRow(recordID: row.recordID, version: row.version, body: record.encoded) : nil
    }
}
