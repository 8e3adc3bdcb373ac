import KithCrypto

/// One encrypted compartment of a stored record version.
///
/// The author signs only what never changes: the compartment, the epoch it
/// was written under, and a hiding commitment to its plaintext. The
/// encryption around it (content epoch, ciphertext, wrapped record key) may
/// be replaced by a lead's rewrap or re-encryption after a revocation, and
/// the author's signature still verifies: readers check the decrypted
/// plaintext against the signed commitment.
struct RecordPart: Equatable, Sendable {
    /// Signed: which compartment.
    let compartment: Compartment
    /// Signed: the epoch current when the author wrote it (the log entry names it too).
    let writtenEpoch: UInt32
    /// Signed: keyed BLAKE2b of the encoded fields, keyed with a random
    /// 32-byte value that travels inside the ciphertext (so the commitment
    /// says nothing about the content to anyone without the keys).
    let contentCommitment: [UInt8]
    /// The epoch bound into the content's associated data (written epoch, or
    /// a later one after re-encryption).
    var contentEpoch: UInt32
    /// nonce || ciphertext || tag of the padded (commitment key || fields).
    var ciphertext: [UInt8]
    /// The epoch of the group key that wraps the record key now (changes on rewrap).
    var wrapEpoch: UInt32
    /// nonce || wrapped record key || tag.
    var wrappedKey: [UInt8]
    /// Signed (format 2): the version whose associated data binds this
    /// part's encryption. It is the record's own version when the part was
    /// sealed for it, and an earlier one when a writer who may not read the
    /// compartment carried the part forward unchanged.
    var sealedVersion: UInt32

    /// The key the content was written under, as the log names it.
    var written: KeyRef { KeyRef(compartment: compartment, epoch: writtenEpoch) }

    /// The signed facts of the part; equal in every version that carries it.
    func sameSignedPart(as other: RecordPart) -> Bool {
        compartment == other.compartment && writtenEpoch == other.writtenEpoch && sealedVersion == other.sealedVersion
            && ConstantTime.equal(contentCommitment, other.contentCommitment)
    }
}

/// A record version as stored: a signed part (header, per-compartment
/// commitments, author's signature) followed by the encryption of each
/// compartment, which a rewrap or re-encryption may replace.
///
/// ```
/// u8  format version (1, or 2 when a part is carried from an earlier version)
/// 16  record id        u32 version      16 group id
/// u8  kind             u8 has-parent (+16 parent id)
/// 16  author id        u64 time (ms)
/// u8  part count, then per part:
///     u8 compartment, u32 written epoch, 32 content commitment
///     (format 2: then u32 sealed version)
/// 64  author's Ed25519 signature over context || vault id || all above
/// then per part, in the same order:
///     u32 content epoch, u32 wrap epoch, 72 nonce||wrapped key||tag,
///     u32 length + nonce||ciphertext||tag
/// ```
struct StoredRecord: Sendable {
    /// Every version written before parts could be carried, and every
    /// version today whose parts were all sealed for it: the same bytes.
    static let formatVersion: UInt8 = 1
    /// A version carrying at least one part from an earlier version.
    static let carryingFormatVersion: UInt8 = 2
    static let wrappedKeyLength = 24 + 32 + 16
    static let commitmentLength = 32
    /// The longest sealed compartment a reader accepts (32 MiB). Writers
    /// are held to the same limit, so nothing is written that can never be
    /// read (or rekeyed, or exported) again.
    static let maxCiphertextLength = 1 << 25

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
        var w = ByteWriter(capacity: 256)
        let carries = parts.contains { $0.sealedVersion != version }
        w.u8(carries ? carryingFormatVersion : formatVersion)
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
            w.u32(part.writtenEpoch)
            w.fixed(part.contentCommitment)
            if carries { w.u32(part.sealedVersion) }
        }
        return w.bytes
    }

    var signedBody: [UInt8] {
        Self.signedBody(id: id, version: version, group: group, kind: kind, parent: parent, author: author, timeMillis: timeMillis, parts: parts)
    }

    /// The signed part with its signature: what the log entry commits to.
    var signedPart: [UInt8] { signedBody + signature }

    /// SHA-256 of the signed part (unchanged by rewrap and re-encryption).
    var contentHash: [UInt8] { SHA256.hash(signedPart) }

    static func signedMessage(vaultID: [UInt8], body: [UInt8]) -> [UInt8] {
        Array(SignatureContext.record.utf8) + [0] + vaultID + body
    }

    /// The whole stored object.
    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 1024)
        w.fixed(signedPart)
        for part in parts {
            w.u32(part.contentEpoch)
            w.u32(part.wrapEpoch)
            w.fixed(part.wrappedKey)
            w.data(part.ciphertext)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> StoredRecord {
        var r = ByteReader(bytes, what: "stored record")
        let format = try r.u8()
        guard format == formatVersion || format == carryingFormatVersion else { throw KithVaultError.integrity("stored record has unknown format version \(format)") }
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
            let commitment = try r.fixed(commitmentLength)
            let sealedVersion = format == carryingFormatVersion ? try r.u32() : version
            // A part is sealed for its own version or carried from an earlier one, never from a later one.
            // Compared, not made into a range: a hostile header's version 0 must be an error, not a trap.
            guard sealedVersion >= 1, sealedVersion <= version else { throw KithVaultError.integrity("stored record carries a part from an impossible version") }
            parts.append(
                RecordPart(
                    compartment: compartment, writtenEpoch: epoch, contentCommitment: commitment,
                    contentEpoch: 0, ciphertext: [], wrapEpoch: 0, wrappedKey: [], sealedVersion: sealedVersion))
        }
        if format == carryingFormatVersion, !parts.contains(where: { $0.sealedVersion != version }) {
            // Format 2 exists only for carrying; a version without a carried part is format 1, so its bytes have one form.
            throw KithVaultError.integrity("stored record is in the carrying format but carries nothing")
        }
        let signature = try r.fixed(Ed25519.signatureLength)
        for index in parts.indices {
            parts[index].contentEpoch = try r.u32()
            parts[index].wrapEpoch = try r.u32()
            parts[index].wrappedKey = try r.fixed(wrappedKeyLength)
            parts[index].ciphertext = try r.data(limit: maxCiphertextLength)
        }
        try r.finish()
        return StoredRecord(
            id: id, version: version, group: group, kind: kind, parent: parent, author: author,
            timeMillis: time, parts: parts, signature: signature)
    }
}

extension StoredRecord {
    /// Why this stored object is not the version of `record` the log names,
    /// in words that follow its label ("record X version 2 ..."), or nil
    /// when it is: its header and compartments are the log entry's, its
    /// signed part hashes to the entry's commitment, and it carries exactly
    /// the parts the replay followed back. Readers and the auditor ask the
    /// same question, without any key.
    func mismatch(with record: RecordState, version: VersionState) -> String? {
        guard id == record.id, self.version == version.version, group == record.group, kind == record.kind, parent == record.parent,
            author == version.author, parts.map(\.written) == version.parts
        else { return "does not match what the log says was written" }
        guard contentHash == version.contentHash else { return "is not the content the log commits to" }
        // What the author signed as carried must be what the log let them carry (the log checked their right to the rest),
        // from the version the replay followed it back to.
        guard parts.allSatisfy({ $0.sealedVersion == version.sealedVersion(of: $0.compartment) }) else {
            return "does not carry the parts the log says it carries"
        }
        return nil
    }
}
