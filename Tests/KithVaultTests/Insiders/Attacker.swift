import Foundation
import KithCrypto
@testable import KithVault

/// A modified client: a short program that signs log entries with an
/// enrolled user's own keys and appends them straight to the store,
/// skipping every check the stock client makes before writing. What it
/// writes is refused (or shown to be harmless) only by what every other
/// client checks when it replays the log.
struct Attacker {
    let identity: UnlockedIdentity
    let store: VaultStore
    /// The writer's clock the attacker claims (ms since 1970).
    var timeMillis: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)

    /// Signs `body` as the next entry and appends it, with `records`.
    @discardableResult
    func append(_ body: EntryBody, records: [RecordRow] = []) throws -> LogEntry {
        let log = try store.entries(from: 0)
        guard let first = log.first, let last = log.last, case .genesis(let vaultID, _, _, _, _) = try LogEntry.decode(first).body else {
            throw KithVaultError.integrity("no vault to attack")
        }
        let entry = try LogEntry.make(
            seq: UInt64(log.count), previousHash: try LogEntry.decode(last).hash, timeMillis: timeMillis,
            actor: identity, body: body, details: [], vaultID: vaultID)
        try store.append(
            StoreBatch(expectedCount: UInt64(log.count), entries: [EntryRow(seq: entry.seq, bytes: entry.encoded, hash: entry.hash)], records: records))
        return entry
    }
}

/// A store that answers reads differently once told to: a live server
/// rewriting history between two reads of the same client.
final class LyingStore: VaultStore, @unchecked Sendable {
    // @unchecked: `rewrite` is set by the test before the reads it changes.
    let inner: VaultStore
    /// When set, every entry read passes through it (seq, bytes) -> bytes.
    var rewrite: ((UInt64, [UInt8]) -> [UInt8])?

    init(_ inner: VaultStore) { self.inner = inner }

    func entries(from seq: UInt64, limit: Int) throws -> [[UInt8]] {
        let page = try inner.entries(from: seq, limit: limit)
        guard let rewrite else { return page }
        return page.enumerated().map { rewrite(seq + UInt64($0.offset), $0.element) }
    }
    func append(_ batch: StoreBatch) throws { try inner.append(batch) }
    func record(_ id: RecordID, version: UInt32) throws -> [UInt8]? { try inner.record(id, version: version) }
    func recordPage(group: GroupID, after: (id: RecordID, version: UInt32)?, limit: Int) throws -> [StoredRecordRow] {
        try inner.recordPage(group: group, after: after, limit: limit).filter { hides?($0.recordID) != true }
    }

    /// When set, listings leave out the records it names (a store hiding a record from a client's index).
    var hides: ((RecordID) -> Bool)?
    func replaceRecordBodies(_ rows: [StoredRecordRow]) throws { try inner.replaceRecordBodies(rows) }
    func insertMissingRecords(_ rows: [RecordRow], expectedCount: UInt64) throws -> Int { try inner.insertMissingRecords(rows, expectedCount: expectedCount) }
    func purgeReplacedBytes() throws -> PurgeOutcome { try inner.purgeReplacedBytes() }
    func latestCheckpoint(containing marker: String?) throws -> String? { try inner.latestCheckpoint(containing: marker) }
    func checkpoint(size: UInt64) throws -> String? { try inner.checkpoint(size: size) }
    func updateCheckpoint(size: UInt64, from old: String, to new: String) throws -> Bool { try inner.updateCheckpoint(size: size, from: old, to: new) }
    func records(writtenBy seqs: Range<UInt64>) throws -> [RecordRow] { try inner.records(writtenBy: seqs).filter { hides?($0.recordID) != true } }
    func checkpointSizes() throws -> [UInt64] { try inner.checkpointSizes() }
    func appendingExclusively<T>(_ body: () throws -> T) throws -> T { try inner.appendingExclusively(body) }
    var attachments: AttachmentStore { inner.attachments }
}
