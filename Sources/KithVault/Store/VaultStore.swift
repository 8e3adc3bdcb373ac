/// A log entry ready to store.
public struct EntryRow: Sendable {
    /// Names an entry's bytes.
    public init(seq: UInt64, bytes: [UInt8], hash: [UInt8]) {
        self.seq = seq
        self.bytes = bytes
        self.hash = hash
    }

    /// Its position.
    public let seq: UInt64
    /// Its exact bytes.
    public let bytes: [UInt8]
    /// SHA-256 of its bytes.
    public let hash: [UInt8]
}

/// A stored record version ready to store.
public struct RecordRow: Sendable, Equatable {
    /// Names a record version's bytes and where the log records it.
    public init(recordID: RecordID, version: UInt32, groupID: GroupID, entrySeq: UInt64, body: [UInt8]) {
        self.recordID = recordID
        self.version = version
        self.groupID = groupID
        self.entrySeq = entrySeq
        self.body = body
    }

    /// The record.
    public let recordID: RecordID
    /// The version.
    public let version: UInt32
    /// The record's group.
    public let groupID: GroupID
    /// The log entry that records the write.
    public let entrySeq: UInt64
    /// The encoded `StoredRecord`.
    public let body: [UInt8]
}

/// A stored record version's bytes, for paging through a group.
public struct StoredRecordRow: Sendable {
    /// The record.
    public let recordID: RecordID
    /// The version.
    public let version: UInt32
    /// The encoded `StoredRecord`.
    public let body: [UInt8]

    /// Names a stored version's bytes.
    public init(recordID: RecordID, version: UInt32, body: [UInt8]) {
        self.recordID = recordID
        self.version = version
        self.body = body
    }
}

/// Everything one commit writes, appended in one transaction or not at
/// all: log entries, the record versions they write, and the writer's
/// signed checkpoint of the new head. New kinds of rows join this value,
/// so callers and the engines' signatures do not change with them.
public struct StoreBatch: Sendable {
    /// The log's length the batch was built on.
    public let expectedCount: UInt64
    /// The new entries, in order from `expectedCount`.
    public let entries: [EntryRow]
    /// The record versions the entries write.
    public let records: [RecordRow]
    /// The writer's signed checkpoint note of the log after the batch.
    public let checkpoint: String?
    /// Records the entries erase: every stored version of each is deleted
    /// in the same transaction (and, where the engine keeps attachments in
    /// the same database, the attachment stored under the id).
    public let erased: [RecordID]

    /// Names a batch.
    public init(expectedCount: UInt64, entries: [EntryRow], records: [RecordRow] = [], checkpoint: String? = nil, erased: [RecordID] = []) {
        self.expectedCount = expectedCount
        self.entries = entries
        self.records = records
        self.checkpoint = checkpoint
        self.erased = erased
    }

    /// The log's length after the batch.
    public var newCount: UInt64 { expectedCount + UInt64(entries.count) }
}

/// How far a store could remove replaced or erased bytes from its files.
public enum PurgeOutcome: String, Sendable, Equatable, Encodable {
    /// As far as the engine can: nothing of them is left in its files.
    case complete
    /// SQLite: another process was reading, so the write-ahead log (which
    /// may still hold old pages) could not be emptied; the next purge does.
    case writeAheadLogInUse = "write-ahead-log-in-use"
    /// PostgreSQL: this database role may not VACUUM the tables, so the
    /// deleted rows' bytes stay in the table files until the owner (or
    /// autovacuum, and later writes) reclaims them.
    case vacuumNotPermitted = "vacuum-not-permitted"
    /// PostgreSQL: other clients held the tables longer than the purge
    /// waits (it locks each table while it rewrites it); run it again later.
    case tablesInUse = "tables-in-use"
}

/// Thrown by `VaultStore.append` when the log grew since the caller read
/// it: the caller replays the new entries, re-checks its rights, and tries
/// again with the new head. This is how many writers keep one linear log.
public struct VaultStoreConflict: Error, Sendable {
    /// Creates the error.
    public init() {}
}

/// Where a vault keeps its bytes. It holds only ciphertext, public keys,
/// random identifiers, counts, epochs, times and padded sizes. Engines:
/// SQLite (embedded, one file; `SQLiteVaultStore`) and PostgreSQL (shared;
/// `PostgresVaultStore` in the KithPostgres module).
public protocol VaultStore: AnyObject, Sendable {
    /// At most `limit` log entries from position `seq` on, in order (a page of the log).
    func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]]
    /// Writes `batch` in one transaction, or nothing, deleting the stored
    /// versions of `batch.erased` in the same transaction.
    /// Throws `VaultStoreConflict` unless the log holds exactly
    /// `batch.expectedCount` entries when the transaction starts.
    func append(_ batch: StoreBatch) throws
    /// A stored record version's bytes, or nil.
    func record(_ id: RecordID, version: UInt32) throws -> [UInt8]?
    /// Up to `limit` stored versions of `group`'s records, ordered by record
    /// id then version, starting after (`afterID`, `afterVersion`) when given.
    func recordPage(group: GroupID, after: (id: RecordID, version: UInt32)?, limit: Int) throws -> [StoredRecordRow]
    /// Replaces the bytes of existing record versions in one transaction, or
    /// none (a rewrap or re-encryption batch). Never inserts: a row that is
    /// not there already is an error.
    func replaceRecordBodies(_ rows: [StoredRecordRow]) throws
    /// Inserts record versions the store lacks (healing a restored store;
    /// the caller checked each against the log of `expectedCount` entries),
    /// in one transaction, and returns how many went in. A version already
    /// stored is left as it is. Throws `VaultStoreConflict` when the log has
    /// grown meanwhile (an erasure may have come in: the caller checks again).
    func insertMissingRecords(_ rows: [RecordRow], expectedCount: UInt64) throws -> Int
    /// Makes sure replaced and erased bytes are gone from the engine's
    /// files as far as the engine allows (SQLite: its write-ahead log is
    /// checkpointed and truncated; freed pages were zeroed as they were
    /// freed), and says how far that was.
    @discardableResult
    func purgeReplacedBytes() throws -> PurgeOutcome
    /// The newest stored checkpoint note (a C2SP signed note) whose text
    /// contains `marker` (nil: any), or nil when there is none. The audit
    /// commands find the newest witnessed checkpoint with a witness key name.
    func latestCheckpoint(containing marker: String?) throws -> String?
    /// The stored checkpoint note of the log at `size` entries, if any.
    func checkpoint(size: UInt64) throws -> String?
    /// Replaces the stored note of the checkpoint at `size` with `new`
    /// (a witness's cosignature added) only if it is still `old`; false
    /// when someone changed it meanwhile (read it again and retry).
    func updateCheckpoint(size: UInt64, from old: String, to new: String) throws -> Bool
    /// The record versions written by the log entries in `seqs`, ordered by
    /// entry (copying a vault to another engine, batch by batch).
    func records(writtenBy seqs: Range<UInt64>) throws -> [RecordRow]
    /// The log sizes that have a stored checkpoint note, smallest first.
    func checkpointSizes() throws -> [UInt64]
    /// Runs `body` (read the log's new entries, build, sign, `append`)
    /// holding the log's append lock when the engine has one worth taking
    /// before building: writers then queue instead of racing, and `append`
    /// inside `body` never meets a conflict. An engine without one runs
    /// `body` as it is (SQLite: its write lock is taken by `append`).
    func appendingExclusively<T>(_ body: () throws -> T) throws -> T
    /// Where this engine keeps attachments' sealed bytes.
    var attachments: AttachmentStore { get }
}

extension VaultStore {
    /// Appends entries and records (and a checkpoint) as one batch.
    public func append(expectedCount: UInt64, entries: [EntryRow], records: [RecordRow], checkpoint: String? = nil) throws {
        try append(StoreBatch(expectedCount: expectedCount, entries: entries, records: records, checkpoint: checkpoint))
    }
}

extension VaultStore {
    /// Every log entry from position `seq` on, in order (a full replay or an audit reads them all).
    public func entries(from seq: UInt64) throws -> [[UInt8]] { try entries(from: seq, limit: Int(Int64.max)) }

    /// The entry at `seq`, or nil past the end of the log.
    public func entry(at seq: UInt64) throws -> [UInt8]? { try entries(from: seq, limit: 1).first }
}

extension VaultStore {
    /// No lock before building: `append` alone decides.
    public func appendingExclusively<T>(_ body: () throws -> T) throws -> T { try body() }
}

extension VaultStore {
    /// The newest stored checkpoint note, or nil.
    public func latestCheckpoint() throws -> String? { try latestCheckpoint(containing: nil) }
}
