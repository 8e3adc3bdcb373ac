import KithCrypto

/// The encryption of record parts: sealing on write, opening on read, and
/// the two ways a lead moves an existing part onto a newer epoch.
///
/// A part's plaintext is `r || fields`, where `r` is 32 random bytes that
/// key the signed commitment to the fields. Padded to a size bucket, it is
/// sealed under a random record key; the record key is wrapped under the
/// group key of the part's compartment and epoch.
extension Vault {
    static let commitmentKeyLength = 32

    /// Associated data of a record part's content: the context, then where
    /// the part belongs (the version it was sealed for, which is earlier
    /// than the record's when the part was carried forward), then the epoch
    /// it is encrypted under and the kind.
    func contentAAD(_ record: StoredRecord, _ part: RecordPart, epoch: UInt32) -> [UInt8] {
        partAAD(
            AEADContext.recordContent, id: record.id, version: part.sealedVersion, group: record.group, compartment: part.compartment, epoch: epoch)
            + [record.kind.rawValue]
    }

    /// Associated data of a record key's wrapping under a group key.
    func wrapAAD(id: RecordID, version: UInt32, group: GroupID, compartment: Compartment, epoch: UInt32) -> [UInt8] {
        partAAD(AEADContext.recordKeyWrap, id: id, version: version, group: group, compartment: compartment, epoch: epoch)
    }

    private func partAAD(_ context: String, id: RecordID, version: UInt32, group: GroupID, compartment: Compartment, epoch: UInt32) -> [UInt8] {
        var w = ByteWriter()
        w.string(context)
        w.fixed(state.vaultID)
        w.fixed(id.bytes)
        w.u32(version)
        w.fixed(group.bytes)
        w.u8(compartment.rawValue)
        w.u32(epoch)
        return w.bytes
    }

    /// The hiding, binding commitment to a part's encoded fields.
    private static func commitment(fields: borrowing SecureBytes, key: borrowing SecureBytes) throws -> [UInt8] {
        try BLAKE2b.hash(secret: fields, key: key, outputLength: StoredRecord.commitmentLength, personal: Array("kith-rccommit-v1".utf8))
    }

    /// A record shell (header only) for building associated data before the
    /// record itself exists.
    static func shell(id: RecordID, version: UInt32, group: GroupID, kind: RecordKind, parent: RecordID?, author: UserID, time: UInt64) -> StoredRecord {
        StoredRecord(id: id, version: version, group: group, kind: kind, parent: parent, author: author, timeMillis: time, parts: [], signature: [])
    }

    /// Encrypts `fields` as a new part under `ref`. `key` is a group key made
    /// in this very commit (not in the log yet); otherwise it is opened from
    /// the log.
    func sealPart(fields: [RecordField], ref: KeyRef, record: StoredRecord, key: KeyBox?, recordKey: KeyBox? = nil) throws -> RecordPart {
        let groupKey = try key ?? self.groupKey(record.group, ref)
        var encoded = FieldCodec.encode(fields)
        let plainFields = try SecureBytes(wiping: &encoded)
        let commitmentKey = try SecureBytes(randomCount: Self.commitmentKeyLength)
        let commitment = try Self.commitment(fields: plainFields, key: commitmentKey)
        let plain = try SecureBytes.concatenate(commitmentKey, plainFields)
        let padded = try Padding.pad(plain, blockSize: FieldCodec.bucket(for: plain.count))
        let sealedLength = padded.count + AEAD.xChaCha20Poly1305.nonceLength + AEAD.xChaCha20Poly1305.tagLength
        guard sealedLength <= StoredRecord.maxCiphertextLength else {
            throw KithVaultError.invalidInput(
                "the \(ref.compartment) fields of this record come to \(sealedLength >> 20) MiB once sealed, and one compartment of a record holds at most \(StoredRecord.maxCiphertextLength >> 20) MiB; store large content as an attachment",
                remedy: .addAttachment)
        }
        var part = RecordPart(
            compartment: ref.compartment, writtenEpoch: ref.epoch, contentCommitment: commitment,
            contentEpoch: ref.epoch, ciphertext: [], wrapEpoch: ref.epoch, wrappedKey: [], sealedVersion: record.version)
        try encrypt(padded, into: &part, record: record, groupKey: groupKey, epoch: ref.epoch, recordKey: recordKey)
        return part
    }

    /// Seals `padded` under a fresh record key (or `given`, an attachment's
    /// key chosen before its file was sealed), wrapped under `groupKey`.
    private func encrypt(_ padded: borrowing SecureBytes, into part: inout RecordPart, record: StoredRecord, groupKey: KeyBox, epoch: UInt32, recordKey given: KeyBox? = nil) throws {
        let recordKey = try given?.key.duplicate() ?? SecureBytes(randomCount: 32)
        let aead = AEAD.xChaCha20Poly1305
        part.contentEpoch = epoch
        part.ciphertext = try aead.seal(padded, key: recordKey, aad: contentAAD(record, part, epoch: epoch))
        part.wrapEpoch = epoch
        part.wrappedKey = try aead.seal(
            recordKey, key: groupKey.key, aad: wrapAAD(id: record.id, version: part.sealedVersion, group: record.group, compartment: part.compartment, epoch: epoch))
    }

    /// The record key of `part`, unwrapped with the group key of its wrap epoch.
    func recordKey(_ part: RecordPart, record: StoredRecord, label: String) throws -> SecureBytes {
        let ref = KeyRef(compartment: part.compartment, epoch: part.wrapEpoch)
        let groupKey = try self.groupKey(record.group, ref)
        do {
            return try AEAD.xChaCha20Poly1305.open(
                part.wrappedKey, key: groupKey.key,
                aad: wrapAAD(id: record.id, version: part.sealedVersion, group: record.group, compartment: part.compartment, epoch: part.wrapEpoch))
        } catch {
            throw KithVaultError.integrity("\(label): the \(part.compartment) record key does not unwrap")
        }
    }

    /// Decrypts `part` to its padded plaintext and checks it against the
    /// author's signed commitment.
    private func openPadded(_ part: RecordPart, record: StoredRecord, label: String) throws -> SecureBytes {
        let key = try recordKey(part, record: record, label: label)
        let padded: SecureBytes
        do {
            padded = try AEAD.xChaCha20Poly1305.open(part.ciphertext, key: key, aad: contentAAD(record, part, epoch: part.contentEpoch))
        } catch {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content does not decrypt")
        }
        guard FieldCodec.bucket(for: padded.count - 1) == padded.count else {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content is not padded to a bucket")
        }
        return padded
    }

    /// The fields of `part`, verified against the author's commitment.
    func openPart(_ part: RecordPart, record: StoredRecord, label: String) throws -> [RecordField] {
        let fields = try verifiedFields(openPadded(part, record: record, label: label), part: part, label: label)
        return try FieldCodec.decode(fields, compartment: part.compartment)
    }

    /// The encoded fields inside `padded`, checked against the author's
    /// commitment; still in guarded memory (only a read turns them into text).
    private func verifiedFields(_ padded: borrowing SecureBytes, part: RecordPart, label: String) throws -> SecureBytes {
        let plain: SecureBytes
        do { plain = try Padding.unpad(padded, blockSize: padded.count) } catch {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content padding is invalid")
        }
        guard plain.count > Self.commitmentKeyLength else { throw KithVaultError.integrity("\(label): the \(part.compartment) content is truncated") }
        let commitmentKey = try plain.copy(range: 0..<Self.commitmentKeyLength)
        let fields = try plain.copy(range: Self.commitmentKeyLength..<plain.count)
        guard try Self.commitment(fields: fields, key: commitmentKey) == part.contentCommitment else {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content is not what its author signed")
        }
        return fields
    }

    /// The same record key, wrapped under the group key of `epoch`: fast,
    /// and the content is untouched.
    func rewrap(_ part: RecordPart, record: StoredRecord, epoch: UInt32, label: String) throws -> RecordPart {
        // The unwrap authenticates the key under the old group key, so the same key is rewrapped.
        let key = try recordKey(part, record: record, label: label)
        let groupKey = try self.groupKey(record.group, KeyRef(compartment: part.compartment, epoch: epoch))
        var moved = part
        moved.wrapEpoch = epoch
        moved.wrappedKey = try AEAD.xChaCha20Poly1305.seal(
            key, key: groupKey.key, aad: wrapAAD(id: record.id, version: part.sealedVersion, group: record.group, compartment: part.compartment, epoch: epoch))
        return moved
    }

    /// The same plaintext under a fresh record key and fresh ciphertext,
    /// bound to `epoch`. The author's commitment, and so their signature,
    /// still holds.
    func reencrypt(_ part: RecordPart, record: StoredRecord, epoch: UInt32, label: String) throws -> RecordPart {
        let padded = try openPadded(part, record: record, label: label)
        // Never re-encrypt something that is not what its author signed: check before sealing it anew.
        _ = try verifiedFields(padded, part: part, label: label)
        let groupKey = try self.groupKey(record.group, KeyRef(compartment: part.compartment, epoch: epoch))
        var moved = part
        try encrypt(padded, into: &moved, record: record, groupKey: groupKey, epoch: epoch)
        return moved
    }
}
