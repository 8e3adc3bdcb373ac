import Foundation
import KithVault
import GRDB

/// The embedded engine: one SQLite file in WAL mode (plus SQLite's own
/// `-wal` and `-shm` files), on GRDB. Easy to back up and carry.
public final class SQLiteVaultStore: VaultStore, @unchecked Sendable {
    // @unchecked: DatabaseQueue serialises every access itself.
    private let queue: DatabaseQueue
    /// The file's path.
    public let path: String
    /// Attachments: files in the folder `<path>.files` beside the vault
    /// file. Back up both.
    public let attachments: AttachmentStore

    /// Opens an existing vault file; with `create`, makes a new one and
    /// refuses to touch an existing file.
    public init(path: String, create: Bool = false) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        if create && exists {
            throw KithVaultError.invalidInput("\(path) already exists; a new vault needs a new file", remedy: .chooseNewFile)
        }
        if !create && !exists {
            throw KithVaultError.notFound("vault \(path)", remedy: .createVault)
        }
        if create {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw KithVaultError.storage("cannot create \(path): \(String(cString: strerror(errno))); check the folder exists and is writable")
            }
            close(fd)
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        // Another kith writing: wait for it rather than fail at once.
        configuration.busyMode = .timeout(30)
        configuration.label = "kith-vault"
        configuration.prepareDatabase { db in
            // Overwritten record bytes (a rewrap's old wrapped keys, a
            // re-encryption's old ciphertext) are zeroed, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw Self.translate(error, path: path)
        }
        self.path = path
        self.attachments = AttachmentFolder(path: path + ".files")
    }

    /// Named migrations; a released migration never changes, new ones are appended.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: log, records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE log_entries (
                        seq INTEGER PRIMARY KEY CHECK (seq >= 0),
                        entry BLOB NOT NULL CHECK (length(entry) > 0),
                        hash BLOB NOT NULL CHECK (length(hash) = 32)
                    );
                    -- The log is append-only and gap-free, enforced by the schema too.
                    CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries
                    BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                    CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
                    BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                    CREATE TRIGGER log_entries_contiguous BEFORE INSERT ON log_entries
                    WHEN NEW.seq != (SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries)
                    BEGIN SELECT RAISE(ABORT, 'log entries must be appended in order'); END;

                    CREATE TABLE records (
                        record_id BLOB NOT NULL CHECK (length(record_id) = 16),
                        version INTEGER NOT NULL CHECK (version >= 1),
                        group_id BLOB NOT NULL CHECK (length(group_id) = 16),
                        entry_seq INTEGER NOT NULL REFERENCES log_entries(seq),
                        body BLOB NOT NULL,
                        PRIMARY KEY (record_id, version)
                    ) WITHOUT ROWID;
                    CREATE INDEX records_by_group ON records (group_id);
                    """)
        }
        migrator.registerMigration("v2: checkpoints") { db in
            try db.execute(
                sql: """
                    -- The signed checkpoint note of each log size a writer reached (C2SP
                    -- tlog-checkpoint), with witnesses' cosignatures appended.
                    CREATE TABLE checkpoints (
                        size INTEGER PRIMARY KEY CHECK (size > 0),
                        note TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v3: records by entry") { db in
            // Copying a vault to another engine reads records batch by batch of log entries.
            try db.execute(sql: "CREATE INDEX records_by_entry ON records (entry_seq)")
        }
        return migrator
    }

    static func translate(_ error: DatabaseError, path: String) -> KithVaultError {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .busy("\(path) is locked by another process")
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .integrity("\(path) is not a Kith vault or is damaged")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return .storage("cannot open \(path) for writing; check the path and its permissions")
        case .SQLITE_CONSTRAINT:
            // The schema's own guards (append-only log, no gaps, checks), as on PostgreSQL.
            return .integrity("the store refused a write that would break the log (\(error.message ?? "a constraint failed"))")
        case .SQLITE_FULL:
            return .noSpace("cannot write to the vault \(path)")
        case .SQLITE_IOERR where DiskSpace.isFull(at: path):
            // Growing the -shm or -wal file on a full disk fails as an I/O error.
            return .noSpace("cannot write to the vault \(path)")
        default:
            return .storage("SQLite: \(error.message ?? "error \(error.resultCode.rawValue)") on \(path)")
        }
    }

    private func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError { throw Self.translate(error, path: path) }
    }

    public func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]] {
        try run {
            try queue.read { db in
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT seq, entry FROM log_entries WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [Int64(seq), Int64(limit)])
                var out: [[UInt8]] = []
                var expected = Int64(seq)
                while let row = try rows.next() {
                    // Throwing decoders: a column altered to another type is an integrity error, not a crash.
                    guard let position = try? row.decode(Int64.self, atIndex: 0) else {
                        throw KithVaultError.integrity("log entry \(expected) has a malformed position")
                    }
                    guard position == expected else {
                        throw KithVaultError.integrity("the log has a gap at entry \(expected)")
                    }
                    guard let data = try? row.decode(Data.self, atIndex: 1) else {
                        throw KithVaultError.integrity("log entry \(expected) is not stored as bytes")
                    }
                    expected += 1
                    out.append([UInt8](data))
                }
                return out
            }
        }
    }

    public func append(_ batch: StoreBatch) throws {
        try run {
            try queue.writeWithoutTransaction { db in
                // IMMEDIATE takes the write lock up front, so two writers queue
                // behind each other instead of failing on upgrade.
                try db.inTransaction(.immediate) {
                    let count = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries") ?? 0
                    guard count == Int64(batch.expectedCount) else { throw VaultStoreConflict() }
                    let insertEntry = try db.cachedStatement(sql: "INSERT INTO log_entries (seq, entry, hash) VALUES (?, ?, ?)")
                    for entry in batch.entries {
                        try insertEntry.execute(arguments: [Int64(entry.seq), Data(entry.bytes), Data(entry.hash)])
                    }
                    // Erased before the batch's own rows go in (a batch never writes and erases one record).
                    let erase = try db.cachedStatement(sql: "DELETE FROM records WHERE record_id = ?")
                    for id in batch.erased { try erase.execute(arguments: [Data(id.bytes)]) }
                    let insertRecord = try db.cachedStatement(sql: "INSERT INTO records (record_id, version, group_id, entry_seq, body) VALUES (?, ?, ?, ?, ?)")
                    for record in batch.records {
                        try insertRecord.execute(arguments: [Data(record.recordID.bytes), Int64(record.version), Data(record.groupID.bytes), Int64(record.entrySeq), Data(record.body)])
                    }
                    if let checkpoint = batch.checkpoint {
                        try db.execute(
                            sql: "INSERT OR REPLACE INTO checkpoints (size, note) VALUES (?, ?)", arguments: [Int64(batch.newCount), checkpoint])
                    }
                    return .commit
                }
            }
        }
    }

    public func record(_ id: RecordID, version: UInt32) throws -> [UInt8]? {
        try run {
            try queue.read { db in
                guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT body FROM records WHERE record_id = ? AND version = ?"), arguments: [Data(id.bytes), Int64(version)]) else {
                    return nil
                }
                guard let data = try? row.decode(Data.self, atIndex: 0) else {
                    throw KithVaultError.integrity("record \(id) version \(version) is not stored as bytes")
                }
                return [UInt8](data)
            }
        }
    }

    public func recordPage(group: GroupID, after: (id: RecordID, version: UInt32)?, limit: Int) throws -> [StoredRecordRow] {
        try run {
            try queue.read { db in
                let rows: [Row]
                if let after {
                    rows = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT record_id, version, body FROM records WHERE group_id = ? AND (record_id, version) > (?, ?)
                            ORDER BY record_id, version LIMIT ?
                            """,
                        // A row-value comparison, so SQLite seeks in the (group_id, record_id, version) index instead of rescanning the group per page.
                        arguments: [Data(group.bytes), Data(after.id.bytes), Int64(after.version), limit])
                } else {
                    rows = try Row.fetchAll(
                        db, sql: "SELECT record_id, version, body FROM records WHERE group_id = ? ORDER BY record_id, version LIMIT ?",
                        arguments: [Data(group.bytes), limit])
                }
                return try rows.map { row in
                    guard let id = try? row.decode(Data.self, atIndex: 0), let version = try? row.decode(Int64.self, atIndex: 1),
                        let body = try? row.decode(Data.self, atIndex: 2), let recordID = try? Identifier(bytes: [UInt8](id)),
                        let version32 = UInt32(exactly: version)
                    else {
                        throw KithVaultError.integrity("a stored record row in \(path) is malformed")
                    }
                    return StoredRecordRow(recordID: recordID, version: version32, body: [UInt8](body))
                }
            }
        }
    }

    public func replaceRecordBodies(_ rows: [StoredRecordRow]) throws {
        try run {
            try queue.write { db in
                let update = try db.cachedStatement(sql: "UPDATE records SET body = ? WHERE record_id = ? AND version = ?")
                for row in rows {
                    try update.execute(arguments: [Data(row.body), Data(row.recordID.bytes), Int64(row.version)])
                    guard db.changesCount == 1 else {
                        throw KithVaultError.integrity("record \(row.recordID) version \(row.version) vanished from the store during a rekey")
                    }
                }
            }
        }
    }

    public func insertMissingRecords(_ rows: [RecordRow], expectedCount: UInt64) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try run {
            try queue.write { db in
                let count = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries") ?? 0
                guard count == Int64(clamping: expectedCount) else { throw VaultStoreConflict() }
                let insert = try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO records (record_id, version, group_id, entry_seq, body) VALUES (?, ?, ?, ?, ?)")
                var inserted = 0
                for row in rows {
                    try insert.execute(arguments: [Data(row.recordID.bytes), Int64(row.version), Data(row.groupID.bytes), Int64(row.entrySeq), Data(row.body)])
                    inserted += db.changesCount
                }
                return inserted
            }
        }
    }

    public func purgeReplacedBytes() throws -> PurgeOutcome {
        try run {
            try queue.writeWithoutTransaction { db in
                // (busy, frames in the log, frames copied): busy means a reader kept the log from being emptied.
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                let busy: Int = row?[0] ?? 1
                return busy == 0 ? .complete : .writeAheadLogInUse
            }
        }
    }

    public func latestCheckpoint(containing marker: String?) throws -> String? {
        try run {
            try queue.read { db in
                guard let marker else { return try String.fetchOne(db, sql: "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1") }
                // instr, not LIKE: a marker's '_' or '%' must match only itself.
                return try String.fetchOne(
                    db, sql: "SELECT note FROM checkpoints WHERE instr(note, ?) > 0 ORDER BY size DESC LIMIT 1", arguments: [marker])
            }
        }
    }

    public func checkpoint(size: UInt64) throws -> String? {
        try run { try queue.read { db in try String.fetchOne(db, sql: "SELECT note FROM checkpoints WHERE size = ?", arguments: [Int64(size)]) } }
    }

    public func updateCheckpoint(size: UInt64, from old: String, to new: String) throws -> Bool {
        try run {
            try queue.write { db in
                try db.execute(sql: "UPDATE checkpoints SET note = ? WHERE size = ? AND note = ?", arguments: [new, Int64(size), old])
                return db.changesCount == 1
            }
        }
    }

    public func records(writtenBy seqs: Range<UInt64>) throws -> [RecordRow] {
        try run {
            try queue.read { db in
                let rows = try Row.fetchAll(
                    db, sql: "SELECT record_id, version, group_id, entry_seq, body FROM records WHERE entry_seq >= ? AND entry_seq < ? ORDER BY entry_seq, record_id, version",
                    arguments: [Int64(seqs.lowerBound), Int64(seqs.upperBound)])
                return try rows.map { row in
                    guard let id = try? row.decode(Data.self, atIndex: 0), let version = try? row.decode(Int64.self, atIndex: 1),
                        let group = try? row.decode(Data.self, atIndex: 2), let seq = try? row.decode(Int64.self, atIndex: 3),
                        let body = try? row.decode(Data.self, atIndex: 4), let recordID = try? Identifier(bytes: [UInt8](id)),
                        let groupID = try? Identifier(bytes: [UInt8](group)), let version32 = UInt32(exactly: version), let seq64 = UInt64(exactly: seq)
                    else {
                        throw KithVaultError.integrity("a stored record row in \(path) is malformed")
                    }
                    return RecordRow(recordID: recordID, version: version32, groupID: groupID, entrySeq: seq64, body: [UInt8](body))
                }
            }
        }
    }

    public func checkpointSizes() throws -> [UInt64] {
        try run { try queue.read { db in try Int64.fetchAll(db, sql: "SELECT size FROM checkpoints ORDER BY size").compactMap(UInt64.init(exactly:)) } }
    }

    /// Test and tooling hook: overwrites a stored record's bytes (to
    /// simulate tampering by someone holding the file).
    func overwriteRecordForTesting(_ id: RecordID, version: UInt32, body: [UInt8]) throws {
        try run {
            try queue.write { db in
                try db.execute(sql: "UPDATE records SET body = ? WHERE record_id = ? AND version = ?", arguments: [Data(body), Data(id.bytes), Int64(version)])
            }
        }
    }
}
