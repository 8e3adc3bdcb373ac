import Foundation
import KithCrypto
import KithLog

/// What `Vault.heal` found and did.
public struct HealReport: Sendable, Encodable {
    /// Log entries the store held before.
    public let storeEntries: UInt64
    /// Log entries this device had seen (its remembered checkpoint), or nil when it remembers none.
    public let seenEntries: UInt64?
    /// The entries this device's journal holds, `first..<end`, or nil when it holds none.
    public let journalFirst: UInt64?
    /// One past the journal's last entry.
    public let journalEnd: UInt64?
    /// Log entries put back (verified: signatures, chain, rights, and the remembered checkpoint's root).
    public let restoredEntries: Int
    /// Record versions put back whose bytes the store had lost.
    public let restoredRecords: Int
    /// Record versions the store held on keys a later rekey had replaced, put back on the new keys.
    public let rekeyedRecords: Int
    /// Erasures re-applied: records the backup had brought back, removed again.
    public let erasedAgain: Int
    /// Record versions the log names whose bytes are still missing (nobody's journal here had them): "id vN", the first 20.
    public let stillMissing: [String]
    /// How many record versions are still missing in all.
    public let stillMissingCount: Int
    /// Attachments written after the backup whose files the store lacks (no journal keeps files).
    public let attachmentsLost: [String]
    /// Groups whose records a rekey after the backup moved, with how many
    /// versions are still on the old keys (a lead should rekey them again).
    public let stillOnOldKeys: [GroupLag]
    /// Whether it wrote anything (false for --dry-run, or when there was nothing to do).
    public let wrote: Bool

    /// A group whose records are not all on the keys a rekey moved them to.
    public struct GroupLag: Sendable, Encodable, Equatable {
        /// The group's name.
        public let group: String
        /// Rewrap or re-encrypt.
        public let mode: RekeyMode
        /// Versions still on the old keys.
        public let versions: Int
    }

    /// True when the store lacked nothing this device had.
    public var wasWhole: Bool { restoredEntries == 0 && restoredRecords == 0 && rekeyedRecords == 0 && erasedAgain == 0 }
}

extension Vault {
    /// Heals a store restored from an older backup from this device's
    /// journal: the log entries the store lacks are put back exactly as
    /// they were signed (each checked as a replay checks it, and together
    /// against the newest checkpoint this device remembers), with the
    /// record versions this device wrote or re-keyed; erasures among them
    /// are applied again. Then it fills in, for entries already in the
    /// store, record versions the store lacks or holds on old keys. All
    /// entries go in one transaction, or nothing does.
    ///
    /// Refused, with nothing written: a journal that does not verify; a
    /// store whose history differs from this device's (someone wrote to it
    /// after the restore); a journal that starts after the store ends (a
    /// device that saw the entries between must heal first). With `dryRun`
    /// it checks everything and writes nothing.
    ///
    /// Returns the report and the vault opened afterwards (nil for a dry
    /// run that found entries to put back, since the store is still behind).
    public static func heal(
        store: VaultStore, holder: PrivateKeyHolder, expectedFingerprint: [UInt8]? = nil, memory: CheckpointMemory, dryRun: Bool = false
    ) throws -> (report: HealReport, vault: Vault?) {
        guard let genesis = try store.entry(at: 0) else { throw KithVaultError.integrity("the vault has no genesis entry") }
        let fingerprint = SHA256.hash(genesis)
        if let expectedFingerprint, expectedFingerprint.count < 20 || !fingerprint.starts(with: expectedFingerprint) {
            throw KithVaultError.integrity(
                "this is not the vault your identity belongs to (expected \(Fingerprint.readable(expectedFingerprint)), found \(Fingerprint.readable(fingerprint)))",
                remedy: .checkVault)
        }
        let user = holder.identity.userID
        let path = memory.journalFile(fingerprint: fingerprint, user: user).path
        guard let journal = try ClientJournal.openIfPresent(path: path), let span = try journal.span() else {
            throw KithVaultError.notFound(
                "this device keeps no copy of this vault's log for \(holder.identity.userID) (\(path)); run the heal on a device of someone who used the vault after the backup was made")
        }
        let seen = try memory.load(fingerprint: fingerprint, user: user).map { try Checkpoint.read(noteOrText: $0).checkpoint }

        // The store as it is, verified from genesis (a restored backup is a valid, older log).
        var log = try VerifiedLog.replayForVault(store: store, cacheProblem: .notThisStore)
        let storeCount = log.state.count
        if span.lowerBound > storeCount {
            throw KithVaultError.notFound(
                "the store ends at entry \(storeCount), and this device kept entries only from \(span.lowerBound) on: a device that used the vault between must heal it first (or this device's journal is too short: see KITH_JOURNAL_ENTRIES in docs/operations.md)")
        }
        // Where both hold an entry, they must hold the same one.
        let overlapEnd = min(span.upperBound, storeCount)
        if overlapEnd > span.lowerBound, let mine = try journal.entries(from: overlapEnd - 1, limit: 1).first,
            try store.entry(at: overlapEnd - 1).map(SHA256.hash) != SHA256.hash(mine)
        {
            throw KithVaultError.integrity(
                "the store's entry \(overlapEnd - 1) is not the one this device saw: someone wrote to the vault after it was restored, or it is another history. Nothing was written; an admin must decide which copy to keep (docs/operations.md)",
                remedy: .tellAuditor)
        }

        // The entries the store lacks, checked one by one as every client will check them.
        var entries: [[UInt8]] = []
        var erased: [RecordID] = []
        var rekeyed: [GroupID: PendingRekey] = [:]
        while storeCount + UInt64(entries.count) < span.upperBound {
            let seq = storeCount + UInt64(entries.count)
            let page = try journal.entries(from: seq, limit: VerifiedLog.pageSize)
            if page.isEmpty { break }
            for (offset, bytes) in page.enumerated() {
                let at = seq + UInt64(offset)
                do {
                    let entry = try LogEntry.decode(bytes)
                    guard entry.seq == at else { throw KithVaultError.integrity("it says it is entry \(entry.seq)") }
                    if case .rekeyCompleted(let group, let mode, let targets, _) = entry.body {
                        rekeyed[group] = PendingRekey(mode: mode, targets: targets, startedAt: at)
                    }
                    try log.state.apply(entry)
                    erased += entry.body.erasedRecords
                } catch let error as KithVaultError {
                    throw KithVaultError.integrity(
                        "entry \(at) of this device's journal (\(path)) does not verify (\(error.reason)); nothing was written. Heal from another device", remedy: .tellAuditor)
                }
                log.tree.append(leafHash: MerkleHash.leaf(bytes))
                entries.append(bytes)
            }
        }
        if let seen, seen.size <= log.tree.size {
            let root = try? log.tree.root(size: seen.size)
            guard root == seen.root else {
                throw KithVaultError.integrity(
                    "this device's journal and the checkpoint it remembers disagree at entry \(seen.size); nothing was written. Heal from another device", remedy: .tellAuditor)
            }
        }

        // The record versions those entries wrote, as far as this device kept them and they check.
        let state = log.state
        var rows: [RecordRow] = []
        var after: (id: RecordID, version: UInt32)?
        let appended = storeCount..<(storeCount + UInt64(entries.count))
        while !entries.isEmpty {
            let page = try journal.records(after: after, limit: 1000, writtenBy: appended)
            guard let last = page.last else { break }
            after = (last.recordID, last.version)
            for row in page where try Self.matches(row, state: state) { rows.append(row) }
        }

        // Versions erased by a later entry stay out (the batch removes erased rows before it inserts its own).
        let kept = try rows.filter { try state.records.record($0.recordID)?.isErased != true }
        var lags: [HealReport.GroupLag] = []
        func report(after vault: Vault?, restoredRecords: Int, rekeyedRecords: Int, wrote: Bool) throws -> HealReport {
            // What the log names from the put-back entries on, and the store still lacks (a dry run: would still lack).
            let coming = vault == nil ? Set(kept.map { "\($0.recordID) v\($0.version)" }) : []
            var missing: [String] = []
            var attachments: [String] = []
            var missingCount = 0
            for record in try (vault?.state ?? state).records.all() where !record.isErased {
                for version in record.versions where version.seq >= storeCount {
                    let name = "\(record.id) v\(version.version)"
                    guard !coming.contains(name), try store.record(record.id, version: version.version) == nil else { continue }
                    missingCount += 1
                    if missing.count < 20 { missing.append(name) }
                }
                if record.kind == .attachment, let first = record.versions.first, first.seq >= storeCount, try store.attachments.openAttachment(record.id) == nil {
                    attachments.append("\(record.id)")
                }
            }
            return HealReport(
                storeEntries: storeCount, seenEntries: seen?.size, journalFirst: span.lowerBound, journalEnd: span.upperBound,
                restoredEntries: entries.count, restoredRecords: restoredRecords, rekeyedRecords: rekeyedRecords,
                erasedAgain: erased.count, stillMissing: missing, stillMissingCount: missingCount, attachmentsLost: attachments,
                stillOnOldKeys: lags, wrote: wrote)
        }
        if dryRun {
            return (try report(after: nil, restoredRecords: kept.count, rekeyedRecords: 0, wrote: false), nil)
        }

        if !entries.isEmpty {
            let checkpoint = try Checkpoint(origin: origin(fingerprint: fingerprint), size: log.tree.size, root: log.tree.root())
            do {
                try store.append(
                    StoreBatch(
                        expectedCount: storeCount,
                        entries: entries.enumerated().map { EntryRow(seq: storeCount + UInt64($0.offset), bytes: $0.element, hash: SHA256.hash($0.element)) },
                        records: kept, checkpoint: signedNote(checkpoint, signer: holder), erased: erased))
            } catch is VaultStoreConflict {
                throw KithVaultError.busy("someone wrote to the vault while it was being healed; nothing was put back. Run 'heal' again to see whether it still can be")
            }
        }
        if let seen, seen.size > log.tree.size {
            // Its journal stops short of what it saw (a failed save, or a journal cut short): say so rather than call it rolled back.
            throw KithVaultError.notFound(
                "\(entries.isEmpty ? "nothing was put back" : "put back \(entries.count) log entries (\(storeCount) to \(log.tree.size - 1))"), but this device saw \(seen.size) and kept only \(log.tree.size); a device that saw the rest must heal it too, or an admin accepts the loss (docs/operations.md)")
        }
        // Opened as every command opens it: the remembered checkpoint is checked again.
        let vault = try Vault(store: store, holder: holder, expectedFingerprint: expectedFingerprint, memory: memory)
        if !erased.isEmpty {
            let records = try erased.compactMap { try vault.state.records.record($0) }
            _ = try vault.removeErasedBytes(records)
        }
        let (restored, moved) = try vault.fillRecords(from: journal)
        lags = try rekeyed.compactMap { group, pending in
            let count = try vault.lagging(group: group, pending: pending)
            return count == 0 ? nil : HealReport.GroupLag(group: vault.groupName(group), mode: pending.mode, versions: count)
        }
        .sorted { $0.group < $1.group }
        if moved > 0 { try store.purgeReplacedBytes() }
        let wrote = !entries.isEmpty || restored > 0 || moved > 0
        return (try report(after: vault, restoredRecords: restored + kept.count, rekeyedRecords: moved, wrote: wrote), vault)
    }

    /// Whether a kept record version is the one the log names (its id,
    /// version, entry and content hash), so it may go into the store.
    static func matches(_ row: RecordRow, state: VaultState) throws -> Bool {
        guard let record = try state.records.record(row.recordID), !record.isErased, record.group == row.groupID,
            let logged = record.versions.first(where: { $0.version == row.version }), logged.seq == row.entrySeq,
            let stored = try? StoredRecord.decode(row.body), stored.id == row.recordID, stored.version == row.version,
            stored.contentHash == logged.contentHash
        else { return false }
        return true
    }

    /// Puts back, from the journal, record versions the log names that the
    /// store lacks, and replaces those it holds on older keys than the kept
    /// copy (a rekey the backup predates). Returns (put back, replaced).
    func fillRecords(from journal: ClientJournal) throws -> (restored: Int, replaced: Int) {
        var restored = 0, replaced = 0
        var after: (id: RecordID, version: UInt32)?
        while true {
            let page = try journal.records(after: after, limit: 500)
            guard let last = page.last else { break }
            after = (last.recordID, last.version)
            var missing: [RecordRow] = []
            var newer: [StoredRecordRow] = []
            for row in page where try Self.matches(row, state: state) {
                guard let held = try store.record(row.recordID, version: row.version) else {
                    missing.append(row)
                    continue
                }
                if held != row.body, let heldRecord = try? StoredRecord.decode(held), let kept = try? StoredRecord.decode(row.body),
                    Self.keys(of: kept, areNewerThan: heldRecord)
                {
                    newer.append(StoredRecordRow(recordID: row.recordID, version: row.version, body: row.body))
                }
            }
            restored += try store.insertMissingRecords(missing)
            if !newer.isEmpty {
                try store.replaceRecordBodies(newer)
                replaced += newer.count
            }
        }
        return (restored, replaced)
    }

    /// Whether every part of `kept` stands on keys at least as new as the
    /// same part of `held`, and one on newer: epochs only ever move on, so
    /// this is the copy a rekey made after the backup.
    static func keys(of kept: StoredRecord, areNewerThan held: StoredRecord) -> Bool {
        guard kept.parts.count == held.parts.count else { return false }
        var newer = false
        for part in kept.parts {
            guard let old = held.parts.first(where: { $0.compartment == part.compartment }) else { return false }
            guard part.wrapEpoch >= old.wrapEpoch, part.contentEpoch >= old.contentEpoch else { return false }
            if part.wrapEpoch > old.wrapEpoch || part.contentEpoch > old.contentEpoch { newer = true }
        }
        return newer
    }

    /// How many versions of `group` still stand on keys older than what a
    /// completed rekey moved them to.
    func lagging(group: GroupID, pending: PendingRekey) throws -> Int {
        let targets = Dictionary(pending.targets.map { ($0.compartment, $0.epoch) }) { a, _ in a }
        var count = 0
        for record in try state.records.records(in: group) where !record.isErased {
            for version in record.versions {
                guard let body = try store.record(record.id, version: version.version), let stored = try? StoredRecord.decode(body) else { continue }
                let behind = stored.parts.contains { part in
                    guard let epoch = targets[part.compartment] else { return false }
                    switch pending.mode {
                    case .rewrap: return part.wrapEpoch < epoch
                    case .reencrypt: return record.kind == .attachment ? part.wrapEpoch < epoch : part.contentEpoch < epoch
                    }
                }
                if behind { count += 1 }
            }
        }
        return count
    }
}
