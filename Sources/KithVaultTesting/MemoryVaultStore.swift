import Foundation
import KithCrypto
import KithVault

/// A vault store held in memory, for tests: the same contract as the
/// SQLite and PostgreSQL engines (an append-only, gap-free log; a batch
/// written whole or not at all; a conflict when the log moved), with no
/// file and no server. Every access holds one lock, so its `Sendable` is
/// true. Nothing survives the process.
public final class MemoryVaultStore: VaultStore, @unchecked Sendable {
    // @unchecked: every stored property below is read and written only under `lock`.
    private let lock = NSLock()
    private var log: [[UInt8]] = []
    private var records: [RecordRow] = []
    private var recordIndex: [RecordKey: Int] = [:]
    private var checkpoints: [UInt64: String] = [:]
    /// Attachments, in memory too.
    public let attachments: AttachmentStore = MemoryAttachmentStore()

    private struct RecordKey: Hashable {
        let id: RecordID
        let version: UInt32
    }

    /// An empty store.
    public init() {}

    public func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]] {
        lock.withLock {
            guard seq < UInt64(log.count), limit > 0 else { return [] }
            let start = Int(seq)
            return Array(log[start..<min(log.count, start + min(limit, log.count - start))])
        }
    }

    public func append(_ batch: StoreBatch) throws {
        try lock.withLock {
            guard UInt64(log.count) == batch.expectedCount else { throw VaultStoreConflict() }
            // Checked whole before anything changes: all or nothing.
            for (offset, entry) in batch.entries.enumerated() {
                guard entry.seq == batch.expectedCount + UInt64(offset), !entry.bytes.isEmpty, entry.hash.count == 32 else {
                    throw KithVaultError.integrity("the store refused a write that would break the log (log entries must be appended in order)")
                }
            }
            var keys = Set<RecordKey>()
            for record in batch.records {
                let key = RecordKey(id: record.recordID, version: record.version)
                guard recordIndex[key] == nil, keys.insert(key).inserted, record.version >= 1,
                    record.entrySeq < batch.newCount
                else {
                    throw KithVaultError.integrity("the store refused a write that would break the log (a record version stored twice)")
                }
            }
            log += batch.entries.map(\.bytes)
            if !batch.erased.isEmpty {
                let erased = Set(batch.erased)
                records.removeAll { erased.contains($0.recordID) }
                recordIndex = [:]
                for (position, record) in records.enumerated() { recordIndex[RecordKey(id: record.recordID, version: record.version)] = position }
            }
            for record in batch.records {
                recordIndex[RecordKey(id: record.recordID, version: record.version)] = records.count
                records.append(record)
            }
            if let checkpoint = batch.checkpoint { checkpoints[batch.newCount] = checkpoint }
        }
    }

    public func record(_ id: RecordID, version: UInt32) throws -> [UInt8]? {
        lock.withLock { recordIndex[RecordKey(id: id, version: version)].map { records[$0].body } }
    }

    public func recordPage(group: GroupID, after: (id: RecordID, version: UInt32)?, limit: Int) throws -> [StoredRecordRow] {
        lock.withLock {
            records.filter { row in
                guard row.groupID == group else { return false }
                guard let after else { return true }
                return (row.recordID, row.version) > (after.id, after.version)
            }
            .sorted { ($0.recordID, $0.version) < ($1.recordID, $1.version) }
            .prefix(limit)
            .map { StoredRecordRow(recordID: $0.recordID, version: $0.version, body: $0.body) }
        }
    }

    public func replaceRecordBodies(_ rows: [StoredRecordRow]) throws {
        try lock.withLock {
            var positions: [Int] = []
            for row in rows {
                guard let position = recordIndex[RecordKey(id: row.recordID, version: row.version)] else {
                    throw KithVaultError.integrity("record \(row.recordID) version \(row.version) vanished from the store during a rekey")
                }
                positions.append(position)
            }
            for (row, position) in zip(rows, positions) {
                let old = records[position]
                records[position] = RecordRow(recordID: old.recordID, version: old.version, groupID: old.groupID, entrySeq: old.entrySeq, body: row.body)
            }
        }
    }

    public func insertMissingRecords(_ rows: [RecordRow], expectedCount: UInt64) throws -> Int {
        try lock.withLock {
            guard UInt64(log.count) == expectedCount else { throw VaultStoreConflict() }
            var inserted = 0
            for row in rows where recordIndex[RecordKey(id: row.recordID, version: row.version)] == nil && row.entrySeq < UInt64(log.count) {
                recordIndex[RecordKey(id: row.recordID, version: row.version)] = records.count
                records.append(row)
                inserted += 1
            }
            return inserted
        }
    }

    /// Nothing to purge: replaced bytes were dropped with the old array values.
    public func purgeReplacedBytes() throws -> PurgeOutcome { .complete }

    public func latestCheckpoint(containing marker: String?) throws -> String? {
        lock.withLock {
            checkpoints.sorted { $0.key > $1.key }.first { marker == nil || $0.value.contains(marker ?? "") }?.value
        }
    }

    public func checkpoint(size: UInt64) throws -> String? { lock.withLock { checkpoints[size] } }

    public func updateCheckpoint(size: UInt64, from old: String, to new: String) throws -> Bool {
        lock.withLock {
            guard checkpoints[size] == old else { return false }
            checkpoints[size] = new
            return true
        }
    }

    public func records(writtenBy seqs: Range<UInt64>) throws -> [RecordRow] {
        lock.withLock {
            records.filter { seqs.contains($0.entrySeq) }.sorted { ($0.entrySeq, $0.recordID, $0.version) < ($1.entrySeq, $1.recordID, $1.version) }
        }
    }

    public func checkpointSizes() throws -> [UInt64] { lock.withLock { checkpoints.keys.sorted() } }

    /// Everything the store holds now (a backup), for `restore`.
    public struct Backup: Sendable {
        fileprivate let log: [[UInt8]]
        fileprivate let records: [RecordRow]
        fileprivate let checkpoints: [UInt64: String]
    }

    /// A copy of everything the store holds now (its attachments aside).
    public func backup() -> Backup { lock.withLock { Backup(log: log, records: records, checkpoints: checkpoints) } }

    /// Puts the store back to `backup`, as an operator restoring it would
    /// behind every client's back: what was written since is gone, and what
    /// was erased or re-keyed since is back as it was. For heal tests only.
    public func restore(_ backup: Backup) {
        lock.withLock {
            log = backup.log
            records = backup.records
            recordIndex = [:]
            for (position, record) in records.enumerated() { recordIndex[RecordKey(id: record.recordID, version: record.version)] = position }
            checkpoints = backup.checkpoints
        }
    }

    /// Cuts the log back to its first `size` entries, with their records and
    /// checkpoints: what an operator restoring an old backup does behind
    /// every client's back. For rollback and fork tests only.
    public func rewind(toSize size: UInt64) {
        lock.withLock {
            guard size < UInt64(log.count) else { return }
            log.removeLast(log.count - Int(size))
            records.removeAll { $0.entrySeq >= size }
            recordIndex = [:]
            for (position, record) in records.enumerated() { recordIndex[RecordKey(id: record.recordID, version: record.version)] = position }
            checkpoints = checkpoints.filter { $0.key <= size }
        }
    }
}

/// Attachments held in memory: visible under their id only once finished.
final class MemoryAttachmentStore: AttachmentStore, @unchecked Sendable {
    // @unchecked: `files` is read and written only under `lock`.
    private let lock = NSLock()
    private var files: [Identifier: [UInt8]] = [:]

    func newAttachment(_ id: Identifier) throws -> AttachmentSink {
        guard lock.withLock({ files[id] == nil }) else {
            throw KithVaultError.integrity("attachment \(id) already exists; refusing to overwrite it")
        }
        return Sink(id: id, store: self)
    }

    func openAttachment(_ id: Identifier) throws -> AttachmentSource? {
        lock.withLock { files[id] }.map(Source.init)
    }

    fileprivate func remove(_ id: Identifier) { lock.withLock { files[id] = nil } }

    func erase(_ ids: [Identifier]) throws -> Int {
        lock.withLock { ids.filter { files.removeValue(forKey: $0) != nil }.count }
    }

    fileprivate func publish(_ id: Identifier, _ bytes: [UInt8]) throws {
        try lock.withLock {
            guard files[id] == nil else { throw KithVaultError.integrity("attachment \(id) already exists; refusing to overwrite it") }
            files[id] = bytes
        }
    }

    private final class Sink: AttachmentSink, @unchecked Sendable {
        // @unchecked: written by one thread at a time, as the engines' sinks are.
        let id: Identifier
        let store: MemoryAttachmentStore
        var bytes: [UInt8] = []
        init(id: Identifier, store: MemoryAttachmentStore) {
            self.id = id
            self.store = store
        }
        func write(_ chunk: UnsafeRawBufferPointer) throws { bytes += chunk }
        func finish() throws { try store.publish(id, bytes) }
        /// Removes what was written, published or not (the commit that would have named it failed).
        func discard() {
            bytes = []
            store.remove(id)
        }
    }

    private final class Source: AttachmentSource {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = min(buffer.count, bytes.count - offset)
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
            }
            offset += count
            return count
        }
    }
}
