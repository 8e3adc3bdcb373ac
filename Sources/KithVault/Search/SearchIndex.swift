import Foundation
import GRDB
import KithCrypto

/// What the index holds for one group, sealed in its row: how far into the
/// log it reaches, for which readable compartments, how many record ids it
/// has numbered, and each bucket's write counter (bound into the bucket's
/// sealing, so a bucket swapped for an older copy or deleted is noticed).
///
/// ```
/// u8 format (1), u64 entries covered, u8 readable mask, u32 ordinals,
/// u16 bucket count, then per bucket in use: u16 bucket, u32 counter
/// ```
struct IndexManifest: Equatable {
    static let format: UInt8 = 1
    /// The log entries whose record versions are indexed (those before this size).
    var through: UInt64
    /// The compartments readable when the group was indexed (`GroupPolicy.mask`).
    var readable: UInt8
    /// Record ids numbered so far (ordinals 0..<ordinals).
    var ordinals: UInt32 = 0
    /// Write counter per bucket in use.
    var counters: [UInt16: UInt32] = [:]

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 24 + counters.count * 6)
        w.u8(Self.format)
        w.u64(through)
        w.u8(readable)
        w.u32(ordinals)
        w.u16(UInt16(counters.count))
        for (bucket, counter) in counters.sorted(by: { $0.key < $1.key }) {
            w.u16(bucket)
            w.u32(counter)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> IndexManifest {
        var r = ByteReader(bytes, what: "search index manifest")
        guard try r.u8() == format else { throw SearchIndexDamaged() }
        var manifest = IndexManifest(through: try r.u64(), readable: try r.u8(), ordinals: try r.u32())
        for _ in 0..<Int(try r.u16()) {
            let bucket = try r.u16()
            guard Int(bucket) < SearchIndex.bucketCount else { throw SearchIndexDamaged() }
            manifest.counters[bucket] = try r.u32()
        }
        try r.finish()
        return manifest
    }
}

/// The search index: one SQLite file per identity and vault beside the
/// resume cache, `<state>/<fingerprint>/<user>.search`, mode 0600. Never
/// in the store, so neither a copy of the store nor its operator learns
/// anything from search, or can hide a result.
///
/// It holds no term and no value: terms are SipHash values under a key
/// derived from the identity (never stored), and every row is sealed
/// (XChaCha20-Poly1305, under a second derived key) with its place bound
/// in: the group's manifest, buckets of term hashes with record ordinals,
/// and chunks of 256 record ids. Someone with the device but not the
/// identity's keys sees how many groups, buckets and ids there are, and
/// their sizes; nothing else. Any row that fails its check makes the
/// caller drop the group's index and build it again.
final class SearchIndex {
    /// The `crypto_kdf` context of the index's master key (derived from the identity).
    static let keyPurpose = "kithsrch"
    /// Buckets per group (a term's bucket is its hash's top 12 bits).
    static let bucketCount = 4096
    /// Record ids per sealed chunk.
    static let chunkSize = 256

    let path: String?
    private let queue: DatabaseQueue
    private let termKey: KeyBox
    private let sealKey: KeyBox
    private let binding: [UInt8]

    private init(path: String?, queue: DatabaseQueue, termKey: KeyBox, sealKey: KeyBox, binding: [UInt8]) {
        self.path = path
        self.queue = queue
        self.termKey = termKey
        self.sealKey = sealKey
        self.binding = binding
    }

    /// Opens (or creates) the index at `path`, or one in memory when
    /// `path` is nil (a vault without a state folder, e.g. in tests).
    /// A file SQLite cannot read is replaced.
    static func open(path: String?, master: borrowing SecureBytes, fingerprint: [UInt8], user: UserID) throws -> SearchIndex {
        let termKey = KeyBox(try KeyDerivation.deriveSubkey(from: master, id: 1, context: "kithterm", length: ShortHash.keyLength))
        let sealKey = KeyBox(try KeyDerivation.deriveSubkey(from: master, id: 2, context: "kithsidx", length: 32))
        var w = ByteWriter()
        w.string("kith/v1/search-index")
        w.fixed(fingerprint)
        w.fixed(user.bytes)
        let queue: DatabaseQueue
        if let path {
            do { queue = try openQueue(path) } catch {
                removeFiles(path)
                queue = try openQueue(path)
            }
        } else {
            queue = try DatabaseQueue()
            try migrator.migrate(queue)
        }
        return SearchIndex(path: path, queue: queue, termKey: termKey, sealKey: sealKey, binding: w.bytes)
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "kith-search-index"
        configuration.prepareDatabase { db in
            // Deleted rows (a dropped group's index) are zeroed, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    private static func openQueue(_ path: String) throws -> DatabaseQueue {
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew {
            // Created 0600 before SQLite writes anything into it.
            let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration())
        try migrator.migrate(queue)
        chmod(path, 0o600)
        return queue
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: manifests, buckets, ids") { db in
            try db.execute(
                sql: """
                    CREATE TABLE groups (
                        grp BLOB PRIMARY KEY,
                        readable INTEGER NOT NULL,
                        manifest BLOB NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE buckets (
                        grp BLOB NOT NULL,
                        bucket INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (grp, bucket)
                    ) WITHOUT ROWID;
                    CREATE TABLE ids (
                        grp BLOB NOT NULL,
                        chunk INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (grp, chunk)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// Removes the index file and SQLite's companions.
    static func removeFiles(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    // MARK: Without the key

    /// The groups an index file holds and the readable mask each was built
    /// for, read without any key (so every command can drop what its user
    /// may no longer read without deriving one). Nil when there is no
    /// readable index there.
    static func indexedGroups(path: String) -> [(GroupID, UInt8)]? {
        guard FileManager.default.fileExists(atPath: path), let queue = try? DatabaseQueue(path: path, configuration: configuration()) else { return nil }
        return try? queue.read { db in
            try Row.fetchAll(db, sql: "SELECT grp, readable FROM groups").compactMap { row -> (GroupID, UInt8)? in
                guard let id = try? Identifier(bytes: [UInt8](row["grp"] as Data)), let mask = UInt8(exactly: row["readable"] as Int64) else { return nil }
                return (id, mask)
            }
        }
    }

    /// Drops the index of `groups` from the file at `path`, zeroing what
    /// it held, without any key.
    static func drop(groups: [GroupID], path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let queue = try DatabaseQueue(path: path, configuration: configuration())
        try queue.write { db in try drop(groups, db) }
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    private static func drop(_ groups: [GroupID], _ db: Database) throws {
        for group in groups {
            for table in ["groups", "buckets", "ids"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE grp = ?", arguments: [Data(group.bytes)])
            }
        }
    }

    // MARK: Terms

    /// A term's keyed hash.
    func hash(_ term: IndexTerm) throws -> UInt64 {
        var bytes = [term.kind.rawValue]
        bytes.append(contentsOf: term.text.utf8)
        return try ShortHash.hash(bytes, key: termKey.key)
    }

    static func bucket(of hash: UInt64) -> UInt16 { UInt16(hash >> 52) }

    // MARK: Sealing

    private func aad(_ what: String, group: GroupID, _ numbers: [UInt64]) -> [UInt8] {
        var w = ByteWriter()
        w.fixed(binding)
        w.string(what)
        w.fixed(group.bytes)
        for number in numbers { w.u64(number) }
        return w.bytes
    }

    private func seal(_ plain: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        var copy = plain
        return try AEAD.xChaCha20Poly1305.seal(try SecureBytes(wiping: &copy), key: sealKey.key, aad: aad)
    }

    private func open(_ sealed: [UInt8], aad: [UInt8]) throws -> SecureBytes {
        do { return try AEAD.xChaCha20Poly1305.open(sealed, key: sealKey.key, aad: aad) } catch { throw SearchIndexDamaged() }
    }

    private func bytes(_ secure: borrowing SecureBytes) -> [UInt8] { secure.withUnsafeBytes { Array($0) } }

    // MARK: Reading

    /// A read of the file; SQLite's refusal (a truncated or garbled file) is `SearchIndexUnreadable`.
    private func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let error as DatabaseError { throw SearchIndexUnreadable(reason: "\(error.resultCode)") }
    }

    private func writing<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch let error as DatabaseError { throw SearchIndexUnreadable(reason: "\(error.resultCode)") }
    }

    /// The group's manifest, or nil when the group is not indexed; throws
    /// `SearchIndexDamaged` when its row fails its check.
    func manifest(_ group: GroupID) throws -> IndexManifest? {
        try reading { db in try manifest(group, db) }
    }

    private func manifest(_ group: GroupID, _ db: Database) throws -> IndexManifest? {
        guard let row = try Row.fetchOne(db, sql: "SELECT readable, manifest FROM groups WHERE grp = ?", arguments: [Data(group.bytes)]) else { return nil }
        guard let sealed = row["manifest"] as Data?, let readable = row["readable"] as Int64? else { throw SearchIndexDamaged() }
        let manifest = try IndexManifest.decode(bytes(open([UInt8](sealed), aad: aad("manifest", group: group, []))))
        guard Int64(manifest.readable) == readable else { throw SearchIndexDamaged() }
        return manifest
    }

    /// The ordinals indexed under each of `hashes` in `group`.
    func lookup(group: GroupID, manifest: IndexManifest, hashes: Set<UInt64>) throws -> [UInt64: [UInt32]] {
        let byBucket = Dictionary(grouping: hashes, by: Self.bucket(of:))
        return try reading { db in
            var found: [UInt64: [UInt32]] = [:]
            for (bucket, wanted) in byBucket {
                guard let counter = manifest.counters[bucket] else { continue }
                guard let sealed = try Data.fetchOne(db, sql: "SELECT body FROM buckets WHERE grp = ? AND bucket = ?", arguments: [Data(group.bytes), Int64(bucket)])
                else { throw SearchIndexDamaged() }
                let plain = try open([UInt8](sealed), aad: aad("bucket", group: group, [UInt64(bucket), UInt64(counter)]))
                found.merge(try PostingBucket.lookup(plain, hashes: Set(wanted))) { a, _ in a }
            }
            return found
        }
    }

    /// The record ids of `ordinals` in `group`.
    func ids(group: GroupID, manifest: IndexManifest, ordinals: Set<UInt32>) throws -> [UInt32: RecordID] {
        let byChunk = Dictionary(grouping: ordinals.filter { $0 < manifest.ordinals }, by: { Int($0) / Self.chunkSize })
        guard ordinals.allSatisfy({ $0 < manifest.ordinals }) else { throw SearchIndexDamaged() }
        return try reading { db in
            var found: [UInt32: RecordID] = [:]
            for (chunk, wanted) in byChunk {
                let ids = try chunkIDs(group: group, chunk: chunk, manifest: manifest, db)
                for ordinal in wanted {
                    let offset = Int(ordinal) - chunk * Self.chunkSize
                    guard offset < ids.count else { throw SearchIndexDamaged() }
                    found[ordinal] = ids[offset]
                }
            }
            return found
        }
    }

    /// How many ids chunk `chunk` holds when `total` are numbered.
    private static func chunkCount(_ chunk: Int, total: UInt32) -> Int { max(0, min(chunkSize, Int(total) - chunk * chunkSize)) }

    private func chunkIDs(group: GroupID, chunk: Int, manifest: IndexManifest, _ db: Database) throws -> [RecordID] {
        let count = Self.chunkCount(chunk, total: manifest.ordinals)
        guard count > 0 else { return [] }
        guard let sealed = try Data.fetchOne(db, sql: "SELECT body FROM ids WHERE grp = ? AND chunk = ?", arguments: [Data(group.bytes), Int64(chunk)])
        else { throw SearchIndexDamaged() }
        let plain = bytes(try open([UInt8](sealed), aad: aad("ids", group: group, [UInt64(chunk), UInt64(count)])))
        guard plain.count == count * Identifier.length else { throw SearchIndexDamaged() }
        return try stride(from: 0, to: plain.count, by: Identifier.length).map { try Identifier(bytes: Array(plain[$0..<$0 + Identifier.length])) }
    }

    // MARK: Writing

    /// Adds record versions to `group`'s index in one transaction: each
    /// gets the next ordinal and its terms' hashes go into their buckets.
    /// `fresh`: the group's index is started again (everything it held is
    /// dropped first). The manifest then covers the log up to `through`
    /// (only moved forward) and was built for the `readable` mask.
    func add(group: GroupID, records: [(RecordID, Set<IndexTerm>)], through: UInt64?, readable: UInt8, fresh: Bool) throws {
        // Hashed outside the transaction: this is the costly part of a build.
        var pending: [UInt16: [(hash: UInt64, ordinal: UInt32)]] = [:]
        var hashed: [[UInt64]] = []
        hashed.reserveCapacity(records.count)
        for (_, terms) in records { hashed.append(try terms.map(hash)) }
        try writing { db in
            var manifest = (fresh ? nil : try manifest(group, db)) ?? IndexManifest(through: 0, readable: readable)
            if fresh { try Self.drop([group], db) }
            guard manifest.readable == readable else { throw SearchIndexDamaged() }
            let first = manifest.ordinals
            for (offset, hashes) in hashed.enumerated() {
                let ordinal = first + UInt32(offset)
                for hash in hashes { pending[Self.bucket(of: hash), default: []].append((hash, ordinal)) }
            }
            for (bucket, pairs) in pending {
                var content = PostingBucket()
                if let counter = manifest.counters[bucket] {
                    guard let sealed = try Data.fetchOne(db, sql: "SELECT body FROM buckets WHERE grp = ? AND bucket = ?", arguments: [Data(group.bytes), Int64(bucket)])
                    else { throw SearchIndexDamaged() }
                    content = try PostingBucket.decode(open([UInt8](sealed), aad: aad("bucket", group: group, [UInt64(bucket), UInt64(counter)])))
                }
                content.add(pairs)
                let counter = (manifest.counters[bucket] ?? 0) &+ 1
                manifest.counters[bucket] = counter
                try db.execute(
                    sql: "INSERT OR REPLACE INTO buckets (grp, bucket, body) VALUES (?, ?, ?)",
                    arguments: [Data(group.bytes), Int64(bucket), Data(try seal(content.encoded, aad: aad("bucket", group: group, [UInt64(bucket), UInt64(counter)])))])
            }
            // The ids: the last chunk grows, then new ones follow.
            let ids = records.map(\.0)
            var next = 0
            var chunk = Int(first) / Self.chunkSize
            while next < ids.count {
                var held = try chunkIDs(group: group, chunk: chunk, manifest: manifest, db)
                let room = Self.chunkSize - held.count
                held += ids[next..<min(ids.count, next + room)]
                next += room
                manifest.ordinals = UInt32(chunk * Self.chunkSize + held.count)
                let plain = held.flatMap(\.bytes)
                try db.execute(
                    sql: "INSERT OR REPLACE INTO ids (grp, chunk, body) VALUES (?, ?, ?)",
                    arguments: [Data(group.bytes), Int64(chunk), Data(try seal(plain, aad: aad("ids", group: group, [UInt64(chunk), UInt64(held.count)])))])
                chunk += 1
            }
            if let through { manifest.through = max(manifest.through, through) }
            try db.execute(
                sql: "INSERT OR REPLACE INTO groups (grp, readable, manifest) VALUES (?, ?, ?)",
                arguments: [Data(group.bytes), Int64(readable), Data(try seal(manifest.encoded, aad: aad("manifest", group: group, [])))])
        }
    }

    /// Drops `group`'s index (it is built again on the next search).
    func drop(group: GroupID) throws {
        try writing { db in try Self.drop([group], db) }
    }
}
