import KithCrypto

/// One encrypted compartment of a stored record version.
struct RecordPart: Equatable, Sendable {
    let compartment: Compartment
    /// The epoch whose group key was current when the content was encrypted
    /// (bound into the content's associated data).
    let contentEpoch: UInt32
    /// BLAKE2b commitment to the record key, so a rewrapped key must be the same key.
    let keyCommitment: [UInt8]
    /// nonce || ciphertext || tag of the padded fields.
    let ciphertext: [UInt8]
    /// The epoch of the group key that wraps the record key now (changes on rewrap).
    var wrapEpoch: UInt32
    /// nonce || wrapped record key || tag.
    var wrappedKey: [UInt8]
}

/// A record version as stored: a signed part (header, compartments,
/// ciphertexts, author's signature) followed by the key wrappings, which a
/// rewrap after revocation may replace without touching the signed part.
///
/// ```
/// u8  format version (1)
/// 16  record id        u32 version      16 group id
/// u8  kind             u8 has-parent (+16 parent id)
/// 16  author id        u64 time (ms)
/// u8  part count, then per part:
///     u8 compartment, u32 content epoch, 32 key commitment,
///     u32 length + nonce||ciphertext||tag
/// 64  author's Ed25519 signature over context || vault id || all above
/// then per part: u32 wrap epoch, 72 nonce||wrapped key||tag
/// ```
struct StoredRecord: Sendable {
    static let formatVersion: UInt8 = 1
    static let wrappedKeyLength = 24 + 32 + 16

    let id: RecordID
    let version: UInt32
    let group: GroupID
    let kind: RecordKind
    let parent: RecordID?
    let author: UserID
    let timeMillis: UInt64
    var parts: [RecordPart]
    let signature: [UInt8]

    static func signedBody(
        id: RecordID, version: UInt32, group: GroupID, kind: RecordKind, parent: RecordID?,
        author: UserID, timeMillis: UInt64, parts: [RecordPart]
    ) -> [UInt8] {
        var w = ByteWriter(capacity: 512)
        w.u8(formatVersion)
        w.fixed(id.bytes)
        w.u32(version)
        w.fixed(group.bytes)
        w.u8(kind.rawValue)
        w.optionalID(parent)
        w.fixed(author.bytes)
        w.u64(timeMillis)
        w.u8(UInt8(parts.count))
        for part in parts {
            w.u8(part.compartment.rawValue)
            w.u32(part.contentEpoch)
            w.fixed(part.keyCommitment)
            w.data(part.ciphertext)
        }
        return w.bytes
    }

    var signedBody: [UInt8] {
        Self.signedBody(id: id, version: version, group: group, kind: kind, parent: parent, author: author, timeMillis: timeMillis, parts: parts)
    }

    /// The signed part with its signature: what the log entry commits to.
    var signedPart: [UInt8] { signedBody + signature }

    /// SHA-256 of the signed part.
    var contentHash: [UInt8] { SHA256.hash(signedPart) }

    static func signedMessage(vaultID: [UInt8], body: [UInt8]) -> [UInt8] {
        Array(SignatureContext.record.utf8) + [0] + vaultID + body
    }

    /// The whole stored object.
    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 1024)
        w.fixed(signedPart)
        for part in parts {
            w.u32(part.wrapEpoch)
            w.fixed(part.wrappedKey)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> StoredRecord {
        var r = ByteReader(bytes, what: "stored record")
        let format = try r.u8()
        guard format == formatVersion else { throw KithVaultError.integrity("stored record has unknown format version \(format)") }
        let id = try Identifier(bytes: r.fixed(16))
        let version = try r.u32()
        let group = try Identifier(bytes: r.fixed(16))
        guard let kind = RecordKind(rawValue: try r.u8()) else { throw KithVaultError.integrity("stored record has an unknown kind") }
        let parent = try r.optionalID()
        let author = try Identifier(bytes: r.fixed(16))
        let time = try r.u64()
        let count = Int(try r.u8())
        guard (1...Compartment.allCases.count).contains(count) else { throw KithVaultError.integrity("stored record has \(count) compartments") }
        var parts: [RecordPart] = []
        for _ in 0..<count {
            guard let compartment = Compartment(rawValue: try r.u8()) else { throw KithVaultError.integrity("stored record names an unknown compartment") }
            let epoch = try r.u32()
            let commitment = try r.fixed(32)
            let ciphertext = try r.data(limit: 1 << 25)
            parts.append(RecordPart(compartment: compartment, contentEpoch: epoch, keyCommitment: commitment, ciphertext: ciphertext, wrapEpoch: 0, wrappedKey: []))
        }
        let signature = try r.fixed(Ed25519.signatureLength)
        for index in parts.indices {
            parts[index].wrapEpoch = try r.u32()
            parts[index].wrappedKey = try r.fixed(wrappedKeyLength)
        }
        try r.finish()
        return StoredRecord(
            id: id, version: version, group: group, kind: kind, parent: parent, author: author,
            timeMillis: time, parts: parts, signature: signature)
    }
}
