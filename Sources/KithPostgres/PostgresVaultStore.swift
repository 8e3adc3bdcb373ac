import Foundation
import Synchronization
import KithVault
import PostgresNIO

/// The shared engine: a vault kept in a PostgreSQL database that many
/// clients use at once. The server only ever holds what the SQLite file
/// holds (ciphertext, public keys, random ids, sizes, times); everything is
/// checked by each client as it is read, exactly as with SQLite.
///
/// Appends from many clients stay one linear log: each append locks the
/// single `log_head` row, compares the length it expected, and either
/// writes or reports `VaultStoreConflict` (the vault then replays the new
/// entries and retries). A client waiting over 30 s for the lock gets
/// `KithVaultError.busy` (exit 75). The schema refuses updates, deletes
/// and gaps in the log whoever writes.
public final class PostgresVaultStore: VaultStore, @unchecked Sendable {
    // @unchecked: immutable; the connection serialises its own use, and a
    // transaction holds it throughout (see BlockingConnection.transaction).
    let connection: BlockingConnection
    /// Where the vault lives (never holds a password).
    public let address: PostgresAddress
    /// Attachments: 1 MiB chunks in the `attachment_chunks` table.
    public let attachments: AttachmentStore

    /// Rows per INSERT when appending many entries or records at once: few
    /// round trips, messages of a few MiB at most.
    static let insertBatch = 500

    /// Connects to the vault at `address`. Opening needs the schema in
    /// place (made by `kith init`); with `create`, the tables are made when
    /// missing and the log must be empty.
    public init(address: PostgresAddress, create: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.address = address
        connection = try BlockingConnection(address: address, environment: environment)
        attachments = PostgresAttachmentStore(address: address, environment: environment)
        switch try PostgresMigrations.isCurrent(connection) {
        case .none where !create:
            throw KithVaultError.notFound("no vault in the database at \(address)", remedy: .createVault)
        case .some(true):
            break
        default:
            try PostgresMigrations.migrate(connection)
        }
        if create, try count() > 0 {
            throw KithVaultError.invalidInput("the database at \(address) already holds a vault; a new vault needs an empty database")
        }
    }

    /// Opens the vault at a `postgres://` address.
    public convenience init(_ text: String, create: Bool = false) throws {
        try self.init(address: PostgresAddress(text), create: create)
    }

    func count() throws -> Int64 {
        try connection.query("SELECT entry_count FROM log_head").first?.decode(Int64.self) ?? 0
    }

    public func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]] {
        let rows = try connection.query("SELECT seq, entry FROM log_entries WHERE seq >= $1 ORDER BY seq LIMIT $2", try binds(Int64(seq), Int64(limit)))
        var out: [[UInt8]] = []
        out.reserveCapacity(rows.count)
        var expected = Int64(seq)
        for row in rows {
            guard case let (position, entry)? = try? row.decode((Int64, ByteBuffer).self) else {
                throw KithVaultError.integrity("log entry \(expected) in \(address) is malformed")
            }
            guard position == expected else { throw KithVaultError.integrity("the log in \(address) has a gap at entry \(expected)") }
            expected += 1
            out.append(Array(entry.readableBytesView))
        }
        return out
    }

    /// Locks the log head, then runs `body` in the same transaction: the
    /// writer reads the newest entries, signs on them and appends, while
    /// the others wait their turn (up to the 30 s lock timeout, then busy).
    public func appendingExclusively<T>(_ body: () throws -> T) throws -> T {
        if !connection.isInTransaction { lastAppended.withLock { $0 = nil } }
        return try settlingCommit {
            try connection.transaction(resolvingCommit: true) {
                try connection.execute("SELECT entry_count FROM log_head FOR UPDATE")
                return try body()
            }
        }
    }

    /// Inside `appendingExclusively`, joins its transaction; otherwise opens one.
    public func append(_ batch: StoreBatch) throws {
        if !connection.isInTransaction { lastAppended.withLock { $0 = nil } }
        try settlingCommit {
            try connection.transaction(resolvingCommit: true) {
                try appendRows(batch)
                lastAppended.withLock { $0 = batch.entries.last }
            }
        }
    }

    /// The newest entry appended in the transaction open now (cleared as
    /// each outermost transaction starts; one writer per store at a time).
    private let lastAppended = Mutex<EntryRow?>(nil)

    /// Runs an append; when the connection was lost while COMMIT was on its
    /// way, asks the server (on a new connection) whether the last entry
    /// landed. It did: the append happened, and saying otherwise would make
    /// the person do it twice. It did not: nothing of it was kept.
    private func settlingCommit<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let unknown as CommitOutcomeUnknown {
            guard let entry = lastAppended.withLock({ $0 }), let value = unknown.value as? T else { throw unknown.lost }
            let stored: [UInt8]?
            do {
                // The old session may still be finishing its COMMIT on the
                // server: it holds log_head until it has committed or rolled
                // back, so wait for that lock before looking.
                stored = try connection.transaction {
                    try connection.execute("SELECT 1 FROM log_head FOR SHARE")
                    return try connection.query("SELECT hash FROM log_entries WHERE seq = $1", try binds(Int64(entry.seq))).first
                        .map { Array(try $0.decode(ByteBuffer.self).readableBytesView) }
                }
            } catch {
                throw PostgresFailure.outcomeUnknown(address: address)
            }
            if stored == entry.hash { return value }
            throw PostgresFailure.lost(address: address, inTransaction: true)
        }
    }

    private func appendRows(_ batch: StoreBatch) throws {
        let entries = batch.entries, records = batch.records
        do {
            // The lock that keeps the log linear: a second appender waits here
            // until the first commits, then sees the new length and steps back.
            let head = try connection.query("SELECT entry_count FROM log_head FOR UPDATE").first?.decode(Int64.self)
            guard let head else { throw KithVaultError.integrity("the log head row in \(address) is missing") }
            guard head == Int64(batch.expectedCount) else { throw VaultStoreConflict() }
            for start in stride(from: 0, to: entries.count, by: Self.insertBatch) {
                let slice = entries[start..<min(start + Self.insertBatch, entries.count)]
                try connection.execute(
                    "INSERT INTO log_entries (seq, entry, hash) SELECT * FROM unnest($1::int8[], $2::bytea[], $3::bytea[])",
                    try binds(slice.map { Int64($0.seq) }, slice.map { ByteBuffer(bytes: $0.bytes) }, slice.map { ByteBuffer(bytes: $0.hash) }))
            }
            if !batch.erased.isEmpty {
                // Erased with the entry that says so: the rows, and an attachment stored under the id (the same database).
                let ids = batch.erased.map { ByteBuffer(bytes: $0.bytes) }
                try connection.execute("DELETE FROM records WHERE record_id = ANY($1::bytea[])", try binds(ids))
                try connection.execute("DELETE FROM attachment_chunks WHERE attachment_id = ANY($1::bytea[])", try binds(ids))
                try connection.execute("DELETE FROM attachments WHERE attachment_id = ANY($1::bytea[])", try binds(ids))
            }
            for start in stride(from: 0, to: records.count, by: Self.insertBatch) {
                let slice = records[start..<min(start + Self.insertBatch, records.count)]
                try connection.execute(
                    """
                    INSERT INTO records (record_id, version, group_id, entry_seq, body)
                    SELECT * FROM unnest($1::bytea[], $2::int8[], $3::bytea[], $4::int8[], $5::bytea[])
                    """,
                    try binds(
                        slice.map { ByteBuffer(bytes: $0.recordID.bytes) }, slice.map { Int64($0.version) }, slice.map { ByteBuffer(bytes: $0.groupID.bytes) },
                        slice.map { Int64($0.entrySeq) }, slice.map { ByteBuffer(bytes: $0.body) },
                    ))
            }
            let newCount = Int64(batch.newCount)
            try connection.execute("UPDATE log_head SET entry_count = $1", try binds(newCount))
            if let checkpoint = batch.checkpoint {
                try connection.execute(
                    "INSERT INTO checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note",
                    try binds(newCount, checkpoint))
            }
        }
    }

    public func record(_ id: RecordID, version: UInt32) throws -> [UInt8]? {
        let rows = try connection.query(
            "SELECT body FROM records WHERE record_id = $1 AND version = $2", try binds(ByteBuffer(bytes: id.bytes), Int64(version)))
        guard let row = rows.first else { return nil }
        guard let body = try? row.decode(ByteBuffer.self) else {
            throw KithVaultError.integrity("record \(id) version \(version) in \(address) is malformed")
        }
        return Array(body.readableBytesView)
    }

    public func recordPage(group: GroupID, after: (id: RecordID, version: UInt32)?, limit: Int) throws -> [StoredRecordRow] {
        let rows: [PostgresRow]
        if let after {
            // A row comparison, so the (group_id, record_id, version) index seeks to the page.
            rows = try connection.query(
                """
                SELECT record_id, version, body FROM records WHERE group_id = $1 AND (record_id, version) > ($2, $3)
                ORDER BY record_id, version LIMIT $4
                """,
                try binds(ByteBuffer(bytes: group.bytes), ByteBuffer(bytes: after.id.bytes), Int64(after.version), Int64(limit)))
        } else {
            rows = try connection.query(
                "SELECT record_id, version, body FROM records WHERE group_id = $1 ORDER BY record_id, version LIMIT $2",
                try binds(ByteBuffer(bytes: group.bytes), Int64(limit)))
        }
        return try rows.map { row in
            guard case let (id, version, body)? = try? row.decode((ByteBuffer, Int64, ByteBuffer).self),
                let recordID = try? Identifier(bytes: Array(id.readableBytesView)), let version32 = UInt32(exactly: version)
            else {
                throw KithVaultError.integrity("a stored record row in \(address) is malformed")
            }
            return StoredRecordRow(recordID: recordID, version: version32, body: Array(body.readableBytesView))
        }
    }

    public func replaceRecordBodies(_ rows: [StoredRecordRow]) throws {
        try connection.transaction {
            for batch in stride(from: 0, to: rows.count, by: Self.insertBatch) {
                let slice = rows[batch..<min(batch + Self.insertBatch, rows.count)]
                let changed = try connection.execute(
                    """
                    UPDATE records SET body = new.body
                    FROM unnest($1::bytea[], $2::int8[], $3::bytea[]) AS new (record_id, version, body)
                    WHERE records.record_id = new.record_id AND records.version = new.version
                    """,
                    try binds(slice.map { ByteBuffer(bytes: $0.recordID.bytes) }, slice.map { Int64($0.version) }, slice.map { ByteBuffer(bytes: $0.body) }))
                guard changed == slice.count else {
                    throw KithVaultError.integrity("\(slice.count - changed) record versions vanished from \(address) during a rekey")
                }
            }
        }
    }

    public func insertMissingRecords(_ rows: [RecordRow], expectedCount: UInt64) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try connection.transaction {
            // Held until commit: no append (which locks the head for update) lands between the check and the rows.
            let count = try connection.query("SELECT entry_count FROM log_head FOR SHARE").first?.decode(Int64.self)
            guard count == Int64(clamping: expectedCount) else { throw VaultStoreConflict() }
            var inserted = 0
            for start in stride(from: 0, to: rows.count, by: Self.insertBatch) {
                let slice = rows[start..<min(start + Self.insertBatch, rows.count)]
                inserted += try connection.execute(
                    """
                    INSERT INTO records (record_id, version, group_id, entry_seq, body)
                    SELECT * FROM unnest($1::bytea[], $2::int8[], $3::bytea[], $4::int8[], $5::bytea[])
                    ON CONFLICT (record_id, version) DO NOTHING
                    """,
                    try binds(
                        slice.map { ByteBuffer(bytes: $0.recordID.bytes) }, slice.map { Int64($0.version) }, slice.map { ByteBuffer(bytes: $0.groupID.bytes) },
                        slice.map { Int64($0.entrySeq) }, slice.map { ByteBuffer(bytes: $0.body) },
                    ))
            }
            return inserted
        }
    }

    /// PostgreSQL keeps a replaced or deleted row's old bytes in the
    /// table's files until VACUUM marks the space free and later writes
    /// reuse it; there is no way to zero them from a client. This runs
    /// VACUUM FULL on the tables that hold sealed bytes when the role may
    /// (their owner): each is rewritten into new files and the old files
    /// are deleted, so no dead row survives in them. It locks each table
    /// while it runs (seconds for a typical vault). Otherwise the
    /// operator's own vacuuming covers it (docs/operations.md).
    public func purgeReplacedBytes() throws -> PurgeOutcome {
        // VACUUM skips a table its role does not own with only a warning, so ownership is asked first.
        let owns = try connection.query(
            """
            SELECT bool_and(pg_has_role(c.relowner, 'USAGE')) OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            FROM pg_class c WHERE c.oid IN ('records'::regclass, 'attachments'::regclass, 'attachment_chunks'::regclass)
            """
        ).first?.decode(Bool?.self)
        guard owns == true else { return .vacuumNotPermitted }
        do {
            // Each table is locked while it is rewritten: wait a little for readers, then leave it for later rather than stall everyone.
            try connection.execute("SET lock_timeout = '10s'")
            defer { _ = try? connection.execute("SET lock_timeout = '\(BlockingConnection.lockTimeout)'") }
            try connection.execute("VACUUM FULL records, attachments, attachment_chunks")
            return .complete
        } catch let error as KithVaultError where error.code == .accessDenied {
            return .vacuumNotPermitted
        } catch let error as KithVaultError where error.code == .busy {
            return .tablesInUse
        }
    }

    public func latestCheckpoint(containing marker: String?) throws -> String? {
        let rows: [PostgresRow]
        if let marker {
            // strpos, not LIKE: a marker's '_' or '%' must match only itself.
            rows = try connection.query("SELECT note FROM checkpoints WHERE strpos(note, $1) > 0 ORDER BY size DESC LIMIT 1", try binds(marker))
        } else {
            rows = try connection.query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1")
        }
        return try rows.first?.decode(String.self)
    }

    public func checkpoint(size: UInt64) throws -> String? {
        try connection.query("SELECT note FROM checkpoints WHERE size = $1", try binds(Int64(size))).first?.decode(String.self)
    }

    public func updateCheckpoint(size: UInt64, from old: String, to new: String) throws -> Bool {
        try connection.execute("UPDATE checkpoints SET note = $1 WHERE size = $2 AND note = $3", try binds(new, Int64(size), old)) == 1
    }

    public func records(writtenBy seqs: Range<UInt64>) throws -> [RecordRow] {
        let rows = try connection.query(
            "SELECT record_id, version, group_id, entry_seq, body FROM records WHERE entry_seq >= $1 AND entry_seq < $2 ORDER BY entry_seq, record_id, version",
            try binds(Int64(seqs.lowerBound), Int64(seqs.upperBound)))
        return try rows.map { row in
            guard case let (id, version, group, seq, body)? = try? row.decode((ByteBuffer, Int64, ByteBuffer, Int64, ByteBuffer).self),
                let recordID = try? Identifier(bytes: Array(id.readableBytesView)), let groupID = try? Identifier(bytes: Array(group.readableBytesView)),
                let version32 = UInt32(exactly: version), let seq64 = UInt64(exactly: seq)
            else {
                throw KithVaultError.integrity("a stored record row in \(address) is malformed")
            }
            return RecordRow(recordID: recordID, version: version32, groupID: groupID, entrySeq: seq64, body: Array(body.readableBytesView))
        }
    }

    public func checkpointSizes() throws -> [UInt64] {
        try connection.query("SELECT size FROM checkpoints ORDER BY size").compactMap { UInt64(exactly: try $0.decode(Int64.self)) }
    }

    /// Removes a vault that was just founded and never used (only its
    /// genesis entry), for `kith init` when writing the founder's keyfile
    /// failed: nobody could ever open it. Refuses anything larger.
    public func dropNewVault() throws {
        try connection.transaction {
            guard try count() <= 1 else {
                throw KithVaultError.invalidInput("the database at \(address) holds a vault in use; it was left untouched")
            }
            try connection.execute("DROP TABLE attachment_chunks, attachments, checkpoints, records, log_head, log_entries, kith_migrations")
            try connection.execute("DROP FUNCTION kith_log_append_only(), kith_log_contiguous()")
        }
    }
}
