import Foundation
import GRDB

/// What one client keeps of what it verified, so that a store restored
/// from an old backup can be healed from it (`Vault.heal`): the exact
/// bytes of the newest log entries this client verified, and the stored
/// record versions it wrote or re-keyed itself. A small SQLite file per
/// identity and vault, `<state>/<fingerprint>/<user>.journal`, mode 0600.
///
/// It holds only what the store holds: signed entries (public ids, sealed
/// names and envelopes, hashes) and records' ciphertext, nothing decrypted.
/// Nothing in it is trusted: healing checks every entry's signature,
/// chain and rights as a replay does, and every record version against
/// the content hash its log entry signs. So it needs no tags; damage costs
/// only what it held. Unlike the resume cache it is never rebuilt from the
/// store: its whole point is holding what the store may lose.
final class ClientJournal: @unchecked Sendable {
    // @unchecked: immutable after init; GRDB's queue serialises the file.

    /// The file's format version.
    static let format = 1

    let path: String
    private let queue: DatabaseQueue

    private init(path: String, queue: DatabaseQueue) {
        self.path = path
        self.queue = queue
    }

    /// The journal at `path`, created (mode 0600) when missing.
    static func open(path: String) throws -> ClientJournal {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "kith-client-journal"
        // A copy of a copy: after a power cut it may miss the last commit, never be torn.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try migrator.migrate(queue)
        chmod(path, 0o600)
        return ClientJournal(path: path, queue: queue)
    }

    /// The journal at `path` when there is one.
    static func openIfPresent(path: String) throws -> ClientJournal? {
        FileManager.default.fileExists(atPath: path) ? try open(path: path) : nil
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: entries and records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE entries (
                        seq INTEGER PRIMARY KEY,
                        bytes BLOB NOT NULL
                    );
                    CREATE TABLE records (
                        record_id BLOB NOT NULL,
                        version INTEGER NOT NULL,
                        group_id BLOB NOT NULL,
                        entry_seq INTEGER NOT NULL,
                        kept_at INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (record_id, version)
                    ) WITHOUT ROWID;
                    CREATE INDEX records_by_kept ON records (kept_at);
                    CREATE INDEX records_by_entry ON records (entry_seq);
                    """)
        }
        return migrator
    }

    /// Removes the journal's files (a removed identity keeps nothing).
    static func remove(path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Closes the file (before it is moved aside).
    func close() throws { try queue.close() }

    // MARK: Reading

    /// The positions the journal holds, `start..<end` (contiguous), or nil when it holds none.
    func span() throws -> Range<UInt64>? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT MIN(seq), MAX(seq) FROM entries"),
                let low = row[0] as Int64?, let high = row[1] as Int64?, let start = UInt64(exactly: low), let last = UInt64(exactly: high)
            else { return nil }
            return start..<(last + 1)
        }
    }

    /// At most `limit` entries' bytes from `seq` on, in order.
    func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]] {
        try queue.read { db in
            try Data.fetchAll(db, sql: "SELECT bytes FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [Int64(clamping: seq), limit]).map { [UInt8]($0) }
        }
    }

    /// The record versions kept, ordered by record id and version, a page at
    /// a time after (`id`, `version`); those written by entries in `seqs` only when given.
    func records(after: (id: RecordID, version: UInt32)?, limit: Int, writtenBy seqs: Range<UInt64>? = nil) throws -> [RecordRow] {
        try queue.read { db in
            var sql = "SELECT record_id, version, group_id, entry_seq, body FROM records"
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let after {
                conditions.append("(record_id > ? OR (record_id = ? AND version > ?))")
                arguments += [Data(after.id.bytes), Data(after.id.bytes), Int64(after.version)]
            }
            if let seqs {
                conditions.append("entry_seq >= ? AND entry_seq < ?")
                arguments += [Int64(clamping: seqs.lowerBound), Int64(clamping: seqs.upperBound)]
            }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY record_id, version LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row -> RecordRow? in
                // A row damaged on this device is passed over: healing checks what it restores anyway.
                guard let id = try? RecordID(bytes: [UInt8](row[0] as Data)), let version = UInt32(exactly: row[1] as Int64),
                    let group = try? GroupID(bytes: [UInt8](row[2] as Data)), let seq = UInt64(exactly: row[3] as Int64)
                else { return nil }
                return RecordRow(recordID: id, version: version, groupID: group, entrySeq: seq, body: [UInt8](row[4] as Data))
            }
        }
    }

    // MARK: Writing

    /// Keeps `entries` (consecutive, the first at `from`) and `records`,
    /// then forgets entries older than the newest `limit` and the record
    /// versions kept before them. Entries the journal held from `from` on
    /// belonged to a history this client no longer follows, and go; so do
    /// all it held when the new ones do not follow on (a gap).
    func keep(entries: [[UInt8]], from: UInt64, records: [RecordRow] = [], keptAt: UInt64, limit: UInt64) throws {
        guard !entries.isEmpty || !records.isEmpty else { return }
        try queue.inTransaction(.immediate) { db in
            if !entries.isEmpty {
                let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM entries")
                if let last, last + 1 < Int64(clamping: from) {
                    try db.execute(sql: "DELETE FROM entries")
                } else {
                    try db.execute(sql: "DELETE FROM entries WHERE seq >= ?", arguments: [Int64(clamping: from)])
                }
                let insert = try db.cachedStatement(sql: "INSERT INTO entries (seq, bytes) VALUES (?, ?)")
                for (offset, bytes) in entries.enumerated() { try insert.execute(arguments: [Int64(clamping: from) + Int64(offset), Data(bytes)]) }
            }
            let row = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO records (record_id, version, group_id, entry_seq, kept_at, body) VALUES (?, ?, ?, ?, ?, ?)")
            for record in records {
                try row.execute(arguments: [
                    Data(record.recordID.bytes), Int64(record.version), Data(record.groupID.bytes), Int64(clamping: record.entrySeq),
                    Int64(clamping: keptAt), Data(record.body),
                ])
            }
            let end = from + UInt64(entries.count)
            if end > limit {
                let oldest = Int64(clamping: end - limit)
                try db.execute(sql: "DELETE FROM entries WHERE seq < ?", arguments: [oldest])
                try db.execute(sql: "DELETE FROM records WHERE kept_at < ? AND entry_seq < ?", arguments: [oldest, oldest])
            }
            return .commit
        }
    }
}
