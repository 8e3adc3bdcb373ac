import Foundation
import KithCrypto
import KithLog

/// A secret key held by reference, so it can live in caches and
/// dictionaries while the bytes stay in one guarded buffer.
final class KeyBox: @unchecked Sendable {
    // @unchecked: immutable after init.
    let key: SecureBytes
    init(_ key: consuming SecureBytes) { self.key = key }
}

/// An entry waiting to be committed, with its record version if it writes one.
struct PendingEntry {
    let body: EntryBody
    /// Details sealed to auditors: who, what, why, in words.
    let details: [(String, String)]
    var record: StoredRecord? = nil
}

/// An open vault, seen through one identity: replays and checks the log on
/// open, and appends new signed entries for everything this identity does.
public final class Vault {
    /// Where the bytes live.
    public let store: VaultStore
    /// The identity acting.
    public let holder: PrivateKeyHolder
    /// The replayed log.
    public internal(set) var state: VaultState
    /// The log as an RFC 9162 Merkle tree (one leaf per entry).
    public internal(set) var tree = MerkleTree()
    /// Where this client remembers the newest checkpoint it has seen (nil: nowhere, e.g. in tests).
    public let memory: CheckpointMemory?
    /// The size of the checkpoint last read from or written to `memory`.
    var rememberedSize: UInt64?
    /// The log size this vault's state was resumed from (nil: replayed from genesis).
    public let resumedFrom: UInt64?
    /// Why the resume cache was not used, when it was not (nil: it was, or there is no state folder).
    public let cacheProblem: ResumeCacheProblem?
    /// The log size last saved to (or resumed from) the resume cache.
    var cacheSavedSize: UInt64?
    /// Why the resume cache could not be saved, if it could not (for --verbose).
    public internal(set) var cacheNote: String?
    /// The writer's clock in ms since 1970 (tests may fix it).
    public var clock: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }

    /// Why the person reads what this vault reads from now on (`--reason`):
    /// sealed to auditors in every read, export, attachment save and
    /// search entry, and asked for by a group whose policy requires one
    /// (`GroupPolicy.reasons`). Set it through `setAccessReason`, which checks it.
    public internal(set) var accessReason: String?

    /// Record versions a rewrap or re-encryption replaces per transaction.
    public var rekeyBatchSize = 500
    /// Test hook: a rekey stops (as if killed) after this many batches.
    var rekeyStopAfterBatches: Int?
    /// Test hook: writes as a modified client would, with a field name twice (in two compartments).
    var writesDuplicateFieldNamesForTesting = false
    /// Test hook: signs records as a modified client could, over other bytes (the log entry itself is signed right).
    var signsRecordsWronglyForTesting = false
    /// Test hook: every save of the resume cache fails (as on a full disk).
    var failsCacheSavesForTesting = false
    /// Test hook: seals attachments in format 1 (unpadded), as Kith did before, to test they still read.
    var sealsUnpaddedAttachmentsForTesting = false

    /// The keys and opened names this vault keeps while open.
    let keys = KeyRing()
    /// The search index, once a search or a write opened it.
    var searchIndexHandle: SearchIndex?
    /// This client's journal, once opened (`ClientJournal`).
    var journalHandle: ClientJournal?
    /// The log size the journal was last brought up to by this vault.
    var journaledSize: UInt64?
    /// Whether `journaledSize` is assumed from the resume cache rather than
    /// checked against the journal (a commit checks it before adding to it).
    var journalAssumed = false
    /// The newest entries read and verified and not yet in the journal.
    var recentEntries = RecentEntries(limit: 0)
    /// Why the journal could not be kept, if it could not (for --verbose).
    public internal(set) var journalNote: String?
    /// Set when this open accepted an older store on an admin's word
    /// (`EntryBody.restoreAccepted`): what this device saw that is lost.
    public internal(set) var acceptedRestore: AcceptedRestore?
    /// True until the accepted store's head replaces the newer one remembered.
    var replacesRememberedState = false
    /// Set for a vault over a log not stored yet (`init(verified:)`): it only checks, never commits.
    var checksOnly = false
    /// Seconds this vault spent adding its own writes to the search index
    /// (what indexing adds to writes; kith-bench reports it).
    public internal(set) var ownWriteIndexingSeconds: Double = 0
    /// Per group, the log size up to which this vault has read the entries
    /// past its index's place and found nothing to index (so a long-lived
    /// vault does not read them again at every search).
    var searchCaughtUp: [GroupID: UInt64] = [:]
    /// Test hook: a search checks at most this many candidates.
    var searchCandidateLimit = 1000
    /// Posting lists of fewer bytes than this are always decoded by a
    /// search, even for a word half the records hold (a small group's common
    /// words cost little to decode); tests lower it to reach the other path.
    var searchCommonListBytes = 4096

    /// The acting user's id.
    public var me: UserID { holder.identity.userID }

    /// Opens a vault: replays and verifies every log entry, and checks that
    /// `holder` is enrolled in it and, when `expectedFingerprint` is given
    /// (the keyfile's pin, whole or its readable 20-byte prefix), that this is
    /// that vault and not a look-alike built around a copied enrolment.
    /// With `memory`, the store is also checked against the newest
    /// checkpoint this client saw before: a rolled-back or forked store is
    /// refused before anything is written to it.
    public init(store: VaultStore, holder: PrivateKeyHolder, expectedFingerprint: [UInt8]? = nil, memory: CheckpointMemory? = nil) throws {
        self.store = store
        self.holder = holder
        self.memory = memory
        // The cache's key is derived once (through the agent, one request) and kept for saving.
        let cacheKey = memory == nil ? nil : KeyBox(try holder.deriveKey(purpose: ResumeCache.keyPurpose, id: 1))
        keys.cache = cacheKey
        var (log, remembered) = try VerifiedLog.open(store: store, user: holder.identity.userID, memory: memory, cacheKey: cacheKey)
        var accepted: AcceptedRestore?
        if let remembered, let memory {
            var refusal: KithVaultError?
            do { try log.check(against: remembered) } catch let error as KithVaultError { refusal = error }
            if refusal != nil, log.resumedFrom != nil {
                // Check the resumed answer against a full replay before raising an alarm.
                log = try VerifiedLog.replayForVault(store: store, cacheProblem: .notThisStore, keepingRecent: Int(clamping: memory.journalEntries))
                refusal = nil
                do { try log.check(against: remembered) } catch let error as KithVaultError { refusal = error }
            }
            if let refusal {
                // A full replay's state: an admin may have accepted this store as restored from a backup.
                accepted = try Self.acceptance(
                    of: log, remembered: remembered, store: store, memory: memory, user: holder.identity.userID, cacheKey: cacheKey, refusal: refusal)
            } else {
                rememberedSize = remembered.size
            }
        }
        acceptedRestore = accepted
        replacesRememberedState = accepted != nil
        self.state = log.state
        self.tree = log.tree
        self.recentEntries = log.recent
        self.resumedFrom = log.resumedFrom
        self.cacheProblem = log.cacheProblem
        if log.resumedFrom != nil { cacheSavedSize = log.resumedFrom }
        // Resumed with nothing new: the journal was brought here before that cache was saved, so a
        // command that only reads does not open it (a journal that missed entries catches up at the next change).
        if log.resumedFrom == log.state.count {
            journaledSize = log.state.count
            journalAssumed = true
        }
        guard state.count > 0 else { throw KithVaultError.integrity("the vault has no genesis entry") }
        if let expectedFingerprint, expectedFingerprint.count < 20 || !state.fingerprint.starts(with: expectedFingerprint) {
            throw KithVaultError.integrity("this is not the vault your identity belongs to (expected \(Fingerprint.readable(expectedFingerprint)), found \(Fingerprint.readable(state.fingerprint)))", remedy: .checkVault)
        }
        guard let user = state.users[holder.identity.userID] else {
            throw KithVaultError.accessDenied("this identity is not enrolled in this vault; ask an admin to approve your enrolment request")
        }
        guard user.identity == holder.identity else {
            throw KithVaultError.accessDenied("this keyfile's keys are not the ones enrolled for its user id")
        }
        if let removedAt = user.removedAt {
            // Nothing this identity indexed stays on the device.
            if let memory {
                SearchIndex.removeFiles(memory.searchFile(fingerprint: state.fingerprint, user: user.identity.userID).path)
                ClientJournal.remove(path: memory.journalFile(fingerprint: state.fingerprint, user: user.identity.userID).path)
            }
            throw KithVaultError.accessDenied("an admin removed this identity from the vault (log entry \(removedAt)); ask an admin if that was a mistake")
        }
        // A file an earlier command was killed while writing is removed first.
        if let memory { PartialFiles(stateDirectory: memory.directory).cleanUp() }
        // What the cache holds was checked when it was saved.
        try checkDirectoryNames(since: resumedFrom ?? 0)
        try checkCosignaturesKept()
        // An index built from the history given up is of no use: it is built again.
        if accepted != nil { resetSearchIndex() }
        // Erasures this client had not seen: their records leave the search index before the cache moves past them.
        dropSearchIndex(ofGroupsErasedSince: resumedFrom ?? 0)
        try rememberHead()
        dropSearchIndexNoLongerReadable()
    }

    /// A vault over a log the caller verified itself and has not stored
    /// yet (healing checks records against it before they go in): nothing
    /// is remembered, and nothing may be committed through it.
    init(verified log: VerifiedLog, store: VaultStore, holder: PrivateKeyHolder) {
        self.store = store
        self.holder = holder
        self.memory = nil
        self.state = log.state
        self.tree = log.tree
        self.resumedFrom = nil
        self.cacheProblem = nil
        self.checksOnly = true
    }

    /// Founds a new vault in an empty store, with `founder` as its admin.
    /// Returns the open vault; its fingerprint is `state.fingerprint`.
    /// With `founderMayLead`, a vault-settings entry (entry 1, in the same
    /// transaction) lets the founder also lead groups: a small network run
    /// by one person. Without it, admins never hold a group's keys.
    public static func found(
        store: VaultStore, founder: UnlockedIdentity, handle: Handle, memory: CheckpointMemory? = nil, founderMayLead: Bool = false,
        clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
    ) throws -> Vault {
        guard try store.entry(at: 0) == nil else {
            throw KithVaultError.invalidInput("the store already holds a vault")
        }
        let vaultID = try Random.bytes(Identifier.length)
        let directoryKey = try SecureBytes(randomCount: 32)
        let body = EntryBody.genesis(
            vaultID: vaultID, founder: founder.identity,
            possession: try founder.sign(founder.identity.possessionMessage()),
            directoryEnvelope: try SealedBox.seal(directoryKey, to: founder.identity.boxKey),
            sealedHandle: try sealName(handle.value, key: directoryKey, vaultID: vaultID, id: founder.identity.userID))
        let entry = try LogEntry.make(
            seq: 0, previousHash: [UInt8](repeating: 0, count: 32), timeMillis: clock(),
            actor: founder, body: body, details: [], vaultID: vaultID)
        var entries = [entry]
        if founderMayLead {
            entries.append(
                try LogEntry.make(
                    seq: 1, previousHash: entry.hash, timeMillis: clock(), actor: founder, body: .vaultSettings(founderMayLead: true), details: [],
                    vaultID: vaultID))
        }
        // The first checkpoint is signed like every later one (the fingerprint is the genesis entry's hash).
        let tree = MerkleTree(leafHashes: entries.map { MerkleHash.leaf($0.encoded) })
        let checkpoint = try Checkpoint(origin: origin(fingerprint: entry.hash), size: UInt64(entries.count), root: tree.root())
        try store.append(
            expectedCount: 0, entries: entries.map { EntryRow(seq: $0.seq, bytes: $0.encoded, hash: $0.hash) }, records: [],
            checkpoint: signedNote(checkpoint, signer: founder))
        let vault = try Vault(store: store, holder: founder, memory: memory)
        vault.clock = clock
        return vault
    }

    /// The vault's fingerprint in the readable form people compare aloud.
    public var readableFingerprint: String { Fingerprint.readable(state.fingerprint) }

    // MARK: Reading the log again

    /// Applies entries other writers appended since this vault was opened.
    public func refresh() throws {
        let (since, before, treeBefore) = (state.count, state, tree)
        let page = try store.entries(from: state.count)
        do {
            for bytes in page {
                try state.apply(LogEntry.decode(bytes))
                tree.append(leafHash: MerkleHash.leaf(bytes))
            }
        } catch {
            // Nothing of a log that fails a check is kept: not even the entries before the bad one.
            (state, tree) = (before, treeBefore)
            throw error
        }
        if recentEntries.limit > 0 { recentEntries.append(page, at: since) }
        guard state.count > since else { return }
        do { try checkDirectoryNames(since: since) } catch {
            // Nothing of a log that fails a check is kept.
            (state, tree) = (before, treeBefore)
            throw error
        }
        dropSearchIndex(ofGroupsErasedSince: since)
    }

    /// `find`'s answer from the state as it is, or, when it finds nothing,
    /// from the state after reading what other writers appended since (a
    /// long-lived vault must not call something missing that someone just
    /// made); `missing` is the not-found error.
    func lookUp<T>(_ missing: @autoclosure () -> KithVaultError, _ find: () throws -> T?) throws -> T {
        if let found = try find() { return found }
        try refresh()
        guard let found = try find() else { throw missing() }
        return found
    }

    // MARK: Committing

    /// Builds entries from the current state, signs them, checks them as
    /// every client will, and appends them in one transaction. When another
    /// writer got there first, it replays their entries and builds again.
    /// `progress`, when given, hears how many entries are signed so far.
    func commit(progress: ((Int) -> Void)? = nil, _ build: (VaultState) throws -> [PendingEntry]) throws {
        guard !checksOnly else { throw KithVaultError.storage("this vault only checks records against a log not stored yet; nothing can be written through it") }
        for attempt in 0..<200 {
            // An engine that can lock the log first (PostgreSQL) does, so a
            // writer builds on the true head once instead of racing and retrying.
            switch try store.appendingExclusively({ try attemptCommit(progress: progress, build) }) {
            case .nothingToWrite:
                return
            case .written(let trial, let leaves, let rows, let records):
                // Only now is it committed (an engine's lock-first transaction ends after the closure).
                keepCommitted(entries: rows, records: records)
                let before = state.count
                state = trial
                for leaf in leaves { tree.append(leafHash: leaf) }
                // Before the resume cache moves past an erasure, the search index lets go of what went.
                dropSearchIndex(ofGroupsErasedSince: before)
                try rememberHead()
                return
            case .conflict:
                break
            }
            // Someone else appended first; back off a little and rebuild on their entries.
            usleep(UInt32(1000 * min(attempt + 1, 20)))
        }
        throw KithVaultError.busy("other writers kept appending while this change was retried 200 times")
    }

    /// How one try at `commit` ended.
    private enum Attempt {
        case nothingToWrite
        /// Appended: the state and leaves to adopt once the store has committed, and what was written.
        case written(VaultState, [[UInt8]], [EntryRow], [RecordRow])
        /// Another writer appended first.
        case conflict
    }

    /// One try at `commit`. It changes nothing in this object: the caller
    /// adopts the new state only after the store's transaction has ended.
    private func attemptCommit(progress: ((Int) -> Void)?, _ build: (VaultState) throws -> [PendingEntry]) throws -> Attempt {
        try refresh()
        var pending = try build(state)
        guard !pending.isEmpty else { return .nothingToWrite }
        // Once an audit key exists, a writer's first write also seals its detail key to it.
        if let sealing = try detailKeyEntryIfNeeded(state) { pending.insert(sealing, at: 0) }
        // The trial copies the state: what the last commits wrote is folded in first (in place, as
        // only this object holds it), so the copy's writes touch a small table, not every record.
        state.records.settle()
        var trial = state
        var rows: [EntryRow] = []
        var recordRows: [RecordRow] = []
        var erased: [RecordID] = []
        // One commit, one time: its entries are dated alike (the audit log folds a batch of reads by it).
        let now = clock()
        for (index, item) in pending.enumerated() {
            if let progress, index % 64 == 0 { progress(index) }
            // A clock more than the allowed skew behind the log's newest entry
            // (a reset laptop, or an entry someone dated in the future) would
            // be refused by every client: the entry is dated at the earliest
            // time allowed instead, and its sealed details keep what this
            // clock said, so an auditor sees both.
            let earliest = trial.headTimeMillis > VaultState.maxClockSkewMillis ? trial.headTimeMillis - VaultState.maxClockSkewMillis : 0
            var details = item.details
            if now < earliest { details.append(("writer's clock", Timestamp.iso8601(millis: now))) }
            let sealedDetails = try sealDetails(details, seq: trial.count, type: item.body.type, epoch: trial.auditEpoch)
            let entry = try LogEntry.make(
                seq: trial.count, previousHash: trial.headHash, timeMillis: max(now, earliest),
                actor: holder, body: item.body, details: sealedDetails, vaultID: state.vaultID)
            // Every client decodes the bytes, not this object: an entry they could not read must never be written.
            guard (try? LogEntry.decode(entry.encoded)) == entry else {
                throw KithVaultError.invalidInput("this change would write a log entry other clients could not read (a name or value too large for its field); nothing was written")
            }
            do {
                try trial.apply(entry)
            } catch let error as KithVaultError where error.code == .invalidEntry {
                // Our own entry would be refused by every client: say why, write nothing.
                throw KithVaultError.accessDenied(error.reason)
            }
            rows.append(EntryRow(seq: entry.seq, bytes: entry.encoded, hash: entry.hash))
            // An erasure's stored versions go in the same transaction; the entry itself names them.
            erased += item.body.erasedRecords
            if let record = item.record {
                recordRows.append(RecordRow(recordID: record.id, version: record.version, groupID: record.group, entrySeq: entry.seq, body: record.encoded))
            }
        }
        do {
            let leaves = rows.map { MerkleHash.leaf($0.bytes) }
            try store.append(
                StoreBatch(expectedCount: state.count, entries: rows, records: recordRows, checkpoint: signedCheckpoint(appending: leaves), erased: erased))
            return .written(trial, leaves, rows, recordRows)
        } catch is VaultStoreConflict {
            return .conflict
        }
    }

    // MARK: Keys

    /// The key of this identity's resume-cache tags.
    func cacheKey() throws -> KeyBox {
        if let cached = keys.cache { return cached }
        let box = KeyBox(try holder.deriveKey(purpose: ResumeCache.keyPurpose, id: 1))
        keys.cache = box
        return box
    }

    /// The writer's own key for details sealed to auditors (derived from the
    /// identity, so no public-key operation is needed per entry).
    /// Each audit epoch has its own (a removed auditor holds only the old ones).
    func detailKey(epoch: UInt32) throws -> KeyBox {
        if let cached = keys.detail[epoch] { return cached }
        let box = KeyBox(try holder.deriveKey(purpose: "kithaudt", id: UInt64(epoch)))
        keys.detail[epoch] = box
        return box
    }

    private func sealDetails(_ details: [(String, String)], seq: UInt64, type: EntryType, epoch: UInt32) throws -> [UInt8] {
        guard !details.isEmpty else { return [] }
        // Built in a closure so `plain` is the only owner of the bytes: the
        // wipe then zeroes them, not a copy-on-write duplicate. Format 2: the
        // list after the version byte is padded to its bucket (`SealedLength`).
        var plain = {
            var w = ByteWriter()
            w.u16(UInt16(details.count))
            for (key, value) in details {
                w.string(key)
                w.data(Array(value.utf8))
            }
            return w.bytes
        }()
        var version: [UInt8] = [2]
        let padded = try SecureBytes.concatenate(try SecureBytes(wiping: &version), try SealedLength.pad(SecureBytes(wiping: &plain)))
        return try AEAD.xChaCha20Poly1305.seal(
            padded, key: detailKey(epoch: epoch).key, aad: Self.detailsAAD(vaultID: state.vaultID, seq: seq, actor: me, type: type))
    }
}
