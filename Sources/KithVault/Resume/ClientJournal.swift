import Foundation
import GRDB

/// What one client keeps of what it verified, so that a store restored
/// from an old backup can be healed from it (`Vault.heal`): the exact
/// bytes of the newest log entries this client verified, and the stored
/// record versions it wrote itself (until they are erased). A small SQLite
/// file per identity and vault, `<state>/<fingerprint>/<user>.journal`,
/// mode 0600.
///
/// It holds only what the store holds: signed entries (public ids, sealed
/// names and envelopes, hashes) and records' ciphertext, nothing decrypted.
/// Nothing in it is trusted on its own: healing checks every entry's
/// signature, chain and rights as a replay does, and against the newest
/// checkpoint this device remembers, and every record version against the
/// content hash its log entry signs and by opening it; telling an admin's
/// acceptance of a restore from an old one checks the journal's entries
/// against the head of this device's tagged resume cache. So it needs no
/// tags of its own; damage costs only what it held. Unlike the resume
/// cache it is never rebuilt from the store: its whole point is holding
/// what the store may lose.
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
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Rows of erased records are zeroed as they go, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try migrator.migrate(queue)
        for suffix in ["", "-wal", "-shm"] { chmod(path + suffix, 0o600) }
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

    /// Removes the journal's files, and any set aside (a removed identity keeps nothing).
    static func remove(path: String) {
        let folder = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasPrefix(name) {
            try? FileManager.default.removeItem(atPath: folder + "/" + file)
        }
    }

    /// Closes the file (before it is moved aside).
    func close() throws { try queue.close() }

    // MARK: Reading

    /// The positions the journal holds, `start..<end` (contiguous), or nil when it holds none.
    func span() throws -> Range<UInt64>? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT MIN(seq), MAX(seq) FROM entries"),
                let low = try? row.decode(Int64?.self, atIndex: 0), let high = try? row.decode(Int64?.self, atIndex: 1),
                let start = UInt64(exactly: low), let last = UInt64(exactly: high), last < UInt64.max, start <= last
            else { return nil }
            return start..<(last + 1)
        }
    }

    /// The entry kept at exactly `seq`, or nil.
    func entry(at seq: UInt64) throws -> [UInt8]? {
        try queue.read { db in try Data.fetchOne(db, sql: "SELECT bytes FROM entries WHERE seq = ?", arguments: [Int64(clamping: seq)]).map { [UInt8]($0) } }
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
                guard let idBytes = try? row.decode(Data.self, atIndex: 0), let id = try? RecordID(bytes: [UInt8](idBytes)),
                    let rawVersion = try? row.decode(Int64.self, atIndex: 1), let version = UInt32(exactly: rawVersion),
                    let groupBytes = try? row.decode(Data.self, atIndex: 2), let group = try? GroupID(bytes: [UInt8](groupBytes)),
                    let rawSeq = try? row.decode(Int64.self, atIndex: 3), let seq = UInt64(exactly: rawSeq), let body = try? row.decode(Data.self, atIndex: 4)
                else { return nil }
                return RecordRow(recordID: id, version: version, groupID: group, entrySeq: seq, body: [UInt8](body))
            }
        }
    }

    // MARK: Writing

    /// Keeps `entries` (consecutive, the first at `from`) and `records`,
    /// forgets the record versions of `erased` records (the journal keeps
    /// nothing an erasure removed), then entries older than the newest
    /// `limit` and the record versions kept before them. When the journal
    /// held another entry at `from`, what it held from there on belonged to
    /// a history this client no longer follows, and goes; so does all it
    /// held when the new entries do not follow on (a gap). Another process
    /// of this user keeping the same entries meanwhile changes nothing.
    func keep(entries: [[UInt8]], from: UInt64, records: [RecordRow] = [], erased: [RecordID] = [], keptAt: UInt64, limit: UInt64) throws {
        guard !entries.isEmpty || !records.isEmpty || !erased.isEmpty else { return }
        try queue.inTransaction(.immediate) { db in
            if let first = entries.first {
                let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM entries")
                let held = try Data.fetchOne(db, sql: "SELECT bytes FROM entries WHERE seq = ?", arguments: [Int64(clamping: from)])
                if let last, last < Int64(clamping: from) - 1 {
                    try db.execute(sql: "DELETE FROM entries")
                } else if let held, [UInt8](held) != first {
                    try db.execute(sql: "DELETE FROM entries WHERE seq >= ?", arguments: [Int64(clamping: from)])
                }
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO entries (seq, bytes) VALUES (?, ?)")
                for (offset, bytes) in entries.enumerated() { try insert.execute(arguments: [Int64(clamping: from) + Int64(offset), Data(bytes)]) }
            }
            let forget = try db.cachedStatement(sql: "DELETE FROM records WHERE record_id = ?")
            for id in erased { try forget.execute(arguments: [Data(id.bytes)]) }
            let row = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO records (record_id, version, group_id, entry_seq, kept_at, body) VALUES (?, ?, ?, ?, ?, ?)")
            for record in records where !erased.contains(record.recordID) {
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
