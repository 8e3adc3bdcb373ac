import KithCrypto

/// The kinds of log entry. The code is the entry's type byte; codes are
/// never reused.
public enum EntryType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The vault was founded; names the founder as admin.
    case genesis = 1
    /// An admin enrolled a user with an org role.
    case userEnrolled = 2
    /// An admin created a group.
    case groupCreated = 3
    /// A group role was granted.
    case roleGranted = 4
    /// A group role was revoked.
    case roleRevoked = 5
    /// Group keys were sealed to users.
    case keysDistributed = 6
    /// A record version was written.
    case recordWritten = 7
    /// A record version was read.
    case recordRead = 8
    /// A lead changed a group's policy.
    case policySet = 9
    /// A lead began rewrapping or re-encrypting a group's records.
    case rekeyStarted = 10
    /// A rewrap or re-encryption reached every record.
    case rekeyCompleted = 11
    /// An auditor made the vault's audit key, or sealed it to auditors who lacked it.
    case auditKeyShared = 12
    /// A user sealed their detail key to the audit key.
    case detailKeySealed = 13
    /// An admin removed a user from the vault.
    case userRemoved = 14
    /// An auditor sealed the previous audit key to the current one.
    case auditKeyChained = 15
    /// A user decrypted a batch of a group's records to build their search index.
    case recordsIndexed = 16
    /// A user searched groups (the query, sealed, is for auditors).
    case searched = 17
    /// A record version was written by someone who carried forward,
    /// unchanged, the parts they may not read.
    case recordWrittenCarrying = 18
    /// A lead erased records for good: their stored versions are gone, their ids never return.
    case recordsErased = 19
    /// The founder's choices for the vault, made at its founding (entry 1 only).
    case vaultSettings = 20
    /// A user's `kith panic` reported that it wiped one of their devices.
    case deviceWiped = 21
    /// A lead set up (or set up again) the group's k-of-n recovery.
    case recoverySetUp = 22
    /// A user asked the group's recovery trustees for its keys.
    case recoveryRequested = 23
    /// A trustee approved a recovery request, sending their share to its author.
    case recoveryApproved = 24
    /// A recovery request had its approvals: its author leads the group.
    case recoveryCompleted = 25
    /// Group keys were sealed to users, and each new epoch to the group's recovery key.
    case keysDistributedWithRecovery = 26
    /// An admin said a new identity is the same person as one removed (who lost every device).
    case userReplaced = 27
    /// An admin accepted the store as restored from a backup that lost entries devices had seen.
    case restoreAccepted = 28

    /// Whether a filter for this type takes an entry of `type`: a record
    /// written also names the versions written carrying parts forward.
    public func includes(_ type: EntryType) -> Bool {
        self == type || (self == .recordWritten && type == .recordWrittenCarrying) || (self == .keysDistributed && type == .keysDistributedWithRecovery)
    }

    /// Plain words for listings.
    public var description: String {
        switch self {
        case .genesis: return "vault founded"
        case .userEnrolled: return "user enrolled"
        case .groupCreated: return "group created"
        case .roleGranted: return "role granted"
        case .roleRevoked: return "role revoked"
        case .keysDistributed: return "keys distributed"
        case .recordWritten: return "record written"
        case .recordRead: return "record read"
        case .policySet: return "policy set"
        case .rekeyStarted: return "rekey started"
        case .rekeyCompleted: return "rekey completed"
        case .auditKeyShared: return "audit key shared"
        case .detailKeySealed: return "detail key sealed"
        case .userRemoved: return "user removed"
        case .auditKeyChained: return "audit key chained"
        case .recordsIndexed: return "records indexed"
        case .searched: return "searched"
        case .recordWrittenCarrying: return "record written carrying"
        case .recordsErased: return "records erased"
        case .vaultSettings: return "vault settings"
        case .deviceWiped: return "device wiped"
        case .recoverySetUp: return "recovery set up"
        case .recoveryRequested: return "recovery requested"
        case .recoveryApproved: return "recovery approved"
        case .recoveryCompleted: return "recovery completed"
        case .keysDistributedWithRecovery: return "keys distributed with recovery"
        case .userReplaced: return "user replaced"
        case .restoreAccepted: return "restore accepted"
        }
    }

    /// The name used on the command line and in JSON ("record-written").
    public var name: String { description.replacingOccurrences(of: " ", with: "-") }

    /// The type with this name ("record-written"), if any.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = found
    }
}

/// A group key sealed to one user.
public struct KeyEnvelope: Equatable, Sendable {
    /// The recipient.
    public let user: UserID
    /// `crypto_box_seal` of the 32-byte group key to the recipient's box key.
    public let sealed: [UInt8]
}

/// The keys of one compartment and epoch handed out in one entry.
public struct KeyGrant: Equatable, Sendable {
    /// Which compartment.
    public let compartment: Compartment
    /// Which epoch (starts at 1; a revocation starts the next).
    public let epoch: UInt32
    /// A commitment to the key (keyed BLAKE2b), so every recipient can check
    /// they got the same key as everyone else.
    public let commitment: [UInt8]
    /// One envelope per recipient.
    public let envelopes: [KeyEnvelope]
    /// A new epoch's key sealed to the group's recovery key, when the group
    /// has one (`crypto_box_seal`); nil for an epoch the recovery already
    /// holds, or a group without recovery.
    public var recovery: [UInt8]? = nil
}

/// How a group's existing records are brought onto the newest epochs.
public enum RekeyMode: UInt8, Sendable, CaseIterable, NamedCase, CustomStringConvertible, Encodable {
    /// Record keys rewrapped under the newest group keys; content untouched.
    case rewrap = 1
    /// Fresh record keys and fresh ciphertext for every record version.
    case reencrypt = 2

    /// The name used on the command line and in JSON.
    public var description: String {
        switch self {
        case .rewrap: return "rewrap"
        case .reencrypt: return "reencrypt"
        }
    }
}

/// The public, signed content of a log entry, one case per entry type.
public enum EntryBody: Equatable, Sendable {
    /// The vault's first entry.
    case genesis(vaultID: [UInt8], founder: PublicIdentity, possession: [UInt8], directoryEnvelope: [UInt8], sealedHandle: [UInt8])
    /// A user joins with an org role.
    case userEnrolled(user: PublicIdentity, role: OrgRole, possession: [UInt8], directoryEnvelope: [UInt8], sealedHandle: [UInt8])
    /// A group is created with its first policy; its name is sealed under
    /// the directory key.
    case groupCreated(group: GroupID, sealedName: [UInt8], policy: GroupPolicy)
    /// A user receives a role in a group.
    case roleGranted(group: GroupID, user: UserID, role: GroupRole)
    /// A user loses their role in a group.
    case roleRevoked(group: GroupID, user: UserID)
    /// Group keys sealed to users.
    case keysDistributed(group: GroupID, grants: [KeyGrant])
    /// A record version was stored; names the epoch each compartment was
    /// written under and commits to the stored object's signed part.
    /// `parts` were sealed for this version by its author; `carried` (only
    /// in a new version) are the previous version's parts, each unchanged,
    /// that the author may not read and so brought forward as they were.
    case recordWritten(
        record: RecordID, version: UInt32, group: GroupID, kind: RecordKind, parent: RecordID?, parts: [KeyRef], carried: [KeyRef], contentHash: [UInt8])
    /// A record version was read by the actor.
    case recordRead(record: RecordID, version: UInt32)
    /// A group's policy is replaced.
    case policySet(group: GroupID, policy: GroupPolicy)
    /// A rewrap or re-encryption of every record in the group onto the
    /// `targets` epochs begins.
    case rekeyStarted(group: GroupID, mode: RekeyMode, targets: [KeyRef])
    /// The rekey begun with the same mode and targets reached every record
    /// version (`versions` of them were changed).
    case rekeyCompleted(group: GroupID, mode: RekeyMode, targets: [KeyRef], versions: UInt32)
    /// The vault's audit key (an X25519 key whose secret only auditors
    /// hold), with its secret sealed to auditors. The first such entry makes
    /// the key; later ones reach auditors enrolled since.
    case auditKeyShared(publicKey: BoxPublicKey, envelopes: [KeyEnvelope])
    /// The actor's detail key (what their entries' details are sealed
    /// under), sealed to the audit key, so every auditor, present and
    /// future, can read the details of the actor's past and future entries.
    case detailKeySealed(sealed: [UInt8])
    /// A user leaves the vault: every role they held goes, a new directory
    /// key is sealed to everyone who remains (with the previous key sealed
    /// under it, so the newest opens every older one), and, for an auditor,
    /// the audit key is retired. Nothing sealed from then on reaches them.
    case userRemoved(user: UserID, directoryEnvelopes: [KeyEnvelope], previousDirectoryKey: [UInt8])
    /// The previous audit epoch's secret, sealed to the current audit key,
    /// so auditors who hold only the current key read the details of before.
    case auditKeyChained(sealedPrevious: [UInt8])
    /// The actor decrypted `records` record versions of `group` to add them
    /// to the search index on their device: one entry per batch, like a
    /// read of each (the index never leaves the device).
    case recordsIndexed(group: GroupID, records: UInt32)
    /// The actor searched `groups`; what they typed and how many records
    /// matched are in the sealed details, for auditors.
    case searched(groups: [GroupID])
    /// A lead of `group` erased `records` (sorted, each once): in the same
    /// transaction every stored version of them left the store, and none of
    /// their ids is ever written again. The entries about them stay, so the
    /// log still verifies. `cause` says whether a person decided it (their
    /// reason is in the sealed details) or a retention rule of the policy did.
    case recordsErased(group: GroupID, cause: ErasureCause, records: [RecordID])
    /// What the founder chose when founding the vault (right after genesis,
    /// entry 1, by the founder): `founderMayLead`, the founder may also lead
    /// groups (a network of one person); without this entry, admins never
    /// hold a group's keys (separation of duties).
    case vaultSettings(founderMayLead: Bool)
    /// The actor wiped a device of theirs with `kith panic`, whose setting
    /// asked it to say so first: leads and admins know to remove the
    /// device's identity. Nothing else is in it.
    case deviceWiped
    /// A lead of `group` set up its recovery (again, for a later `epoch`):
    /// `publicKey`'s secret is split among `trustees` so that `threshold` of
    /// them rebuild it, and every key the group has (`keys`, one per
    /// compartment and epoch) is sealed to it. Requests and shares of an
    /// earlier epoch are void from here on.
    case recoverySetUp(group: GroupID, epoch: UInt32, publicKey: BoxPublicKey, threshold: UInt8, trustees: [TrusteeShare], keys: [RecoveryKeyEnvelope])
    /// The actor asks the trustees of `group`'s recovery `epoch` for its keys.
    case recoveryRequested(group: GroupID, epoch: UInt32)
    /// A trustee approves the request at log position `request`: `sealedShare`
    /// is their share, sealed to the request's author only.
    case recoveryApproved(group: GroupID, request: UInt64, sealedShare: [UInt8])
    /// The author of the request at `request`, with enough approvals, now
    /// leads `group`; the entries after it in the same commit seal the keys
    /// to them and set the recovery up again with new shares.
    case recoveryCompleted(group: GroupID, request: UInt64)
    /// The identity `new`, enrolled by the entry just before, is the person
    /// whose identity `old` was removed: their group roles may be given to
    /// it again (by each group's lead, as any share).
    case userReplaced(old: UserID, new: UserID)
    /// An admin accepted the store as it came back from a backup: it held
    /// as many entries as this entry's position, and the admin's device had
    /// seen `seenSize` entries of another history (0: it saw none).
    /// Whatever devices saw from this position on is lost, and a device
    /// that saw it accepts this log instead once it can tell (from its
    /// journal) that it never saw this entry: so an old acceptance cannot
    /// excuse a later rollback.
    case restoreAccepted(seenSize: UInt64)

    /// The records this entry erases (empty for every other kind): what a
    /// store deletes in the transaction that appends it.
    public var erasedRecords: [RecordID] {
        if case .recordsErased(_, _, let records) = self { return records }
        return []
    }

    /// This body's entry type.
    public var type: EntryType {
        switch self {
        case .genesis: return .genesis
        case .userEnrolled: return .userEnrolled
        case .groupCreated: return .groupCreated
        case .roleGranted: return .roleGranted
        case .roleRevoked: return .roleRevoked
        case .keysDistributed(_, let grants): return grants.contains { $0.recovery != nil } ? .keysDistributedWithRecovery : .keysDistributed
        case .recordWritten(_, _, _, _, _, _, let carried, _): return carried.isEmpty ? .recordWritten : .recordWrittenCarrying
        case .recordRead: return .recordRead
        case .policySet: return .policySet
        case .rekeyStarted: return .rekeyStarted
        case .rekeyCompleted: return .rekeyCompleted
        case .auditKeyShared: return .auditKeyShared
        case .detailKeySealed: return .detailKeySealed
        case .userRemoved: return .userRemoved
        case .auditKeyChained: return .auditKeyChained
        case .recordsIndexed: return .recordsIndexed
        case .searched: return .searched
        case .recordsErased: return .recordsErased
        case .vaultSettings: return .vaultSettings
        case .deviceWiped: return .deviceWiped
        case .recoverySetUp: return .recoverySetUp
        case .recoveryRequested: return .recoveryRequested
        case .recoveryApproved: return .recoveryApproved
        case .recoveryCompleted: return .recoveryCompleted
        case .userReplaced: return .userReplaced
        case .restoreAccepted: return .restoreAccepted
        }
    }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .genesis(let vaultID, let founder, let possession, let envelope, let sealedHandle):
            w.fixed(vaultID)
            Self.write(founder, to: &w)
            w.fixed(possession)
            w.data(envelope)
            w.data(sealedHandle)
        case .userEnrolled(let user, let role, let possession, let envelope, let sealedHandle):
            Self.write(user, to: &w)
            w.u8(role.rawValue)
            w.fixed(possession)
            w.data(envelope)
            w.data(sealedHandle)
        case .groupCreated(let group, let sealedName, let policy):
            w.fixed(group.bytes)
            w.data(sealedName)
            policy.encode(into: &w)
        case .roleGranted(let group, let user, let role):
            w.fixed(group.bytes)
            w.fixed(user.bytes)
            w.u8(role.rawValue)
        case .roleRevoked(let group, let user):
            w.fixed(group.bytes)
            w.fixed(user.bytes)
        case .keysDistributed(let group, let grants):
            w.fixed(group.bytes)
            w.u16(UInt16(grants.count))
            for grant in grants {
                w.u8(grant.compartment.rawValue)
                w.u32(grant.epoch)
                w.fixed(grant.commitment)
                w.u32(UInt32(grant.envelopes.count))
                for envelope in grant.envelopes {
                    w.fixed(envelope.user.bytes)
                    w.fixed(envelope.sealed)
                }
                // Type 6 has no recovery field, so entries without one keep the bytes they always had.
                if grants.contains(where: { $0.recovery != nil }) {
                    if let recovery = grant.recovery {
                        w.u8(1)
                        w.fixed(recovery)
                    } else {
                        w.u8(0)
                    }
                }
            }
        case .recordWritten(let record, let version, let group, let kind, let parent, let parts, let carried, let contentHash):
            w.fixed(record.bytes)
            w.u32(version)
            w.fixed(group.bytes)
            w.u8(kind.rawValue)
            w.optionalID(parent)
            Self.write(parts, to: &w)
            // Type 7 has no carried list, so entries without one keep the bytes they always had.
            if !carried.isEmpty { Self.write(carried, to: &w) }
            w.fixed(contentHash)
        case .recordRead(let record, let version):
            w.fixed(record.bytes)
            w.u32(version)
        case .policySet(let group, let policy):
            w.fixed(group.bytes)
            policy.encode(into: &w)
        case .rekeyStarted(let group, let mode, let targets):
            w.fixed(group.bytes)
            w.u8(mode.rawValue)
            Self.write(targets, to: &w)
        case .rekeyCompleted(let group, let mode, let targets, let versions):
            w.fixed(group.bytes)
            w.u8(mode.rawValue)
            Self.write(targets, to: &w)
            w.u32(versions)
        case .auditKeyShared(let publicKey, let envelopes):
            w.fixed(publicKey.bytes)
            w.u16(UInt16(envelopes.count))
            for envelope in envelopes {
                w.fixed(envelope.user.bytes)
                w.fixed(envelope.sealed)
            }
        case .detailKeySealed(let sealed):
            w.fixed(sealed)
        case .userRemoved(let user, let envelopes, let previous):
            w.fixed(user.bytes)
            w.u32(UInt32(envelopes.count))
            for envelope in envelopes {
                w.fixed(envelope.user.bytes)
                w.fixed(envelope.sealed)
            }
            w.fixed(previous)
        case .auditKeyChained(let sealed):
            w.fixed(sealed)
        case .recordsIndexed(let group, let records):
            w.fixed(group.bytes)
            w.u32(records)
        case .searched(let groups):
            // More than fit would not decode, and every commit refuses an entry that does not.
            w.u16(UInt16(clamping: groups.count))
            for group in groups { w.fixed(group.bytes) }
        case .recordsErased(let group, let cause, let records):
            w.fixed(group.bytes)
            cause.encode(into: &w)
            w.u32(UInt32(clamping: records.count))
            for record in records { w.fixed(record.bytes) }
        case .vaultSettings(let founderMayLead):
            // A flags byte, so later settings join it; bit 0: the founder may lead.
            w.u8(founderMayLead ? 1 : 0)
        case .deviceWiped:
            break
        case .recoverySetUp(let group, let epoch, let publicKey, let threshold, let trustees, let keys):
            w.fixed(group.bytes)
            w.u32(epoch)
            w.fixed(publicKey.bytes)
            w.u8(threshold)
            w.u8(UInt8(clamping: trustees.count))
            for trustee in trustees {
                w.fixed(trustee.user.bytes)
                w.fixed(trustee.commitment)
                w.fixed(trustee.sealed)
            }
            w.u32(UInt32(clamping: keys.count))
            for key in keys {
                w.u8(key.ref.compartment.rawValue)
                w.u32(key.ref.epoch)
                w.fixed(key.sealed)
            }
        case .recoveryRequested(let group, let epoch):
            w.fixed(group.bytes)
            w.u32(epoch)
        case .recoveryApproved(let group, let request, let sealedShare):
            w.fixed(group.bytes)
            w.u64(request)
            w.fixed(sealedShare)
        case .recoveryCompleted(let group, let request):
            w.fixed(group.bytes)
            w.u64(request)
        case .userReplaced(let old, let new):
            w.fixed(old.bytes)
            w.fixed(new.bytes)
        case .restoreAccepted(let seenSize):
            w.u64(seenSize)
        }
        return w.bytes
    }

    static func write(_ identity: PublicIdentity, to w: inout ByteWriter) {
        w.fixed(identity.userID.bytes)
        w.fixed(identity.signingKey.bytes)
        w.fixed(identity.boxKey.bytes)
    }

    /// A list of (compartment, epoch) pairs: u8 count, then u8 + u32 each.
    static func write(_ refs: [KeyRef], to w: inout ByteWriter) {
        w.u8(UInt8(refs.count))
        for ref in refs {
            w.u8(ref.compartment.rawValue)
            w.u32(ref.epoch)
        }
    }

    static func readRefs(_ r: inout ByteReader) throws -> [KeyRef] {
        var refs: [KeyRef] = []
        for _ in 0..<Int(try r.u8()) {
            guard let compartment = Compartment(rawValue: try r.u8()) else { throw KithVaultError.integrity("log entry names an unknown compartment") }
            refs.append(KeyRef(compartment: compartment, epoch: try r.u32()))
        }
        return refs
    }

    static func readMode(_ r: inout ByteReader) throws -> RekeyMode {
        guard let mode = RekeyMode(rawValue: try r.u8()) else { throw KithVaultError.integrity("rekey entry has an unknown mode") }
        return mode
    }

    static func readIdentity(_ r: inout ByteReader) throws -> PublicIdentity {
        let user = try Identifier(bytes: r.fixed(Identifier.length))
        let signing = try SigningPublicKey(bytes: r.fixed(Ed25519.publicKeyLength))
        let box = try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength))
        return PublicIdentity(userID: user, signingKey: signing, boxKey: box)
    }

    static func decode(type: EntryType, bytes: [UInt8]) throws -> EntryBody {
        var r = ByteReader(bytes, what: "log entry body (\(type))")
        func id() throws -> Identifier { try Identifier(bytes: r.fixed(Identifier.length)) }
        let body: EntryBody
        switch type {
        case .genesis:
            let vaultID = try r.fixed(Identifier.length)
            let founder = try readIdentity(&r)
            body = .genesis(
                vaultID: vaultID, founder: founder, possession: try r.fixed(Ed25519.signatureLength),
                directoryEnvelope: try r.data(limit: 256), sealedHandle: try r.data(limit: 1024))
        case .userEnrolled:
            let user = try readIdentity(&r)
            guard let role = OrgRole(rawValue: try r.u8()) else { throw KithVaultError.integrity("enrolment entry has an unknown role") }
            body = .userEnrolled(
                user: user, role: role, possession: try r.fixed(Ed25519.signatureLength),
                directoryEnvelope: try r.data(limit: 256), sealedHandle: try r.data(limit: 1024))
        case .groupCreated:
            body = .groupCreated(group: try id(), sealedName: try r.data(limit: 4096), policy: try GroupPolicy.decode(&r))
        case .roleGranted:
            let group = try id(), user = try id()
            guard let role = GroupRole(rawValue: try r.u8()) else { throw KithVaultError.integrity("grant entry has an unknown role") }
            body = .roleGranted(group: group, user: user, role: role)
        case .roleRevoked:
            body = .roleRevoked(group: try id(), user: try id())
        case .keysDistributed, .keysDistributedWithRecovery:
            let group = try id()
            var grants: [KeyGrant] = []
            let sealedLength = 32 + SealedBox.overhead
            for _ in 0..<Int(try r.u16()) {
                guard let compartment = Compartment(rawValue: try r.u8()) else { throw KithVaultError.integrity("key entry names an unknown compartment") }
                let epoch = try r.u32()
                let commitment = try r.fixed(32)
                let count = Int(try r.u32())
                guard count <= r.remaining / (Identifier.length + sealedLength) else { throw KithVaultError.integrity("key entry is truncated") }
                var envelopes: [KeyEnvelope] = []
                for _ in 0..<count {
                    envelopes.append(KeyEnvelope(user: try id(), sealed: try r.fixed(sealedLength)))
                }
                var recovery: [UInt8]?
                if type == .keysDistributedWithRecovery {
                    switch try r.u8() {
                    case 0: recovery = nil
                    case 1: recovery = try r.fixed(GroupRecovery.sealedKeyLength)
                    default: throw KithVaultError.integrity("key entry has a malformed recovery field")
                    }
                }
                grants.append(KeyGrant(compartment: compartment, epoch: epoch, commitment: commitment, envelopes: envelopes, recovery: recovery))
            }
            // One form per meaning: an entry of type 26 seals something to the recovery key.
            if type == .keysDistributedWithRecovery && !grants.contains(where: { $0.recovery != nil }) {
                throw KithVaultError.integrity("key entry seals nothing to the recovery key")
            }
            body = .keysDistributed(group: group, grants: grants)
        case .recordWritten, .recordWrittenCarrying:
            let record = try id()
            let version = try r.u32()
            let group = try id()
            guard let kind = RecordKind(rawValue: try r.u8()) else { throw KithVaultError.integrity("record entry has an unknown kind") }
            let parent = try r.optionalID()
            let parts = try readRefs(&r)
            let carried = type == .recordWrittenCarrying ? try readRefs(&r) : []
            // One form per meaning: a carrying entry carries something.
            if type == .recordWrittenCarrying && carried.isEmpty { throw KithVaultError.integrity("record entry carries no part") }
            body = .recordWritten(
                record: record, version: version, group: group, kind: kind, parent: parent, parts: parts, carried: carried, contentHash: try r.fixed(32))
        case .recordRead:
            body = .recordRead(record: try id(), version: try r.u32())
        case .policySet:
            body = .policySet(group: try id(), policy: try GroupPolicy.decode(&r))
        case .rekeyStarted:
            body = .rekeyStarted(group: try id(), mode: try readMode(&r), targets: try readRefs(&r))
        case .rekeyCompleted:
            body = .rekeyCompleted(group: try id(), mode: try readMode(&r), targets: try readRefs(&r), versions: try r.u32())
        case .auditKeyShared:
            let publicKey = try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength))
            var envelopes: [KeyEnvelope] = []
            for _ in 0..<Int(try r.u16()) {
                envelopes.append(KeyEnvelope(user: try id(), sealed: try r.fixed(X25519.secretKeyLength + SealedBox.overhead)))
            }
            body = .auditKeyShared(publicKey: publicKey, envelopes: envelopes)
        case .detailKeySealed:
            body = .detailKeySealed(sealed: try r.fixed(32 + SealedBox.overhead))
        case .userRemoved:
            let user = try id()
            let sealedLength = 32 + SealedBox.overhead
            let count = Int(try r.u32())
            guard count <= r.remaining / (Identifier.length + sealedLength) else { throw KithVaultError.integrity("removal entry is truncated") }
            var envelopes: [KeyEnvelope] = []
            for _ in 0..<count { envelopes.append(KeyEnvelope(user: try id(), sealed: try r.fixed(sealedLength))) }
            body = .userRemoved(user: user, directoryEnvelopes: envelopes, previousDirectoryKey: try r.fixed(Vault.chainedKeyLength))
        case .auditKeyChained:
            body = .auditKeyChained(sealedPrevious: try r.fixed(X25519.secretKeyLength + SealedBox.overhead))
        case .recordsIndexed:
            body = .recordsIndexed(group: try id(), records: try r.u32())
        case .searched:
            let count = Int(try r.u16())
            guard count <= r.remaining / Identifier.length else { throw KithVaultError.integrity("search entry is truncated") }
            body = .searched(groups: try (0..<count).map { _ in try id() })
        case .recordsErased:
            let group = try id()
            let cause = try ErasureCause.decode(&r)
            let count = Int(try r.u32())
            guard count <= r.remaining / Identifier.length else { throw KithVaultError.integrity("erasure entry is truncated") }
            body = .recordsErased(group: group, cause: cause, records: try (0..<count).map { _ in try id() })
        case .vaultSettings:
            // One form per meaning: known bits only, and an entry that sets something.
            let flags = try r.u8()
            guard flags == 1 else { throw KithVaultError.integrity("vault settings entry has unknown or no settings") }
            body = .vaultSettings(founderMayLead: true)
        case .deviceWiped:
            body = .deviceWiped
        case .recoverySetUp:
            let group = try id()
            let epoch = try r.u32()
            let publicKey = try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength))
            let threshold = try r.u8()
            var trustees: [TrusteeShare] = []
            for _ in 0..<Int(try r.u8()) {
                trustees.append(TrusteeShare(user: try id(), commitment: try r.fixed(32), sealed: try r.fixed(GroupRecovery.sealedShareLength)))
            }
            let count = Int(try r.u32())
            guard count <= r.remaining / (5 + GroupRecovery.sealedKeyLength) else { throw KithVaultError.integrity("recovery entry is truncated") }
            var keys: [RecoveryKeyEnvelope] = []
            for _ in 0..<count {
                guard let compartment = Compartment(rawValue: try r.u8()) else { throw KithVaultError.integrity("recovery entry names an unknown compartment") }
                keys.append(RecoveryKeyEnvelope(ref: KeyRef(compartment: compartment, epoch: try r.u32()), sealed: try r.fixed(GroupRecovery.sealedKeyLength)))
            }
            body = .recoverySetUp(group: group, epoch: epoch, publicKey: publicKey, threshold: threshold, trustees: trustees, keys: keys)
        case .recoveryRequested:
            body = .recoveryRequested(group: try id(), epoch: try r.u32())
        case .recoveryApproved:
            body = .recoveryApproved(group: try id(), request: try r.u64(), sealedShare: try r.fixed(GroupRecovery.sealedShareLength))
        case .recoveryCompleted:
            body = .recoveryCompleted(group: try id(), request: try r.u64())
        case .userReplaced:
            body = .userReplaced(old: try id(), new: try id())
        case .restoreAccepted:
            body = .restoreAccepted(seenSize: try r.u64())
        }
        try r.finish()
        return body
    }
}

extension RekeyMode {
    /// In JSON by name ("rewrap", "reencrypt"), as on the command line.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
