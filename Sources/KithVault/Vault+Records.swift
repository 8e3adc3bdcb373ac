import KithCrypto

/// A record version as a reader sees it.
public struct RecordView: Sendable {
    /// The record's id.
    public let id: RecordID
    /// Its group's name.
    public let group: String
    /// Its kind.
    public let kind: RecordKind
    /// The version shown.
    public let version: UInt32
    /// The author's handle.
    public let author: String
    /// When the version was written (ms since 1970).
    public let timeMillis: UInt64
    /// The case a note belongs to.
    public let parent: RecordID?
    /// The fields the reader may see.
    public let fields: [RecordField]
    /// Compartments the record holds that the reader's role may not read.
    public let withheld: [Compartment]
}

/// A record in a listing (no content is decrypted for a listing).
public struct RecordSummary: Sendable {
    /// The record's id.
    public let id: RecordID
    /// Its kind.
    public let kind: RecordKind
    /// Its newest version.
    public let version: UInt32
    /// The newest version's author.
    public let author: String
    /// When the newest version was written (ms since 1970).
    public let timeMillis: UInt64
    /// The case a note belongs to.
    public let parent: RecordID?
}

/// One version in a record's history.
public struct VersionInfo: Sendable {
    /// The version number.
    public let version: UInt32
    /// Its author's handle.
    public let author: String
    /// When it was written (ms since 1970).
    public let timeMillis: UInt64
    /// Compartments it holds.
    public let compartments: [Compartment]
    /// Its position in the log.
    public let seq: UInt64
}

extension Vault {
    func handle(of user: UserID) -> String {
        guard let state = state.users[user], let name = try? openName(state.sealedHandle, id: user) else { return user.description }
        return name
    }

    private func role(in group: GroupID) throws -> GroupRole {
        guard let role = state.groups[group]?.members[me] else {
            throw KithVaultError.accessDenied("you have no role in group \(groupName(group))")
        }
        return role
    }

    // MARK: Writing

    /// Adds a record to `groupName` and returns its id.
    @discardableResult
    public func addRecord(groupName: String, kind: RecordKind, fields: [RecordField], parent: RecordID? = nil) throws -> RecordID {
        let group = try self.group(named: groupName)
        let id = try RecordID.random()
        try write(id: id, group: group.id, kind: kind, parent: parent, action: "added \(kind)") { (1, fields) }
        return id
    }

    /// Adds a new version of a record with `fields` replacing the fields of
    /// the same name; returns the new version number. Nothing is overwritten.
    /// The merge happens inside the commit, so a concurrent update by
    /// someone else is merged with, not lost or refused.
    @discardableResult
    public func updateRecord(_ id: RecordID, fields changes: [RecordField]) throws -> UInt32 {
        guard let record = state.records[id] else { throw KithVaultError.notFound("record \(id) (see 'kith record list --group GROUP')") }
        _ = try role(in: record.group)
        var written: UInt32 = 0
        try write(id: id, group: record.group, kind: record.kind, parent: record.parent, action: "updated \(record.kind)") {
            guard let last = self.state.records[id]?.versions.last else { throw KithVaultError.notFound("record \(id)") }
            let current = try self.readWithoutLogging(id, version: last.version)
            // Fields the writer cannot see cannot be carried forward; refuse rather than drop them.
            if !current.withheld.isEmpty {
                throw KithVaultError.accessDenied("this record has \(current.withheld.map(\.description).joined(separator: ", ")) fields you may not read, so you cannot write a new version of it")
            }
            var merged = current.fields
            for change in changes {
                if let index = merged.firstIndex(where: { $0.name == change.name }) {
                    merged[index] = change
                } else {
                    merged.append(change)
                }
            }
            written = last.version + 1
            return (written, merged)
        }
        return written
    }

    /// Adds a note to a case.
    @discardableResult
    public func addNote(caseID: RecordID, text: String) throws -> RecordID {
        guard let record = state.records[caseID] else { throw KithVaultError.notFound("case \(caseID) (see 'kith record list --group GROUP --kind case')") }
        guard record.kind == .case else { throw KithVaultError.invalidInput("\(caseID) is a \(record.kind) record, not a case; notes belong to cases") }
        guard !text.isEmpty else { throw KithVaultError.invalidInput("the note is empty; give its text with --text or --from-file") }
        let id = try RecordID.random()
        let note = try RecordField(compartment: .notes, name: "text", value: text)
        try write(id: id, group: record.group, kind: .note, parent: caseID, action: "added note") { (1, [note]) }
        return id
    }

    /// Writes version 1 of a record with a chosen id (frozen test files only).
    func writeForTesting(id: RecordID, kind: RecordKind, group groupName: String, fields: [RecordField]) throws {
        try write(id: id, group: group(named: groupName).id, kind: kind, parent: nil, action: "added \(kind)") { (1, fields) }
    }

    /// Writes one record version. `content` gives the version number and
    /// fields from the state current inside the commit (it may run again
    /// after another writer's append).
    private func write(
        id: RecordID, group: GroupID, kind: RecordKind, parent: RecordID?, action: String,
        content: () throws -> (version: UInt32, fields: [RecordField])
    ) throws {
        if kind == .note && parent == nil { throw KithVaultError.invalidInput("a note needs its case") }
        let name = groupName(group)
        var freshKeys: [KeyRef: KeyBox] = [:]
        try commit { state in
            freshKeys = [:]
            let (version, fields) = try content()
            guard !fields.isEmpty else { throw KithVaultError.invalidInput("a record needs at least one field (--field name=value)") }
            guard fields.count <= 1000 else { throw KithVaultError.invalidInput("a record may have at most 1,000 fields; split it or attach a file") }
            let names = fields.map(\.name)
            guard Set(names).count == names.count else { throw KithVaultError.invalidInput("a field name appears twice") }
            let byCompartment = Dictionary(grouping: fields, by: \.compartment)
            let compartments = byCompartment.keys.sorted()
            guard let groupState = state.groups[group] else { throw KithVaultError.notFound("group \(name)") }
            guard let role = groupState.members[me] else { throw KithVaultError.accessDenied("you have no role in group \(name)") }
            for compartment in compartments where !groupState.policy.canWrite(role, compartment) {
                throw KithVaultError.accessDenied("as \(role) of \(name) you may not write \(compartment) fields")
            }
            var entries: [PendingEntry] = []
            // A lead writing before sharing: make the group's first keys now, in the same transaction.
            if groupState.currentEpoch.isEmpty && role == .lead {
                let grants = try keyGrants(for: groupState, members: groupState.members, newMember: me, freshKeys: &freshKeys)
                entries.append(
                    PendingEntry(
                        body: .keysDistributed(group: group, grants: grants),
                        details: [("action", "made the first keys of \(name)"), ("group", name)]))
            }
            let time = clock()
            var parts: [RecordPart] = []
            for compartment in compartments {
                guard let epoch = groupState.currentEpoch[compartment] ?? (freshKeys.isEmpty ? nil : 1) else {
                    throw KithVaultError.accessDenied("group \(name) has no keys yet: its lead makes them by writing a record or sharing the group")
                }
                let ref = KeyRef(compartment: compartment, epoch: epoch)
                parts.append(try sealPart(fields: byCompartment[compartment] ?? [], ref: ref, group: group, id: id, version: version, kind: kind, key: freshKeys[ref]))
            }
            let body = StoredRecord.signedBody(id: id, version: version, group: group, kind: kind, parent: parent, author: me, timeMillis: time, parts: parts)
            let signature = try holder.sign(StoredRecord.signedMessage(vaultID: state.vaultID, body: body))
            let record = StoredRecord(id: id, version: version, group: group, kind: kind, parent: parent, author: me, timeMillis: time, parts: parts, signature: signature)
            entries.append(
                PendingEntry(
                    body: .recordWritten(record: id, version: version, group: group, kind: kind, parent: parent, compartments: compartments, contentHash: record.contentHash),
                    details: [("action", action), ("group", name), ("fields", names.joined(separator: ", "))],
                    record: record))
            return entries
        }
        rememberKeys(freshKeys, group: group)
    }

    /// Associated data of a record part's content: the context, then where
    /// the part belongs, then the epoch at writing and the kind.
    private func contentAAD(id: RecordID, version: UInt32, group: GroupID, compartment: Compartment, epoch: UInt32, kind: RecordKind) -> [UInt8] {
        partAAD(AEADContext.recordContent, id: id, version: version, group: group, compartment: compartment, epoch: epoch) + [kind.rawValue]
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

    static func recordKeyCommitment(_ key: borrowing SecureBytes) throws -> [UInt8] {
        try BLAKE2b.hash([], key: key, outputLength: 32, personal: Array("kith-rkcommit-v1".utf8))
    }

    private func sealPart(fields: [RecordField], ref: KeyRef, group: GroupID, id: RecordID, version: UInt32, kind: RecordKind, key: KeyBox?) throws -> RecordPart {
        // Keys made in this very commit are not in the log yet, so they come in directly.
        let groupKey = try key ?? self.groupKey(group, ref)
        let recordKey = try SecureBytes(randomCount: 32)
        var encoded = FieldCodec.encode(fields)
        let plain = try SecureBytes(wiping: &encoded)
        let padded = try Padding.pad(plain, blockSize: FieldCodec.bucket(for: plain.count))
        let aead = AEAD.xChaCha20Poly1305
        let ciphertext = try aead.seal(padded, key: recordKey, aad: contentAAD(id: id, version: version, group: group, compartment: ref.compartment, epoch: ref.epoch, kind: kind))
        let wrapped = try aead.seal(recordKey, key: groupKey.key, aad: wrapAAD(id: id, version: version, group: group, compartment: ref.compartment, epoch: ref.epoch))
        return RecordPart(
            compartment: ref.compartment, contentEpoch: ref.epoch, keyCommitment: try Vault.recordKeyCommitment(recordKey),
            ciphertext: ciphertext, wrapEpoch: ref.epoch, wrappedKey: wrapped)
    }

    // MARK: Reading

    /// Reads a record (its newest version unless `version` is given),
    /// verifying the author's signature, the log's commitment and every
    /// decryption, and appends a record-read entry to the log.
    public func readRecord(_ id: RecordID, version: UInt32? = nil) throws -> RecordView {
        try readRecords([id], version: version)[0]
    }

    /// Reads several records and logs all the reads in one entry batch.
    public func readRecords(_ ids: [RecordID], version: UInt32? = nil) throws -> [RecordView] {
        let views = try ids.map { try readWithoutLogging($0, version: version) }
        guard !views.isEmpty else { return [] }
        try commit { _ in
            views.map { view in
                PendingEntry(
                    body: .recordRead(record: view.id, version: view.version),
                    details: [
                        ("action", "read \(view.kind)"), ("group", view.group),
                        ("fields", view.fields.map(\.name).joined(separator: ", ")),
                    ])
            }
        }
        return views
    }

    func readWithoutLogging(_ id: RecordID, version requested: UInt32?) throws -> RecordView {
        guard let record = state.records[id] else { throw KithVaultError.notFound("record \(id) (see 'kith record list --group GROUP')") }
        let myRole = try role(in: record.group)
        let versionState: VersionState
        if let requested {
            guard let found = record.versions.first(where: { $0.version == requested }) else {
                throw KithVaultError.notFound("version \(requested) of record \(id)")
            }
            versionState = found
        } else {
            guard let last = record.versions.last else { throw KithVaultError.notFound("record \(id) (see 'kith record list --group GROUP')") }
            versionState = last
        }
        guard let bytes = try store.record(id, version: versionState.version) else {
            throw KithVaultError.integrity("record \(id) version \(versionState.version) is in the log but missing from the store")
        }
        let label = "record \(id) version \(versionState.version)"
        let stored: StoredRecord
        do { stored = try StoredRecord.decode(bytes) } catch KithVaultError.integrity(let detail) {
            throw KithVaultError.integrity("\(label): \(detail)")
        }
        guard stored.id == id, stored.version == versionState.version, stored.group == record.group, stored.kind == record.kind,
            stored.parent == record.parent, stored.author == versionState.author,
            stored.parts.map(\.compartment) == versionState.compartments
        else {
            throw KithVaultError.integrity("\(label) does not match what the log says was written")
        }
        guard stored.contentHash == versionState.contentHash else {
            throw KithVaultError.integrity("\(label) is not the content the log commits to")
        }
        guard let author = state.users[stored.author],
            author.identity.signingKey.isValidSignature(stored.signature, for: StoredRecord.signedMessage(vaultID: state.vaultID, body: stored.signedBody))
        else {
            throw KithVaultError.integrity("\(label): the author's signature does not verify")
        }
        guard let groupState = state.groups[record.group] else { throw KithVaultError.integrity("\(label) names a missing group") }
        var fields: [RecordField] = []
        var withheld: [Compartment] = []
        for part in stored.parts {
            guard groupState.policy.canRead(myRole, part.compartment) else {
                withheld.append(part.compartment)
                continue
            }
            let ref = KeyRef(compartment: part.compartment, epoch: part.wrapEpoch)
            guard groupState.commitments[ref] != nil, groupState.commitments[KeyRef(compartment: part.compartment, epoch: part.contentEpoch)] != nil else {
                throw KithVaultError.integrity("\(label) names a key epoch the log never created")
            }
            fields += try openPart(part, record: stored, ref: ref, label: label)
        }
        return RecordView(
            id: id, group: groupName(record.group), kind: record.kind, version: stored.version,
            author: handle(of: stored.author), timeMillis: stored.timeMillis, parent: record.parent,
            fields: fields, withheld: withheld)
    }

    private func openPart(_ part: RecordPart, record: StoredRecord, ref: KeyRef, label: String) throws -> [RecordField] {
        let groupKey = try self.groupKey(record.group, ref)
        let aead = AEAD.xChaCha20Poly1305
        let recordKey: SecureBytes
        do {
            recordKey = try aead.open(
                part.wrappedKey, key: groupKey.key,
                aad: wrapAAD(id: record.id, version: record.version, group: record.group, compartment: part.compartment, epoch: part.wrapEpoch))
        } catch {
            throw KithVaultError.integrity("\(label): the \(part.compartment) record key does not unwrap")
        }
        guard try Vault.recordKeyCommitment(recordKey) == part.keyCommitment else {
            throw KithVaultError.integrity("\(label): the \(part.compartment) record key is not the one its author committed to")
        }
        let padded: SecureBytes
        do {
            padded = try aead.open(
                part.ciphertext, key: recordKey,
                aad: contentAAD(id: record.id, version: record.version, group: record.group, compartment: part.compartment, epoch: part.contentEpoch, kind: record.kind))
        } catch {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content does not decrypt")
        }
        guard FieldCodec.bucket(for: padded.count - 1) == padded.count else {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content is not padded to a bucket")
        }
        let plain: SecureBytes
        do { plain = try Padding.unpad(padded, blockSize: padded.count) } catch {
            throw KithVaultError.integrity("\(label): the \(part.compartment) content padding is invalid")
        }
        return try FieldCodec.decode(plain, compartment: part.compartment)
    }

    // MARK: Listing

    /// The records of a group (newest version of each), without decrypting anything.
    public func listRecords(groupName: String, kind: RecordKind? = nil) throws -> [RecordSummary] {
        let group = try self.group(named: groupName)
        _ = try role(in: group.id)
        return state.records.values
            .filter { $0.group == group.id && (kind == nil || $0.kind == kind) }
            .compactMap { record -> RecordSummary? in
                guard let last = record.versions.last else { return nil }
                return RecordSummary(
                    id: record.id, kind: record.kind, version: last.version, author: handle(of: last.author),
                    timeMillis: last.timeMillis, parent: record.parent)
            }
            .sorted { ($0.timeMillis, $0.id) < ($1.timeMillis, $1.id) }
    }

    /// Every version of a record, oldest first (no content is decrypted).
    public func history(_ id: RecordID) throws -> [VersionInfo] {
        guard let record = state.records[id] else { throw KithVaultError.notFound("record \(id) (see 'kith record list --group GROUP')") }
        _ = try role(in: record.group)
        return record.versions.map {
            VersionInfo(version: $0.version, author: handle(of: $0.author), timeMillis: $0.timeMillis, compartments: $0.compartments, seq: $0.seq)
        }
    }

    /// The notes of a case, oldest first; every note read is logged.
    public func notes(caseID: RecordID) throws -> [RecordView] {
        guard let record = state.records[caseID] else { throw KithVaultError.notFound("case \(caseID) (see 'kith record list --group GROUP --kind case')") }
        guard record.kind == .case else { throw KithVaultError.invalidInput("\(caseID) is a \(record.kind) record, not a case") }
        _ = try role(in: record.group)
        let ids = state.records.values.filter { $0.parent == caseID }
            .sorted { ($0.versions.first?.seq ?? 0) < ($1.versions.first?.seq ?? 0) }.map(\.id)
        return try readRecords(ids)
    }
}
