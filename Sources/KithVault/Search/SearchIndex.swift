import Foundation
import GRDB
import KithCrypto

/// What the index holds for one group, sealed in its row: how far into the
/// log it reaches, for which readable compartments, how many record ids it
/// has numbered, which deltas follow the buckets, and which version of the
/// bucket counters goes with it.
///
/// ```
/// u8 format (1), u64 entries covered, u8 readable mask, 32 rules digest, 16 build,
/// u32 ordinals, u32 counters version, u32 next delta number,
/// u16 deltas, then per delta, oldest first: u32 number, u32 records
/// ```
struct IndexManifest: Equatable {
    static let format: UInt8 = 1
    /// The log entries whose record versions are indexed (those before this size).
    var through: UInt64
    /// The compartments readable when the group was indexed (`GroupPolicy.mask`).
    var readable: UInt8
    /// SHA-256 of the search rules the group was indexed by (`SearchRules.digest`).
    var rules: [UInt8]
    /// Random, new with every build of the group's index, and bound into
    /// every row's sealing: rows kept from an earlier build never pass.
    var build: [UInt8] = []
    /// Record ids numbered so far (ordinals 0..<ordinals).
    var ordinals: UInt32 = 0
    /// The version of the bucket counters (bound into their sealing).
    var countersVersion: UInt32 = 0
    /// The number the next delta gets (never reused, and bound into its sealing).
    var nextDelta: UInt32 = 0
    /// The deltas written since the buckets were last rewritten, oldest
    /// first, with how many records each holds.
    var deltas: [(number: UInt32, records: UInt32)] = []

    static func == (a: IndexManifest, b: IndexManifest) -> Bool { a.encoded == b.encoded }

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 32 + deltas.count * 8)
        w.u8(Self.format)
        w.u64(through)
        w.u8(readable)
        w.fixed(rules)
        w.fixed(build)
        w.u32(ordinals)
        w.u32(countersVersion)
        w.u32(nextDelta)
        w.u16(UInt16(clamping: deltas.count))
        for delta in deltas {
            w.u32(delta.number)
            w.u32(delta.records)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> IndexManifest {
        var r = ByteReader(bytes, what: "search index manifest")
        guard try r.u8() == format else { throw SearchIndexDamaged() }
        var manifest = IndexManifest(
            through: try r.u64(), readable: try r.u8(), rules: try r.fixed(32), build: try r.fixed(16), ordinals: try r.u32(), countersVersion: try r.u32(),
            nextDelta: try r.u32())
        for _ in 0..<Int(try r.u16()) {
            let number = try r.u32()
            guard number < manifest.nextDelta else { throw SearchIndexDamaged() }
            manifest.deltas.append((number, try r.u32()))
        }
        try r.finish()
        return manifest
    }
}

/// Each bucket's write counter, bound into the bucket's sealing, so a
/// bucket swapped for an older copy of itself, or deleted, is noticed.
/// Sealed in the group's row beside the manifest, under the manifest's
/// counters version; rewritten only when buckets are.
///
/// ```
/// u16 buckets in use, then per bucket: u16 bucket, u32 counter
/// ```
struct BucketCounters: Equatable {
    var counters: [UInt16: UInt32] = [:]

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 2 + counters.count * 6)
        w.u16(UInt16(counters.count))
        for (bucket, counter) in counters.sorted(by: { $0.key < $1.key }) {
            w.u16(bucket)
            w.u32(counter)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> BucketCounters {
        var r = ByteReader(bytes, what: "search index counters")
        var decoded = BucketCounters()
        for _ in 0..<Int(try r.u16()) {
            let bucket = try r.u16()
            guard Int(bucket) < SearchIndex.bucketCount else { throw SearchIndexDamaged() }
            decoded.counters[bucket] = try r.u32()
        }
        try r.finish()
        return decoded
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
            // A cache of the log: no flush to disk per write. A crash keeps the file
            // consistent and at worst behind, and the next search catches it up.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Read through a mapping, not a system call per page: a search reads a few dozen buckets.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
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
        migrator.registerMigration("v1: manifests, buckets, deltas, ids") { db in
            try db.execute(
                sql: """
                    CREATE TABLE groups (
                        grp BLOB PRIMARY KEY,
                        readable INTEGER NOT NULL,
                        manifest BLOB NOT NULL,
                        counters BLOB NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE deltas (
                        grp BLOB NOT NULL,
                        n INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (grp, n)
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
        return try? queue.read(indexedGroups)
    }

    /// `indexedGroups(path:)` through this open index (no second connection).
    var indexedGroups: [(GroupID, UInt8)]? { try? queue.read(Self.indexedGroups) }

    private static func indexedGroups(_ db: Database) throws -> [(GroupID, UInt8)] {
        try Row.fetchAll(db, sql: "SELECT grp, readable FROM groups").compactMap { row -> (GroupID, UInt8)? in
            guard let id = try? Identifier(bytes: [UInt8](row["grp"] as Data)), let mask = UInt8(exactly: row["readable"] as Int64) else { return nil }
            return (id, mask)
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
            for table in ["groups", "buckets", "deltas", "ids"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE grp = ?", arguments: [Data(group.bytes)])
            }
        }
    }

    // MARK: Terms

    /// A term's keyed hash.
    func hash(_ term: IndexTerm) throws -> UInt64 { try hash(term.kind, Array(term.text.utf8)) }

    /// The keyed hash of a term given as its kind and UTF-8 bytes.
    func hash(_ kind: TermKind, _ text: [UInt8]) throws -> UInt64 {
        var bytes = [kind.rawValue]
        bytes.append(contentsOf: text)
        return try ShortHash.hash(bytes, key: termKey.key)
    }

    /// The hashes of every term of `fields` (those `modes` says are searched).
    func hashes(_ fields: [(value: String, mode: FieldSearchMode)]) throws -> [UInt64] {
        try Self.hashes(fields, key: termKey)
    }

    private static func hashes(_ fields: [(value: String, mode: FieldSearchMode)], key: KeyBox) throws -> [UInt64] {
        var found = Set<UInt64>()
        var failure: Error?
        var bytes: [UInt8] = []
        for field in fields {
            SearchTerms.visit(value: field.value, mode: field.mode) { kind, text in
                bytes.removeAll(keepingCapacity: true)
                bytes.append(kind.rawValue)
                bytes.append(contentsOf: text)
                do { found.insert(try ShortHash.hash(bytes, key: key.key)) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return Array(found)
    }

    /// `hashes` for many records at once, across every core (a build's
    /// costliest step after decryption); the order is kept.
    func hashes(ofRecords records: [[(value: String, mode: FieldSearchMode)]]) throws -> [[UInt64]] {
        let chunk = 512
        let chunks = (records.count + chunk - 1) / chunk
        guard chunks > 1 else { return try records.map { try Self.hashes($0, key: termKey) } }
        let results = HashedChunks(count: chunks)
        let key = termKey
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            let part = records[index * chunk..<min(records.count, (index + 1) * chunk)]
            results.set(index, Result { try part.map { try Self.hashes($0, key: key) } })
        }
        return try results.joined()
    }

    static func bucket(of hash: UInt64) -> UInt16 { UInt16(hash >> 52) }

    // MARK: Sealing

    private func aad(_ what: String, group: GroupID, build: [UInt8] = [], _ numbers: [UInt64]) -> [UInt8] {
        var w = ByteWriter()
        w.fixed(binding)
        w.string(what)
        w.fixed(group.bytes)
        w.data(build)
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

    /// A read of the file. A file SQLite says is not a database, or damaged,
    /// is `SearchIndexUnreadable` (it is started again); any other refusal
    /// (busy, a full disk) is a storage error to report, and nothing is deleted.
    private func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let error as DatabaseError { throw Self.classify(error) }
    }

    private func writing<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch let error as DatabaseError { throw Self.classify(error) }
    }

    private static func classify(_ error: DatabaseError) -> Error {
        switch error.resultCode.primaryResultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT, .SQLITE_IOERR, .SQLITE_CONSTRAINT:
            // CONSTRAINT: rows that contradict the manifest (one put back from elsewhere) are damage too.
            return SearchIndexUnreadable(reason: "\(error.resultCode)")
        default:
            return KithVaultError.storage("the search index could not be used (\(error.resultCode)); nothing was searched", remedy: nil)
        }
    }

    /// The group's manifest, or nil when the group is not indexed; throws
    /// `SearchIndexDamaged` when its row fails its check.
    func manifest(_ group: GroupID) throws -> IndexManifest? {
        try reading { db in try manifest(group, db) }
    }

    private func manifest(_ group: GroupID, _ db: Database) throws -> IndexManifest? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT readable, manifest FROM groups WHERE grp = ?"), arguments: [Data(group.bytes)]) else { return nil }
        guard let sealed = row["manifest"] as Data?, let readable = row["readable"] as Int64? else { throw SearchIndexDamaged() }
        let manifest = try IndexManifest.decode(bytes(open([UInt8](sealed), aad: aad("manifest", group: group, []))))
        guard Int64(manifest.readable) == readable else { throw SearchIndexDamaged() }
        return manifest
    }

    private func counters(_ group: GroupID, manifest: IndexManifest, _ db: Database) throws -> BucketCounters {
        // A long-lived vault asks for the same counters search after search: kept while build and version stand.
        let key = CountersKey(group: group, build: manifest.build, version: manifest.countersVersion)
        if let known = countersLock.withLock({ knownCounters[key] }) { return known }
        guard let sealed = try Data.fetchOne(db.cachedStatement(sql: "SELECT counters FROM groups WHERE grp = ?"), arguments: [Data(group.bytes)]) else { throw SearchIndexDamaged() }
        let counters = try BucketCounters.decode(bytes(open([UInt8](sealed), aad: aad("counters", group: group, build: manifest.build, [UInt64(manifest.countersVersion)]))))
        countersLock.withLock { knownCounters = [key: counters] }
        return counters
    }

    private struct CountersKey: Hashable {
        let group: GroupID
        let build: [UInt8]
        let version: UInt32
    }
    private let countersLock = NSLock()
    private var knownCounters: [CountersKey: BucketCounters] = [:]

    private func bucket(_ bucket: UInt16, group: GroupID, build: [UInt8], counter: UInt32, _ db: Database) throws -> SecureBytes {
        guard let sealed = try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM buckets WHERE grp = ? AND bucket = ?"), arguments: [Data(group.bytes), Int64(bucket)])
        else { throw SearchIndexDamaged() }
        return try open([UInt8](sealed), aad: aad("bucket", group: group, build: build, [UInt64(bucket), UInt64(counter)]))
    }

    private func delta(_ n: UInt32, group: GroupID, build: [UInt8], _ db: Database) throws -> SecureBytes {
        guard let sealed = try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM deltas WHERE grp = ? AND n = ?"), arguments: [Data(group.bytes), Int64(n)])
        else { throw SearchIndexDamaged() }
        return try open([UInt8](sealed), aad: aad("delta", group: group, build: build, [UInt64(n)]))
    }

    /// The ordinals indexed under each of `hashes` in `group`, from their
    /// buckets and from every delta since (in no particular order).
    func lookup(group: GroupID, manifest: IndexManifest, hashes: Set<UInt64>) throws -> [UInt64: [UInt32]] {
        try lookup(group: group, manifest: manifest, hashes: hashes, deferringAbove: .max).found
    }

    /// `lookup`, except that a term with a stored list of more than
    /// `limit` bytes (about as many records, or fewer) is not decoded:
    /// it comes back in `deferred`, with the bytes its lists hold.
    func lookup(
        group: GroupID, manifest: IndexManifest, hashes: Set<UInt64>, deferringAbove limit: Int
    ) throws -> (found: [UInt64: [UInt32]], deferred: [UInt64: Int]) {
        let byBucket = Dictionary(grouping: hashes, by: Self.bucket(of:))
        return try reading { db in
            let counters = try counters(group, manifest: manifest, db)
            // Buckets keep a hash's low bits: answers come back under those, and go out under the whole hash.
            var kept: [UInt64: [UInt32]] = [:]
            var sizes: [UInt64: Int] = [:]
            var large = Set<UInt64>()
            func gather(_ part: PostingBucket.Found) {
                kept.merge(part.lists) { $0 + $1 }
                sizes.merge(part.sizes) { $0 + $1 }
                large.formUnion(part.deferred)
            }
            for (bucket, wanted) in byBucket {
                guard let counter = counters.counters[bucket] else { continue }
                gather(try PostingBucket.lookup(self.bucket(bucket, group: group, build: manifest.build, counter: counter, db), hashes: Set(wanted), deferringAbove: limit))
            }
            for delta in manifest.deltas {
                gather(try PostingBucket.lookup(self.delta(delta.number, group: group, build: manifest.build, db), hashes: hashes, deferringAbove: limit))
            }
            // In no particular order once deltas are gathered too (search takes them as a set). A term
            // deferred in one part is deferred whole: what other parts gave of it would be only some.
            var found: [UInt64: [UInt32]] = [:]
            var deferred: [UInt64: Int] = [:]
            for hash in hashes {
                let key = PostingBucket.kept(hash)
                if large.contains(key) {
                    deferred[hash] = sizes[key] ?? 0
                } else if let ordinals = kept[key] {
                    found[hash] = ordinals
                }
            }
            return (found, deferred)
        }
    }

    /// The record ids of `group`'s ordinals, each chunk read and opened
    /// only when an ordinal in it is asked for, and once.
    func ids(group: GroupID, manifest: IndexManifest) -> OrdinalIDs {
        OrdinalIDs(count: manifest.ordinals) { chunk in try self.reading { db in try self.chunkBytes(group: group, chunk: chunk, manifest: manifest, db) } }
    }

    /// How many ids chunk `chunk` holds when `total` are numbered.
    private static func chunkCount(_ chunk: Int, total: UInt32) -> Int { max(0, min(chunkSize, Int(total) - chunk * chunkSize)) }

    private func chunkIDs(group: GroupID, chunk: Int, manifest: IndexManifest, _ db: Database) throws -> [RecordID] {
        let plain = try chunkBytes(group: group, chunk: chunk, manifest: manifest, db)
        return try stride(from: 0, to: plain.count, by: Identifier.length).map { try Identifier(bytes: Array(plain[$0..<$0 + Identifier.length])) }
    }

    /// Chunk `chunk`'s ids, opened, as bytes (`Identifier.length` each).
    private func chunkBytes(group: GroupID, chunk: Int, manifest: IndexManifest, _ db: Database) throws -> [UInt8] {
        let count = Self.chunkCount(chunk, total: manifest.ordinals)
        guard count > 0 else { return [] }
        guard let sealed = try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM ids WHERE grp = ? AND chunk = ?"), arguments: [Data(group.bytes), Int64(chunk)])
        else { throw SearchIndexDamaged() }
        let plain = bytes(try open([UInt8](sealed), aad: aad("ids", group: group, build: manifest.build, [UInt64(chunk), UInt64(count)])))
        guard plain.count == count * Identifier.length else { throw SearchIndexDamaged() }
        return plain
    }

    // MARK: Writing

    /// A batch of this many records or more goes straight into the buckets.
    static let bulkRecords = 64

    /// Whether the deltas have grown enough to fold into the buckets: past
    /// 1,000 records and a fiftieth of the index (a fold rewrites most
    /// buckets, so it comes rarely, and more rarely as the index grows).
    static func shouldFold(_ manifest: IndexManifest) -> Bool {
        let held = manifest.deltas.reduce(0) { $0 + Int($1.records) }
        return held >= max(1000, Int(manifest.ordinals) / 50)
    }

    /// Adds record versions to `group`'s index in one transaction: each
    /// gets the next ordinal, and its terms' hashes go into a new delta (a
    /// few records; deltas are then merged two by two while the newer holds
    /// as many records as the older, so there are never more than about
    /// log2 of them) or into their buckets (a bulk batch, or once the deltas
    /// are due to fold: then they are folded in too). `fresh`:
    /// the group's index is started again (everything it held is dropped
    /// first). The manifest then covers the log up to `through` (only moved
    /// forward) and was built for the `readable` mask.
    func add(group: GroupID, records: [(RecordID, [UInt64])], through: UInt64?, readable: UInt8, rules: [UInt8], fresh: Bool) throws {
        defer {
            // After a bulk batch the write-ahead log holds a copy of most of the file: folded in and emptied.
            if records.count >= Self.bulkRecords { _ = try? queue.writeWithoutTransaction { db in try db.checkpoint(.truncate) } }
        }
        try writing { db in
            let existing = fresh ? nil : try manifest(group, db)
            // Never a new index from a few records when the group's was there a moment ago (another process dropped it).
            if existing == nil && !fresh { throw SearchIndexDamaged() }
            let build = existing == nil ? try Random.bytes(16) : []
            var manifest = existing ?? IndexManifest(through: 0, readable: readable, rules: rules, build: build)
            if existing == nil { try Self.drop([group], db) }
            guard manifest.readable == readable, manifest.rules == rules else { throw SearchIndexDamaged() }
            if let through { manifest.through = max(manifest.through, through) }
            if existing != nil && records.isEmpty {
                try writeManifest(manifest, group: group, counters: nil, db)
                return
            }
            let first = manifest.ordinals
            var pairs: [(hash: UInt64, ordinal: UInt32)] = []
            pairs.reserveCapacity(records.reduce(0) { $0 + $1.1.count })
            for (offset, record) in records.enumerated() {
                for hash in record.1 { pairs.append((hash, first + UInt32(offset))) }
            }
            if existing != nil && records.count < Self.bulkRecords && !Self.shouldFold(manifest) {
                var delta = PostingBucket()
                delta.add(pairs)
                var held = UInt32(records.count)
                // Merged with the newest deltas while they are no bigger: a binary counter of deltas.
                while let last = manifest.deltas.last, last.records <= held {
                    delta.add(try PostingBucket.decode(self.delta(last.number, group: group, build: manifest.build, db)).pairs)
                    try db.execute(sql: "DELETE FROM deltas WHERE grp = ? AND n = ?", arguments: [Data(group.bytes), Int64(last.number)])
                    held += last.records
                    manifest.deltas.removeLast()
                }
                let number = manifest.nextDelta
                manifest.nextDelta += 1
                manifest.deltas.append((number, held))
                try db.execute(
                    sql: "INSERT INTO deltas (grp, n, body) VALUES (?, ?, ?)",
                    arguments: [Data(group.bytes), Int64(number), Data(try seal(delta.encoded, aad: aad("delta", group: group, build: manifest.build, [UInt64(number)])))])
                try writeIDs(records.map(\.0), group: group, manifest: &manifest, db)
                try writeManifest(manifest, group: group, counters: nil, db)
                return
            }
            // Into the buckets, with every delta so far.
            var counters = existing == nil ? BucketCounters() : try counters(group, manifest: manifest, db)
            for delta in manifest.deltas { pairs += try PostingBucket.decode(self.delta(delta.number, group: group, build: manifest.build, db)).pairs }
            try db.execute(sql: "DELETE FROM deltas WHERE grp = ?", arguments: [Data(group.bytes)])
            manifest.deltas = []
            var pending: [UInt16: [(hash: UInt64, ordinal: UInt32)]] = [:]
            for pair in pairs { pending[Self.bucket(of: pair.hash), default: []].append(pair) }
            for (bucket, pairs) in pending {
                var content = PostingBucket()
                if let counter = counters.counters[bucket] { content = try PostingBucket.decode(self.bucket(bucket, group: group, build: manifest.build, counter: counter, db)) }
                content.add(pairs)
                let counter = (counters.counters[bucket] ?? 0) &+ 1
                counters.counters[bucket] = counter
                try db.execute(
                    sql: "INSERT OR REPLACE INTO buckets (grp, bucket, body) VALUES (?, ?, ?)",
                    arguments: [Data(group.bytes), Int64(bucket), Data(try seal(content.encoded, aad: aad("bucket", group: group, build: manifest.build, [UInt64(bucket), UInt64(counter)])))])
            }
            manifest.countersVersion &+= 1
            try writeIDs(records.map(\.0), group: group, manifest: &manifest, db)
            try writeManifest(manifest, group: group, counters: counters, db)
        }
    }

    /// Numbers `ids` after those held: the last chunk grows, then new ones follow.
    private func writeIDs(_ ids: [RecordID], group: GroupID, manifest: inout IndexManifest, _ db: Database) throws {
        var next = 0
        var chunk = Int(manifest.ordinals) / Self.chunkSize
        while next < ids.count {
            var held = try chunkIDs(group: group, chunk: chunk, manifest: manifest, db)
            let room = Self.chunkSize - held.count
            held += ids[next..<min(ids.count, next + room)]
            next += room
            manifest.ordinals = UInt32(chunk * Self.chunkSize + held.count)
            try db.execute(
                sql: "INSERT OR REPLACE INTO ids (grp, chunk, body) VALUES (?, ?, ?)",
                arguments: [Data(group.bytes), Int64(chunk), Data(try seal(held.flatMap(\.bytes), aad: aad("ids", group: group, build: manifest.build, [UInt64(chunk), UInt64(held.count)])))])
            chunk += 1
        }
    }

    /// Writes the manifest, and the counters when they changed (nil: kept as they are).
    private func writeManifest(_ manifest: IndexManifest, group: GroupID, counters: BucketCounters?, _ db: Database) throws {
        let sealed = Data(try seal(manifest.encoded, aad: aad("manifest", group: group, [])))
        if let counters {
            let sealedCounters = Data(try seal(counters.encoded, aad: aad("counters", group: group, build: manifest.build, [UInt64(manifest.countersVersion)])))
            try db.execute(
                sql: "INSERT OR REPLACE INTO groups (grp, readable, manifest, counters) VALUES (?, ?, ?, ?)",
                arguments: [Data(group.bytes), Int64(manifest.readable), sealed, sealedCounters])
        } else {
            try db.execute(sql: "UPDATE groups SET manifest = ? WHERE grp = ?", arguments: [sealed, Data(group.bytes)])
        }
    }

    /// Drops `group`'s index (it is built again on the next search),
    /// zeroing what it held and emptying the write-ahead log.
    func drop(group: GroupID) throws {
        try writing { db in try Self.drop([group], db) }
        _ = try? queue.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}

/// Chunks of hashes computed on several threads.
private final class HashedChunks: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var parts: [Result<[[UInt64]], Error>]

    init(count: Int) { parts = Array(repeating: .success([]), count: count) }

    func set(_ index: Int, _ value: Result<[[UInt64]], Error>) { lock.withLock { parts[index] = value } }

    func joined() throws -> [[UInt64]] { try lock.withLock { try parts.flatMap { try $0.get() } } }
}

/// The record ids of one group's ordinals (`SearchIndex.ids`): a search
/// checks a few of its candidates, so only their chunks are read, and only
/// their ids made.
final class OrdinalIDs {
    private let count: UInt32
    private let read: (Int) throws -> [UInt8]
    private var chunks: [Int: [UInt8]] = [:]

    init(count: UInt32, read: @escaping (Int) throws -> [UInt8]) {
        self.count = count
        self.read = read
    }

    /// The id numbered `ordinal`; throws `SearchIndexDamaged` for one the
    /// index does not number.
    func id(_ ordinal: UInt32) throws -> RecordID {
        guard ordinal < count else { throw SearchIndexDamaged() }
        let chunk = Int(ordinal) / SearchIndex.chunkSize
        let bytes: [UInt8]
        if let known = chunks[chunk] {
            bytes = known
        } else {
            bytes = try read(chunk)
            chunks[chunk] = bytes
        }
        let start = (Int(ordinal) - chunk * SearchIndex.chunkSize) * Identifier.length
        guard start + Identifier.length <= bytes.count else { throw SearchIndexDamaged() }
        return try Identifier(bytes: Array(bytes[start..<start + Identifier.length]))
    }
}
