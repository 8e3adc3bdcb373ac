import KithCrypto

/// One entry of the vault's append-only log, signed by its actor.
///
/// Byte layout (format version 1):
/// ```
/// u8  format version (1)
/// u8  entry type
/// u64 sequence number (0 for genesis)
/// 32  SHA-256 of the previous entry's bytes (zeros for genesis)
/// u64 time, milliseconds since 1970 (the writer's clock)
/// 16  actor's user id
/// u32 length + body (public; per type, see EntryBody)
/// u32 length + details (sealed to auditors; may be empty)
/// 64  Ed25519 signature by the actor over
///     context || vault id || every byte above
/// ```
public struct LogEntry: Equatable, Sendable {
    /// The format version this build writes and reads.
    public static let formatVersion: UInt8 = 1

    /// Position in the log.
    public let seq: UInt64
    /// Hash of the previous entry's bytes.
    public let previousHash: [UInt8]
    /// When it was written (writer's clock, ms since 1970).
    public let timeMillis: UInt64
    /// Who wrote it.
    public let actor: UserID
    /// What it records.
    public let body: EntryBody
    /// Details sealed to auditors (nonce || ciphertext || tag), or empty.
    public let details: [UInt8]
    /// The actor's signature.
    public let signature: [UInt8]
    /// The entry's exact bytes, as stored and hashed.
    public let encoded: [UInt8]

    /// SHA-256 of the entry's bytes: what the next entry chains to.
    public var hash: [UInt8] { SHA256.hash(encoded) }

    static func unsignedBytes(seq: UInt64, previousHash: [UInt8], timeMillis: UInt64, actor: UserID, body: EntryBody, details: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.u8(formatVersion)
        w.u8(body.type.rawValue)
        w.u64(seq)
        w.fixed(previousHash)
        w.u64(timeMillis)
        w.fixed(actor.bytes)
        w.data(body.encode())
        w.data(details)
        return w.bytes
    }

    static func signedMessage(vaultID: [UInt8], unsigned: [UInt8]) -> [UInt8] {
        Array(SignatureContext.logEntry.utf8) + [0] + vaultID + unsigned
    }

    /// Builds and signs an entry.
    static func make(
        seq: UInt64, previousHash: [UInt8], timeMillis: UInt64, actor: PrivateKeyHolder,
        body: EntryBody, details: [UInt8], vaultID: [UInt8]
    ) throws -> LogEntry {
        let unsigned = unsignedBytes(
            seq: seq, previousHash: previousHash, timeMillis: timeMillis,
            actor: actor.identity.userID, body: body, details: details)
        let signature = try actor.sign(signedMessage(vaultID: vaultID, unsigned: unsigned))
        return LogEntry(
            seq: seq, previousHash: previousHash, timeMillis: timeMillis, actor: actor.identity.userID,
            body: body, details: details, signature: signature, encoded: unsigned + signature)
    }

    /// Decodes an entry strictly (the signature is checked during replay,
    /// where the actor's key is known).
    public static func decode(_ bytes: [UInt8]) throws -> LogEntry {
        var r = ByteReader(bytes, what: "log entry")
        let version = try r.u8()
        guard version == formatVersion else {
            throw KithVaultError.integrity("log entry has format version \(version), this build reads \(formatVersion); upgrade Kith or check the store")
        }
        let typeCode = try r.u8()
        guard let type = EntryType(rawValue: typeCode) else { throw KithVaultError.integrity("log entry has unknown type \(typeCode)") }
        let seq = try r.u64()
        let previous = try r.fixed(32)
        let time = try r.u64()
        let actor = try Identifier(bytes: r.fixed(Identifier.length))
        let bodyBytes = try r.data()
        let details = try r.data(limit: 1 << 20)
        let signature = try r.fixed(Ed25519.signatureLength)
        try r.finish()
        return LogEntry(
            seq: seq, previousHash: previous, timeMillis: time, actor: actor,
            body: try EntryBody.decode(type: type, bytes: bodyBytes),
            details: details, signature: signature, encoded: bytes)
    }

    /// Whether the signature holds for `key` in the vault `vaultID`.
    func hasValidSignature(by key: SigningPublicKey, vaultID: [UInt8]) -> Bool {
        Self.hasValidSignature(encoded, by: key, vaultID: vaultID)
    }

    /// Whether the signature at the end of an entry's `bytes` holds for
    /// `key` (the audit verifier checks many at once from the raw bytes).
    static func hasValidSignature(_ bytes: [UInt8], by key: SigningPublicKey, vaultID: [UInt8]) -> Bool {
        guard bytes.count > Ed25519.signatureLength else { return false }
        let unsigned = Array(bytes.dropLast(Ed25519.signatureLength))
        return key.isValidSignature(Array(bytes.suffix(Ed25519.signatureLength)), for: signedMessage(vaultID: vaultID, unsigned: unsigned))
    }
}
