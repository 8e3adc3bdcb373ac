import Foundation
import KithCrypto

/// One stored record version (or attachment file) that fails the audit.
public struct RecordProblem: Sendable, Equatable {
    /// The record.
    public let record: RecordID
    /// The version (1 for an attachment's file).
    public let version: UInt32
    /// True when the store lacks it; false when it is there but wrong.
    public let missing: Bool
    /// What is wrong, in plain words.
    public let reason: String
    /// True when the log says it was erased and the store still holds it.
    public internal(set) var erased = false
}

/// What the record part of an audit found.
public struct RecordAuditResult: Sendable {
    /// Record versions the log names, all checked.
    public let versions: Int
    /// Attachment files checked.
    public let attachments: Int
    /// Records the log says a lead erased: checked to be gone from the
    /// store (every version, and an attachment's file), not counted as missing.
    public let erased: Int
    /// Every version or file that failed, in log order.
    public let problems: [RecordProblem]
}

/// Checks every stored record version the verified log names, and every
/// attachment file, without decrypting anything (an auditor holds no group
/// keys): the stored object decodes; its header and compartments are what
/// the log entry says; its signed part hashes to the log's commitment; its
/// author's signature holds (checked on every core); its epochs only move
/// forward onto epochs the log made; a carried part is the very part the
/// version it was sealed for holds. An attachment's file must be there and start like
/// one; its bytes are bound by a hash inside the sealed record, which
/// readers check on every `attach get`.
enum RecordAudit {
    /// Rows read from the store at a time.
    static let pageSize = 2048

    static func check(state: VaultState, store: VaultStore, threads: Int) throws -> RecordAuditResult {
        var problems: [(seq: UInt64, problem: RecordProblem)] = []
        var versions = 0, attachments = 0, erased = 0
        for group in state.groups.keys.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            let all = try state.records.records(in: group)
            let records = all.filter { !$0.isErased }
            let gone = all.filter(\.isErased)
            erased += gone.count
            var erasedKeys: [RecordKey: (record: RecordState, version: VersionState)] = [:]
            for record in gone {
                for version in record.versions { erasedKeys[RecordKey(record.id, version.version)] = (record, version) }
            }
            func stillStored(_ record: RecordState, _ version: UInt32, what: String) -> (UInt64, RecordProblem) {
                let at = record.erasure.map { " (log entry \($0.seq))" } ?? ""
                let problem = RecordProblem(record: record.id, version: version, missing: false, reason: "it was erased\(at), but the store still holds \(what)", erased: true)
                return (record.erasedAt ?? 0, problem)
            }
            var wanted: [RecordKey: (record: RecordState, version: VersionState)] = [:]
            for record in records {
                for version in record.versions { wanted[RecordKey(record.id, version.version)] = (record, version) }
            }
            versions += wanted.count
            // The signed parts of each version, for the carried-part check after every row is read.
            var signedParts: [RecordKey: [RecordPart]] = [:]
            var signatures: [(key: RecordKey, signature: Vault.DeferredSignature)] = []
            func examine(_ key: RecordKey, _ body: [UInt8]) {
                if let (record, _) = erasedKeys.removeValue(forKey: key) {
                    problems.append(stillStored(record, key.version, what: "this version"))
                    return
                }
                guard let (record, version) = wanted[key] else { return }
                do {
                    let stored = try StoredRecord.decode(body)
                    try checkHeader(stored, record: record, version: version, state: state)
                    // Only the signed facts are kept: the ciphertexts of a whole group would not fit in memory.
                    signedParts[key] = stored.parts.map { part in
                        RecordPart(
                            compartment: part.compartment, writtenEpoch: part.writtenEpoch, contentCommitment: part.contentCommitment, contentEpoch: 0,
                            ciphertext: [], wrapEpoch: 0, wrappedKey: [], sealedVersion: part.sealedVersion)
                    }
                    guard let author = state.users[stored.author] else { throw KithVaultError.integrity("its author is not enrolled") }
                    signatures.append(
                        (
                            key,
                            Vault.DeferredSignature(
                                key: author.identity.signingKey, signature: stored.signature,
                                message: StoredRecord.signedMessage(vaultID: state.vaultID, body: stored.signedBody))
                        ))
                } catch let error as KithVaultError {
                    problems.append((version.seq, RecordProblem(record: key.id, version: key.version, missing: false, reason: error.reason)))
                } catch {
                    problems.append((version.seq, RecordProblem(record: key.id, version: key.version, missing: false, reason: "\(error)")))
                }
                wanted[key] = nil
            }
            let named = wanted
            // The store's group column is not trusted: a page is only where to look first; the rest is fetched by id.
            var after: (id: RecordID, version: UInt32)?
            while true {
                // A page the store cannot read whole (one junk row) is left to the fetches by id, which name the row.
                guard let page = try? store.recordPage(group: group, after: after, limit: pageSize) else { break }
                for row in page { examine(RecordKey(row.recordID, row.version), row.body) }
                guard page.count == pageSize, let last = page.last else { break }
                after = (last.recordID, last.version)
            }
            for key in wanted.keys.sorted() {
                guard let (_, version) = wanted[key] else { continue }
                do {
                    if let body = try store.record(key.id, version: key.version) {
                        examine(key, body)
                    } else {
                        problems.append(
                            (version.seq, RecordProblem(record: key.id, version: key.version, missing: true, reason: "it is in the log but missing from the store")))
                    }
                } catch let error as KithVaultError where error.code != .busy {
                    problems.append((version.seq, RecordProblem(record: key.id, version: key.version, missing: false, reason: "the store cannot read it: \(error.reason)")))
                }
            }
            for (key, holds) in zip(signatures.map(\.key), verify(signatures.map(\.signature), threads: threads)) where !holds {
                if let version = named[key]?.version {
                    problems.append((version.seq, RecordProblem(record: key.id, version: key.version, missing: false, reason: "the author's signature does not verify")))
                }
                signedParts[key] = nil
            }
            for (key, parts) in signedParts {
                for part in parts where part.sealedVersion != key.version {
                    // The version the replay followed it back to sealed this very part (the replay checked the versions between).
                    guard let origin = signedParts[RecordKey(key.id, part.sealedVersion)], origin.contains(where: { $0.sameSignedPart(as: part) }) else {
                        let why =
                            signedParts[RecordKey(key.id, part.sealedVersion)] == nil
                            ? "it carries \(part.compartment) fields from version \(part.sealedVersion), which is damaged or missing (named above)"
                            : "it carries \(part.compartment) fields that version \(part.sealedVersion), which sealed them, does not hold"
                        if let version = named[key]?.version {
                            problems.append((version.seq, RecordProblem(record: key.id, version: key.version, missing: false, reason: why)))
                        }
                        break
                    }
                }
            }
            // What an erasure removed must be gone, whatever the store's listing said (it is asked by id).
            for key in erasedKeys.keys.sorted() {
                guard let (record, _) = erasedKeys[key] else { continue }
                do {
                    if try store.record(key.id, version: key.version) != nil { problems.append(stillStored(record, key.version, what: "this version")) }
                } catch let error as KithVaultError where error.code != .busy {
                    problems.append(stillStored(record, key.version, what: "a row the store cannot read (\(error.reason))"))
                }
            }
            for record in gone where record.kind == .attachment {
                if try store.attachments.openAttachment(record.id) != nil { problems.append(stillStored(record, 1, what: "its file")) }
            }
            for record in records where record.kind == .attachment {
                attachments += 1
                let problem: RecordProblem?
                do { problem = try checkFile(record, store: store) } catch let error as KithVaultError {
                    problem = RecordProblem(record: record.id, version: 1, missing: false, reason: "its file cannot be read: \(error.reason)")
                }
                if let problem { problems.append((record.versions.first?.seq ?? 0, problem)) }
            }
        }
        return RecordAuditResult(versions: versions, attachments: attachments, erased: erased, problems: problems.sorted { $0.seq < $1.seq }.map(\.problem))
    }

    /// What `openRecord` checks before decrypting, with the log's state alone.
    private static func checkHeader(_ stored: StoredRecord, record: RecordState, version: VersionState, state: VaultState) throws {
        if let why = stored.mismatch(with: record, version: version) { throw KithVaultError.integrity("it \(why)") }
        let commitments = state.groups[record.group]?.commitments ?? [:]
        for part in stored.parts {
            guard part.writtenEpoch <= part.contentEpoch, part.contentEpoch <= part.wrapEpoch,
                commitments[KeyRef(compartment: part.compartment, epoch: part.wrapEpoch)] != nil
            else {
                throw KithVaultError.integrity("its \(part.compartment) part names a key epoch the log never created")
            }
            guard part.wrappedKey.count == StoredRecord.wrappedKeyLength, part.ciphertext.count > AEAD.xChaCha20Poly1305.nonceLength + AEAD.xChaCha20Poly1305.tagLength
            else {
                throw KithVaultError.integrity("its \(part.compartment) part is truncated")
            }
        }
    }

    /// The attachment's stored file: there, and starting like one.
    private static func checkFile(_ record: RecordState, store: VaultStore) throws -> RecordProblem? {
        guard let source = try store.attachments.openAttachment(record.id) else {
            return RecordProblem(record: record.id, version: 1, missing: true, reason: "its file is missing from the attachment store")
        }
        var header = [UInt8](repeating: 0, count: AttachmentFormat.headerLength)
        var got = 0
        while got < header.count {
            let read = try header.withUnsafeMutableBytes { buffer in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[got...]))
            }
            if read <= 0 { break }
            got += read
        }
        let magic = Array(header.prefix(8))
        let chunk = header.count >= 12 ? header[8..<12].reduce(0) { $0 << 8 | Int($1) } : 0
        guard got == header.count, magic == AttachmentFormat.magic || magic == AttachmentFormat.unpaddedMagic, chunk == AttachmentFormat.chunkSize else {
            return RecordProblem(record: record.id, version: 1, missing: false, reason: "its file does not start like a Kith attachment")
        }
        return nil
    }

    /// Each signature's verdict, checked on `threads` cores.
    private static func verify(_ signatures: [Vault.DeferredSignature], threads: Int) -> [Bool] {
        let verdicts = Verdicts(count: signatures.count)
        let chunks = max(1, min(threads, signatures.count / 64 + 1))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for index in stride(from: chunk, to: signatures.count, by: chunks) where signatures[index].holds { verdicts.set(index) }
        }
        return verdicts.values
    }
}

/// A record version, as a dictionary key.
struct RecordKey: Hashable, Comparable {
    let id: RecordID
    let version: UInt32
    init(_ id: RecordID, _ version: UInt32) {
        self.id = id
        self.version = version
    }
    static func < (a: RecordKey, b: RecordKey) -> Bool {
        a.id.bytes.lexicographicallyPrecedes(b.id.bytes) || (a.id == b.id && a.version < b.version)
    }
}

/// Verdicts set from several threads.
private final class Verdicts: @unchecked Sendable {
    // @unchecked: every write holds the lock.
    private let lock = NSLock()
    private var verdicts: [Bool]
    init(count: Int) { verdicts = Array(repeating: false, count: count) }
    func set(_ index: Int) { lock.withLock { verdicts[index] = true } }
    var values: [Bool] { lock.withLock { verdicts } }
}
