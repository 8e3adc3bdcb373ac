import Foundation
import KithCrypto
import KithLog

/// What a copy between engines did.
public struct VaultCopyReport: Sendable {
    /// Log entries in the vault (both sides hold exactly these).
    public let entries: UInt64
    /// Entries copied by this run (fewer than `entries` when it resumed).
    public let copiedEntries: UInt64
    /// Record versions copied by this run.
    public let copiedRecords: Int
    /// Attachments copied by this run.
    public let copiedAttachments: Int
    /// Checkpoint notes copied by this run (witness cosignatures included).
    public let copiedCheckpoints: Int
    /// The log's Merkle root, the same on both sides (base64).
    public let root: String
}

/// Copies a vault from one store to another (SQLite into PostgreSQL, or
/// back): the exact log entry bytes, every record version, every
/// checkpoint note with its cosignatures, and every attachment's sealed
/// bytes. Nothing is decrypted and no identity is needed: the copy is the
/// same vault, with the same fingerprint, so keyfiles and the checkpoints
/// clients remember stay valid.
///
/// The source's log is verified in full first and the destination's in
/// full after, and each batch of records is read back and compared. The
/// destination must be empty or hold a byte-identical beginning of the
/// same log (a copy that was interrupted): the copy then carries on from
/// there. Each batch is one transaction ending on a checkpoint the source
/// stored, so an interrupted copy is a shorter valid log, never a broken one.
public enum VaultCopy {
    /// Most entries per transaction when the source has no checkpoint sooner.
    static let maxBatch: UInt64 = 2000

    /// Copies `source` into `destination`; `progress` hears (entries done, total).
    public static func copy(from source: VaultStore, to destination: VaultStore, progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VaultCopyReport {
        let before = try AuditVerifier.verify(store: source, resume: false)
        // The verified log's replay is not redone; entries are read a batch at a time and checked against its tree.
        guard before.valid, let verified = before.log else {
            throw KithVaultError.integrity("the source vault's log does not verify (\(before.problems.first ?? "unknown problem")); nothing was copied")
        }
        let total = verified.tree.size
        guard total > 0 else { throw KithVaultError.invalidInput("the source holds no vault; nothing was copied") }
        // What an interrupted copy left must be the start of this log (read a page at a time).
        var existingCount: UInt64 = 0
        var sameStart = true
        while sameStart {
            let page = try destination.entries(from: existingCount, limit: VerifiedLog.pageSize)
            for bytes in page {
                guard existingCount < total, try MerkleHash.leaf(bytes) == verified.tree.leafHash(existingCount) else {
                    sameStart = false
                    break
                }
                existingCount += 1
            }
            if page.count < VerifiedLog.pageSize { break }
        }
        guard sameStart else {
            throw KithVaultError.invalidInput(
                "the destination already holds a different vault (or a longer log); copy into an empty database, or into one an interrupted copy of this vault left")
        }
        let state = verified.state

        // Attachments first: a log entry naming one is only copied once its bytes are there.
        var attachments = 0
        // An erased attachment has no bytes left to copy.
        for record in try state.records.all().sorted(by: { $0.id < $1.id }) where record.kind == .attachment && !record.isErased {
            if try destination.attachments.openAttachment(record.id) != nil { continue }
            guard let input = try source.attachments.openAttachment(record.id) else {
                throw KithVaultError.notFound("the bytes of attachment \(record.id) in the source (restore the source's attachments first); nothing more was copied")
            }
            let sink = try destination.attachments.newAttachment(record.id)
            do {
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                    if count == 0 { break }
                    try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                }
                try sink.finish()
            } catch {
                sink.discard()
                throw error
            }
            attachments += 1
        }

        // Then the log, in batches that end where the source stored a checkpoint.
        let checkpointSizes = try source.checkpointSizes()  // smallest first
        var nextCheckpoint = checkpointSizes.firstIndex { $0 > UInt64(existingCount) } ?? checkpointSizes.count
        var done = UInt64(existingCount)
        var copiedRecords = 0
        var copiedCheckpoints = 0
        progress?(done, total)
        while done < total {
            var end = min(done + maxBatch, total)
            var note: String? = nil
            if nextCheckpoint < checkpointSizes.count && checkpointSizes[nextCheckpoint] <= end {
                end = checkpointSizes[nextCheckpoint]
                note = try source.checkpoint(size: end)
                nextCheckpoint += 1
            }
            let rows = try source.entries(from: done, limit: Int(end - done)).enumerated().map { offset, bytes in
                let seq = done + UInt64(offset)
                guard try MerkleHash.leaf(bytes) == verified.tree.leafHash(seq) else {
                    throw KithVaultError.integrity("log entry \(seq) of the source changed while it was being copied; nothing more was copied")
                }
                return EntryRow(seq: seq, bytes: bytes, hash: SHA256.hash(bytes))
            }
            guard rows.count == Int(end - done) else { throw KithVaultError.integrity("the source's log shrank while it was being copied") }
            let records = try source.records(writtenBy: done..<end)
            // An erasure copied deletes, as it did at the source, what an interrupted earlier run had copied of its records.
            let erased = try rows.flatMap { try LogEntry.decode($0.bytes).body.erasedRecords }
            try destination.append(StoreBatch(expectedCount: done, entries: rows, records: records, checkpoint: note, erased: erased))
            guard try destination.records(writtenBy: done..<end) == records else {
                throw KithVaultError.integrity("the records copied for log entries \(done)..<\(end) read back differently from the destination")
            }
            copiedRecords += records.count
            if note != nil { copiedCheckpoints += 1 }
            done = end
            progress?(done, total)
        }

        // Likewise the files of erased attachments an earlier run had copied; then their bytes leave the files.
        let erasedRecords = try state.records.all().filter(\.isErased)
        if !erasedRecords.isEmpty {
            try destination.attachments.erase(erasedRecords.filter { $0.kind == .attachment }.map(\.id))
            try destination.purgeReplacedBytes()
        }

        let after = try AuditVerifier.verify(store: destination, resume: false)
        guard after.valid, after.entries == total, after.root == before.root else {
            throw KithVaultError.integrity(
                "the copy does not verify (\(after.problems.first ?? "its log differs from the source's")); do not use the destination")
        }
        return VaultCopyReport(
            entries: total, copiedEntries: total - UInt64(existingCount), copiedRecords: copiedRecords, copiedAttachments: attachments,
            copiedCheckpoints: copiedCheckpoints, root: after.root)
    }
}
