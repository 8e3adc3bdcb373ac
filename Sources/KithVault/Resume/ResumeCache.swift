import Foundation
import GRDB
import KithCrypto
import KithLog

/// The head of a resume cache: the replayed state (without its records) and
/// the Merkle tree's frontier at `size` entries, authenticated as a whole.
struct ResumeHead {
    /// Log entries the state covers.
    let size: UInt64
    /// The tree's frontier at `size` (`MerkleTree.frontier`).
    let frontier: [[UInt8]]
    /// `VaultState.encodeSnapshot()`.
    let snapshot: [UInt8]
}

/// What one client keeps outside the store so that opening the vault reads
/// only the entries appended since it last looked: a small SQLite file per
/// identity and vault, `<state>/<fingerprint>/<user>.cache`, mode 0600.
///
/// It holds the replayed state in the open form the log itself has (ids,
/// public keys, roles, epochs, sealed names and envelopes, content hashes),
/// never a decrypted name or value. Every row carries a keyed BLAKE2b tag
/// under a key only this identity derives, bound to the vault and the user:
/// a cache from another identity or vault, or with any byte changed, fails
/// its tag. The head is checked whole on open; a record row when it is read,
/// so a command reads only the records it touches. Anything wrong costs one
/// full replay of the log (never an error, never a wrong answer): a bad head
/// is ignored, and a bad row makes the cache answer from a fresh replay.
final class ResumeCache: RecordSource, @unchecked Sendable {
    // @unchecked: `lock` guards `fallback` and `rebuilder`; the rest is
    // immutable, and GRDB's queue serialises access to the file.

    /// The cache file's format version (in the head row).
    static let format = 1
    /// The `crypto_kdf` context of the tag key.
    static let keyPurpose = "kithcach"

    let path: String
    let baseSize: UInt64
    fileprivate let queue: DatabaseQueue
    private let key: KeyBox
    private let binding: [UInt8]
    private let counts: [GroupID: Int]
    private let lock = NSLock()
    /// After a bad row: every record as of `baseSize`, from a full replay.
    private var fallback: [RecordID: RecordState]?
    private var rebuilder: (@Sendable () throws -> [RecordID: RecordState])?
    /// Replays the log to `baseSize` and returns its records (set by the vault).
    var rebuild: (@Sendable () throws -> [RecordID: RecordState])? {
        get { lock.withLock { rebuilder } }
        set { lock.withLock { rebuilder = newValue } }
    }

    private init(path: String, queue: DatabaseQueue, key: KeyBox, binding: [UInt8], baseSize: UInt64, counts: [GroupID: Int]) {
        self.path = path
        self.queue = queue
        self.key = key
        self.binding = binding
        self.baseSize = baseSize
        self.counts = counts
    }

    /// Whether a row failed its check and the cache now answers from a replay.
    var isDamaged: Bool { lock.withLock { fallback != nil } }

    // MARK: Opening

    /// What is bound into every tag: the vault and the user.
    static func binding(fingerprint: [UInt8], user: UserID) -> [UInt8] {
        var w = ByteWriter()
        w.string("kith/v1/resume-cache")
        w.fixed(fingerprint)
        w.fixed(user.bytes)
        return w.bytes
    }

    /// The cache at `path` with its checked head, or nil with the reason it
    /// cannot be used (missing, damaged, another identity's or vault's, or
    /// another format): the caller then replays the whole log.
    static func open(path: String, key: KeyBox, fingerprint: [UInt8], user: UserID) -> Result<(ResumeCache, ResumeHead), ResumeCacheProblem> {
        guard FileManager.default.fileExists(atPath: path) else { return .failure(.missing) }
        let binding = binding(fingerprint: fingerprint, user: user)
        do {
            let queue = try openQueue(path)
            guard let head = try queue.read({ db in try readHead(db, key: key, binding: binding) }) else { return .failure(.damaged) }
            let state = try VaultState.decodeSnapshot(head.snapshot, records: nil)
            guard state.fingerprint == fingerprint, state.count == head.size else { return .failure(.damaged) }
            var counts: [GroupID: Int] = [:]
            for group in state.groups.keys { counts[group] = state.records.count(in: group) }
            let cache = ResumeCache(path: path, queue: queue, key: key, binding: binding, baseSize: head.size, counts: counts)
            return .success((cache, head))
        } catch {
            return .failure(.damaged)
        }
    }

    private static func openQueue(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "kith-resume-cache"
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try migrator.migrate(queue)
        return queue
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: head and records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE head (
                        one INTEGER PRIMARY KEY CHECK (one = 1),
                        format INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        frontier BLOB NOT NULL,
                        state BLOB NOT NULL,
                        tag BLOB NOT NULL
                    );
                    CREATE TABLE records (
                        id BLOB PRIMARY KEY,
                        grp BLOB NOT NULL,
                        parent BLOB,
                        body BLOB NOT NULL,
                        tag BLOB NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX records_by_group ON records (grp);
                    CREATE INDEX records_by_parent ON records (parent);
                    """)
        }
        migrator.registerMigration("v2: tree nodes") { db in
            // Roots of complete subtrees of 256 leaves and up: with the store's
            // entries for the levels below, every proof without a full replay.
            try db.execute(
                sql: """
                    CREATE TABLE nodes (
                        level INTEGER NOT NULL,
                        idx INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        tag BLOB NOT NULL,
                        PRIMARY KEY (level, idx)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// The lowest level of the tree whose nodes the cache keeps (subtrees of 2^8 = 256 leaves).
    static let nodeLevel = 8

    // MARK: Tags

    private static func tag(_ parts: [[UInt8]], key: KeyBox) throws -> [UInt8] {
        var w = ByteWriter()
        for part in parts { w.data(part) }
        return try BLAKE2b.hash(w.bytes, key: key.key, outputLength: 32)
    }

    private static func headTag(size: UInt64, frontier: [UInt8], snapshot: [UInt8], key: KeyBox, binding: [UInt8]) throws -> [UInt8] {
        var w = ByteWriter()
        w.u64(UInt64(format))
        w.u64(size)
        return try tag([Array("head".utf8), binding, w.bytes, frontier, snapshot], key: key)
    }

    private static func nodeTag(level: Int, index: UInt64, hash: [UInt8], key: KeyBox, binding: [UInt8]) throws -> [UInt8] {
        var w = ByteWriter()
        w.u64(UInt64(level))
        w.u64(index)
        return try tag([Array("node".utf8), binding, w.bytes, hash], key: key)
    }

    private static func rowTag(id: [UInt8], group: [UInt8], parent: [UInt8], body: [UInt8], key: KeyBox, binding: [UInt8]) throws -> [UInt8] {
        try tag([Array("record".utf8), binding, id, group, parent, body], key: key)
    }

    /// Constant-time comparison of two tags.
    private static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool { ConstantTime.equal(a, b) }

    private static func readHead(_ db: Database, key: KeyBox, binding: [UInt8]) throws -> ResumeHead? {
        guard let row = try Row.fetchOne(db, sql: "SELECT format, size, frontier, state, tag FROM head WHERE one = 1"),
            let format = try? row.decode(Int64.self, atIndex: 0), format == Int64(Self.format),
            let size = try? row.decode(Int64.self, atIndex: 1), let size = UInt64(exactly: size),
            let frontier = try? row.decode(Data.self, atIndex: 2), let state = try? row.decode(Data.self, atIndex: 3),
            let tag = try? row.decode(Data.self, atIndex: 4)
        else { return nil }
        let frontierBytes = [UInt8](frontier), snapshot = [UInt8](state)
        guard same(try headTag(size: size, frontier: frontierBytes, snapshot: snapshot, key: key, binding: binding), [UInt8](tag)),
            frontierBytes.count == size.nonzeroBitCount * 32
        else { return nil }
        let hashes = stride(from: 0, to: frontierBytes.count, by: 32).map { Array(frontierBytes[$0..<$0 + 32]) }
        return ResumeHead(size: size, frontier: hashes, snapshot: snapshot)
    }

    // MARK: Reading records (RecordSource)

    /// A row checked against its tag and its columns, as of `baseSize`
    /// (versions written later, by another process of this user saving a
    /// newer cache meanwhile, are not part of this state yet).
    private func checkedRow(_ row: Row) throws -> RecordState? {
        guard let id = try? row.decode(Data.self, atIndex: 0), let group = try? row.decode(Data.self, atIndex: 1),
            let body = try? row.decode(Data.self, atIndex: 3), let tag = try? row.decode(Data.self, atIndex: 4)
        else { throw ResumeCacheProblem.damaged }
        let parent = (try? row.decode(Data?.self, atIndex: 2)).flatMap { $0 }
        let expected = try Self.rowTag(
            id: [UInt8](id), group: [UInt8](group), parent: parent.map { [UInt8]($0) } ?? [], body: [UInt8](body), key: key, binding: binding)
        guard Self.same(expected, [UInt8](tag)) else { throw ResumeCacheProblem.damaged }
        let record = try RecordState.decodeRow([UInt8](body))
        guard record.id.bytes == [UInt8](id), record.group.bytes == [UInt8](group), record.parent?.bytes == parent.map({ [UInt8]($0) }) else {
            throw ResumeCacheProblem.damaged
        }
        let versions = record.versions.filter { $0.seq < baseSize }
        guard !versions.isEmpty else { return nil }
        // An erasure this state has not reached yet (a newer cache saved meanwhile) is not part of it either.
        let erasure = record.erasure.flatMap { $0.seq < baseSize ? $0 : nil }
        return RecordState(id: record.id, group: record.group, kind: record.kind, parent: record.parent, versions: versions, erasure: erasure)
    }

    private static let columns = "id, grp, parent, body, tag"

    /// Runs a lazy read; after any failure, answers from a full replay instead.
    private func answer<T>(_ read: (Database) throws -> T, replayed: ([RecordID: RecordState]) -> T) throws -> T {
        if let fallback = lock.withLock({ fallback }) { return replayed(fallback) }
        do {
            return try queue.read(read)
        } catch {
            guard let rebuild else { throw KithVaultError.integrity("the resume cache \(path) is damaged") }
            let records = try rebuild()
            lock.withLock { fallback = records }
            return replayed(records)
        }
    }

    func record(_ id: RecordID) throws -> RecordState? {
        try answer(
            { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM records WHERE id = ?", arguments: [Data(id.bytes)]) else { return nil }
                return try checkedRow(row)
            }, replayed: { $0[id] })
    }

    /// Every checked row that `condition` (SQL after WHERE, or nil) selects,
    /// as of this cache's size; `expected`, when given, is how many there must be.
    private func checkedRows(_ db: Database, where condition: String?, _ arguments: StatementArguments = [], expected: Int? = nil) throws -> [RecordState] {
        let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.columns) FROM records" + (condition.map { " WHERE " + $0 } ?? ""), arguments: arguments)
        var found: [RecordState] = []
        while let row = try rows.next() { if let record = try checkedRow(row) { found.append(record) } }
        // A row gone missing (or moved to another group) must not shorten a listing.
        if let expected, found.count != expected { throw ResumeCacheProblem.damaged }
        return found
    }

    func records(in group: GroupID) throws -> [RecordState] {
        try answer(
            { db in try checkedRows(db, where: "grp = ?", [Data(group.bytes)], expected: counts[group] ?? 0) },
            replayed: { $0.values.filter { $0.group == group } })
    }

    func children(of parent: RecordID) throws -> [RecordState] {
        try answer({ db in try checkedRows(db, where: "parent = ?", [Data(parent.bytes)]) }, replayed: { $0.values.filter { $0.parent == parent } })
    }

    func records(from lower: RecordID, through upper: RecordID) throws -> [RecordState] {
        try answer(
            { db in try checkedRows(db, where: "id >= ? AND id <= ?", [Data(lower.bytes), Data(upper.bytes)]) },
            replayed: { $0.values.filter { !($0.id < lower) && !(upper < $0.id) } })
    }

    func all() throws -> [RecordState] {
        try answer({ db in try checkedRows(db, where: nil, expected: counts.values.reduce(0, +)) }, replayed: { Array($0.values) })
    }

    /// The kept root of subtree `index` at `level` (at or above `nodeLevel`),
    /// or nil when it is not kept or fails its tag.
    func node(level: Int, index: UInt64) -> [UInt8]? {
        guard level >= Self.nodeLevel, let index64 = Int64(exactly: index) else { return nil }
        let row = try? queue.read { db in
            try Row.fetchOne(db, sql: "SELECT hash, tag FROM nodes WHERE level = ? AND idx = ?", arguments: [level, index64])
        }
        guard let row, let hash = try? row.decode(Data.self, atIndex: 0), let tag = try? row.decode(Data.self, atIndex: 1),
            let expected = try? Self.nodeTag(level: level, index: index, hash: [UInt8](hash), key: key, binding: binding),
            Self.same(expected, [UInt8](tag))
        else { return nil }
        return [UInt8](hash)
    }

    // MARK: Saving

    /// Saves `state` and the tree's `frontier` to the cache at `path`, if
    /// it is newer than what the file holds. Records: those changed since
    /// `state` was resumed, or all of them when it was replayed from
    /// genesis (or its cache turned out damaged). Another process of this
    /// user saving at the same time is serialised by SQLite; the newer state
    /// wins, and a state resumed from an older head than the file now holds
    /// saves only if its changes (the unsaved records, which cover every
    /// change since `changesSince` entries) still cover the gap. `changesSince`
    /// nil: this state has never been saved and was not resumed, so every
    /// record is written (once; later saves of the same vault are incremental).
    /// With `replacingNewer` (a restore an admin accepted), a newer head in the file is replaced too.
    static func save(state: VaultState, tree: MerkleTree, changesSince: UInt64?, path: String, key: KeyBox, user: UserID, replacingNewer: Bool = false) throws {
        let frontier = tree.frontier
        let binding = binding(fingerprint: state.fingerprint, user: user)
        let damaged = (state.records.base as? ResumeCache)?.isDamaged == true
        let full = changesSince == nil || damaged
        let records = full ? try state.records.all() : state.records.unsavedRecords
        let snapshot = state.encodeSnapshot()
        let frontierBytes = frontier.flatMap { $0 }
        let headTag = try headTag(size: state.count, frontier: frontierBytes, snapshot: snapshot, key: key, binding: binding)
        let queue: DatabaseQueue
        if let resumedFrom = state.records.base as? ResumeCache, resumedFrom.path == path {
            // The file this state was resumed from is open already: no second connection per command.
            queue = resumedFrom.queue
        } else {
            do { queue = try openQueue(path) } catch {
                // A file SQLite cannot read is replaced.
                try? FileManager.default.removeItem(atPath: path)
                queue = try openQueue(path)
            }
        }
        try queue.inTransaction(.immediate) { db in
            let current = try readHead(db, key: key, binding: binding)
            if let current, current.size >= state.count, !replacingNewer { return .rollback }
            if full {
                try db.execute(sql: "DELETE FROM records")
                try db.execute(sql: "DELETE FROM nodes")
            } else {
                // Only onto a head from which the unsaved changes cover everything up to this state.
                guard let current, current.size >= changesSince ?? 0 else { return .rollback }
            }
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO records (id, grp, parent, body, tag) VALUES (?, ?, ?, ?, ?)")
            for record in records {
                let body = record.encodeRow()
                let parent = record.parent?.bytes ?? []
                let tag = try rowTag(id: record.id.bytes, group: record.group.bytes, parent: parent, body: body, key: key, binding: binding)
                try statement.execute(arguments: [
                    Data(record.id.bytes), Data(record.group.bytes), record.parent.map { Data($0.bytes) }, Data(body), Data(tag),
                ])
            }
            // Tree nodes completed since the changes began (all of them on a full save).
            let insertNode = try db.cachedStatement(sql: "INSERT OR REPLACE INTO nodes (level, idx, hash, tag) VALUES (?, ?, ?, ?)")
            let from = full ? 0 : changesSince ?? 0
            for level in nodeLevel..<64 {
                let (first, hashes) = tree.heldNodes(level: level)
                if hashes.isEmpty { continue }
                for (offset, hash) in hashes.enumerated() {
                    let index = first + UInt64(offset)
                    // Completed after `from`: its last leaf is at or after it.
                    guard (index + 1) << UInt64(level) > from else { continue }
                    let tag = try nodeTag(level: level, index: index, hash: hash, key: key, binding: binding)
                    try insertNode.execute(arguments: [level, Int64(index), Data(hash), Data(tag)])
                }
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO head (one, format, size, frontier, state, tag) VALUES (1, ?, ?, ?, ?, ?)",
                arguments: [Int64(format), Int64(state.count), Data(frontierBytes), Data(snapshot), Data(headTag)])
            return .commit
        }
        chmod(path, 0o600)
    }
}

/// Why a resume cache was not used (the vault then replays the whole log).
public enum ResumeCacheProblem: Error, Equatable, Sendable {
    /// There is none yet.
    case missing
    /// It failed a check: damaged, another identity's or vault's, or another format.
    case damaged
    /// It is ahead of the store or does not chain to it (left over from a rolled-back or replaced store).
    case notThisStore
}
