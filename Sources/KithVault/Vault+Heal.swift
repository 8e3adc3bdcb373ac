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
    /// Groups a lost revocation's rekey had moved, re-keyed again by this
    /// healer (a lead of each): the backup held their records on the old keys.
    public let rekeyedGroups: [String]
    /// Erasures re-applied: records the backup had brought back, removed again.
    public let erasedAgain: Int
    /// Record versions the log names whose bytes are still missing (nobody's journal here had them): "id vN", the first 20.
    public let stillMissing: [String]
    /// How many record versions are still missing in all.
    public let stillMissingCount: Int
    /// Attachments written after the backup whose files the store lacks (no journal keeps files).
    public let attachmentsLost: [String]
    /// Groups whose records a rekey after the backup moved, with how many
    /// versions are still on the old keys (this healer does not lead them:
    /// a lead should rekey them again).
    public let stillOnOldKeys: [GroupLag]
    /// Whether it wrote anything (false for a dry run, or when there was nothing to do).
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
    public var wasWhole: Bool { restoredEntries == 0 && restoredRecords == 0 && rekeyedGroups.isEmpty && erasedAgain == 0 }
}

extension Vault {
    /// Heals a store restored from an older backup from this device's
    /// journal: the log entries the store lacks are put back exactly as
    /// they were signed (each checked as a replay checks it, and together
    /// against the newest checkpoint this device remembers), with the
    /// record versions this device wrote; erasures among them are applied
    /// again (and the erased records' bytes removed). Then it fills in, for
    /// entries already in the store, record versions the store lacks, each
    /// checked against the content hash its entry signs and opened where
    /// this identity holds the keys. A revocation's rekey the backup undid
    /// is run again when this identity leads the group. All entries go in
    /// one transaction, or nothing does.
    ///
    /// Refused, with nothing written: a journal that does not verify; a
    /// store whose history differs from this device's (someone wrote to it
    /// after the restore); a journal that starts after the store ends (a
    /// device that saw the entries between must heal first). With `dryRun`
    /// it checks everything and writes nothing.
    ///
    /// Returns the report and the vault opened afterwards (nil for a dry
    /// run, which counts only the entries and the record versions they
    /// wrote that it would put back).
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
                "the store ends at entry \(storeCount), and this device kept entries only from \(span.lowerBound) on: a device that used the vault between must heal it first (or this device's journal keeps too few entries: docs/operations.md)"
            )
        }
        // Where both hold an entry, they must hold the same one.
        let overlapEnd = min(span.upperBound, storeCount)
        if overlapEnd > span.lowerBound, let mine = try journal.entry(at: overlapEnd - 1),
            try store.entry(at: overlapEnd - 1).map(SHA256.hash) != SHA256.hash(mine)
        {
            throw KithVaultError.integrity(
                "the store's entry \(overlapEnd - 1) is not the one this device saw: someone wrote to the vault after it was restored, or it is another history. Nothing was written",
                remedy: .askAdminToAcceptRestore)
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
        // Nothing is put back that the checkpoint this device remembers does not vouch for.
        guard let seen else {
            throw KithVaultError.notFound("this device remembers no checkpoint of this vault, so it cannot vouch for its journal; heal from another device")
        }
        guard seen.size <= log.tree.size else {
            throw KithVaultError.notFound(
                "this device saw \(seen.size) log entries but its journal reaches only \(log.tree.size), so what it holds cannot be checked against what it saw; nothing was written. A device that kept the rest must heal it, or an admin accepts the loss (docs/operations.md)"
            )
        }
        // Only what the checkpoint vouches for goes back: entries past it are signed, but of no history this device saw.
        let vouched = seen.size > storeCount ? Int(min(UInt64(entries.count), seen.size - storeCount)) : 0
        if vouched < entries.count {
            entries.removeLast(entries.count - vouched)
            log = try VerifiedLog.replayForVault(store: store, cacheProblem: .notThisStore)
            for bytes in entries {
                try log.state.apply(LogEntry.decode(bytes))
                log.tree.append(leafHash: MerkleHash.leaf(bytes))
            }
            erased = try entries.flatMap { try LogEntry.decode($0).body.erasedRecords }
            rekeyed = rekeyed.filter { $0.value.startedAt < seen.size }
        }
        guard (try? log.tree.root(size: seen.size)) == seen.root else {
            throw KithVaultError.integrity(
                "this device's journal and the checkpoint it remembers disagree at entry \(seen.size); nothing was written. Heal from another device", remedy: .tellAuditor)
        }
        guard log.state.users[user]?.isActive == true else {
            throw KithVaultError.accessDenied("this identity is not an enrolled member of the vault the journal describes; it cannot heal it")
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

        // Versions erased by a later entry stay out (the batch removes erased rows before it inserts its own),
        // and each goes in with its entries only if it opens under the healed log's keys.
        let checker = Vault(verified: log, store: store, holder: holder)
        let kept = try rows.filter { try state.records.record($0.recordID)?.isErased != true && checker.opens($0) }
        // Erased records the backup brought back: those whose rows the store holds now.
        let broughtBack = try erased.filter { id in
            try state.records.record(id)?.versions.contains { try store.record(id, version: $0.version) != nil } == true
        }
        var lags: [HealReport.GroupLag] = []
        var rekeyedGroups: [String] = []
        func report(after vault: Vault?, restoredRecords: Int, wrote: Bool) throws -> HealReport {
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
                storeEntries: storeCount, seenEntries: seen.size, journalFirst: span.lowerBound, journalEnd: span.upperBound,
                restoredEntries: entries.count, restoredRecords: restoredRecords, rekeyedGroups: rekeyedGroups,
                erasedAgain: broughtBack.count, stillMissing: missing, stillMissingCount: missingCount, attachmentsLost: attachments,
                stillOnOldKeys: lags, wrote: wrote)
        }
        if dryRun {
            return (try report(after: nil, restoredRecords: kept.count, wrote: false), nil)
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
                throw KithVaultError.busy("someone wrote to the vault while it was being healed; nothing was put back. Run the heal again to see whether it still can be")
            }
            // At once: attachment files of erased records the backup brought back go, and the store's files are purged.
            if !erased.isEmpty {
                let records = try erased.compactMap { try state.records.record($0) }
                let files = records.filter { $0.kind == .attachment }.map(\.id)
                _ = try store.attachments.erase(files)
                try store.purgeReplacedBytes()
            }
        }
        // Opened as every command opens it: the remembered checkpoint is checked again.
        let vault = try Vault(store: store, holder: holder, expectedFingerprint: expectedFingerprint, memory: memory)
        // Files of erased attachments a backup brought back, also when an earlier heal stopped before removing them.
        _ = try store.attachments.erase(try vault.state.records.all().filter { $0.isErased && $0.kind == .attachment }.map(\.id))
        let restored = try vault.fillRecords(from: journal)
        for (group, pending) in rekeyed.sorted(by: { $0.key < $1.key }) {
            let (count, missing) = try vault.lagging(group: group, pending: pending)
            guard count > 0 else { continue }
            let name = vault.groupName(group)
            // A rekey cannot move what is missing: then it waits until every device has healed.
            if missing == 0, vault.state.groups[group]?.members[vault.me] == .lead {
                // The backup holds the group's records on keys the revoked person had: a lead moves them now.
                _ = try vault.rekey(groupName: name, mode: pending.mode)
                rekeyedGroups.append(name)
            } else {
                lags.append(HealReport.GroupLag(group: name, mode: pending.mode, versions: count))
            }
        }
        let wrote = !entries.isEmpty || restored > 0 || !rekeyedGroups.isEmpty
        return (try report(after: vault, restoredRecords: restored + kept.count, wrote: wrote), vault)
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
    /// store lacks: each checked against the content hash its entry signs,
    /// and opened (decrypted and checked against its author's commitment)
    /// for every part this identity holds the keys of, so a copy altered on
    /// the device never goes in. Returns how many went in.
    func fillRecords(from journal: ClientJournal) throws -> Int {
        var restored = 0
        var after: (id: RecordID, version: UInt32)?
        while true {
            let page = try journal.records(after: after, limit: 500)
            guard let last = page.last else { break }
            after = (last.recordID, last.version)
            var missing: [RecordRow] = []
            for row in page where try Self.matches(row, state: state) {
                guard try store.record(row.recordID, version: row.version) == nil, opens(row) else { continue }
                missing.append(row)
            }
            // Only onto the log they were checked against: an erasure appended meanwhile must not have its bytes put back.
            for attempt in 0..<20 {
                do {
                    restored += try store.insertMissingRecords(missing, expectedCount: state.count)
                    break
                } catch is VaultStoreConflict {
                    guard attempt < 19 else { throw KithVaultError.busy("others kept writing while the heal put records back; run it again") }
                    try refresh()
                    missing = try missing.filter { try Self.matches($0, state: state) }
                }
            }
        }
        return restored
    }

    /// Whether every part of the kept record that this identity can open
    /// opens and is what its author committed to, and at least one does.
    func opens(_ row: RecordRow) -> Bool {
        guard let record = try? StoredRecord.decode(row.body), let group = state.groups[record.group] else { return false }
        var opened = 0
        for part in record.parts {
            // Left unchecked only where the log names the key and never sealed it to this identity (a part
            // carried by a writer who could not read it); any other part must open.
            let ref = KeyRef(compartment: part.compartment, epoch: part.wrapEpoch)
            if group.commitments[ref] != nil, group.envelopes[ref]?[me] == nil { continue }
            guard (try? openPart(part, record: record, label: "record \(row.recordID) version \(row.version)")) != nil else { return false }
            opened += 1
        }
        return opened > 0
    }

    /// How many versions of `group` still stand on keys older than what a
    /// completed rekey moved them to, and how many are missing from the store.
    func lagging(group: GroupID, pending: PendingRekey) throws -> (lagging: Int, missing: Int) {
        let targets = Dictionary(pending.targets.map { ($0.compartment, $0.epoch) }) { a, _ in a }
        var count = 0, missing = 0
        for record in try state.records.records(in: group) where !record.isErased {
            for version in record.versions {
                guard let body = try store.record(record.id, version: version.version) else {
                    missing += 1
                    continue
                }
                guard let stored = try? StoredRecord.decode(body) else { continue }
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
        return (count, missing)
    }
}
