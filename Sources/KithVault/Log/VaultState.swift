import KithCrypto

/// A key of one group compartment at one epoch.
public struct KeyRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The compartment.
    public let compartment: Compartment
    /// The epoch.
    public let epoch: UInt32

    /// Names a compartment's key at an epoch.
    public init(compartment: Compartment, epoch: UInt32) {
        self.compartment = compartment
        self.epoch = epoch
    }

    /// Orders by compartment, then epoch.
    public static func < (lhs: KeyRef, rhs: KeyRef) -> Bool { (lhs.compartment, lhs.epoch) < (rhs.compartment, rhs.epoch) }

    /// "notes@3".
    public var description: String { "\(compartment)@\(epoch)" }
}

/// A rewrap or re-encryption that was started and has not completed yet.
public struct PendingRekey: Equatable, Sendable {
    /// Rewrap or re-encrypt.
    public let mode: RekeyMode
    /// The epoch each compartment is being moved onto.
    public let targets: [KeyRef]
    /// The log position of its start.
    public let startedAt: UInt64
}

/// An enrolled user as the log describes them.
public struct UserState: Sendable {
    /// Their public keys and id.
    public let identity: PublicIdentity
    /// Their vault-wide role.
    public let role: OrgRole
    /// Their handle, sealed under the directory key.
    public let sealedHandle: [UInt8]
    /// The newest directory key sealed to them.
    public internal(set) var directoryEnvelope: [UInt8]
    /// The log position of their enrolment.
    public let enrolledAt: UInt64
    /// The directory epoch of `directoryEnvelope`.
    public internal(set) var directoryEpoch: UInt32 = 1
    /// The directory epoch their handle is sealed under.
    public internal(set) var handleEpoch: UInt32 = 1
    /// The log position of their removal from the vault (nil: still enrolled).
    public internal(set) var removedAt: UInt64?
    /// The group roles they held when they were removed (what a replacement may be given again).
    public internal(set) var rolesAtRemoval: [GroupID: GroupRole] = [:]
    /// The identity this one replaces, for a person who lost every device (nil: none).
    public internal(set) var replaces: UserID?
    /// The identity that replaced this one (nil: none).
    public internal(set) var replacedBy: UserID?

    /// Whether they are still enrolled (not removed).
    public var isActive: Bool { removedAt == nil }
}

/// An audit epoch that ended when an auditor was removed: its key and what
/// was sealed to it, kept so auditors can still read the details of then.
public struct RetiredAuditKey: Sendable {
    /// The audit key of the epoch (nil: none was made in it).
    public let publicKey: BoxPublicKey?
    /// Its secret, sealed to each auditor who held it.
    public let envelopes: [UserID: [UInt8]]
    /// Each writer's detail key of the epoch, sealed to it.
    public let detailKeys: [UserID: [UInt8]]
}

/// A group as the log describes it.
public struct GroupState: Sendable {
    /// The group's id.
    public let id: GroupID
    /// Its name, sealed under the directory key.
    public let sealedName: [UInt8]
    /// The log position of its creation.
    public internal(set) var createdAt: UInt64 = 0
    /// The directory epoch its name is sealed under.
    public internal(set) var nameEpoch: UInt32 = 1
    /// Who holds which role now.
    public internal(set) var members: [UserID: GroupRole] = [:]
    /// What each role may read and write.
    public internal(set) var policy: GroupPolicy = .default
    /// The newest epoch of each compartment (absent: no keys yet).
    public internal(set) var currentEpoch: [Compartment: UInt32] = [:]
    /// The commitment to every key ever distributed.
    public internal(set) var commitments: [KeyRef: [UInt8]] = [:]
    /// Every envelope: key -> recipient -> sealed key.
    public internal(set) var envelopes: [KeyRef: [UserID: [UInt8]]] = [:]
    /// A rekey begun and not yet completed (a re-run of it finishes it).
    public internal(set) var pendingRekey: PendingRekey?
    /// Compartments whose current epoch a user removed from the vault
    /// held: nothing is written under them until a lead makes a new epoch.
    public internal(set) var staleCompartments: Set<Compartment> = []
    /// The log position of the group's latest erasure (nil: none): a search
    /// index built before it is dropped and built again without what went.
    public internal(set) var lastErasureAt: UInt64?
    /// Its k-of-n recovery (nil: none set up, or just used and not yet set up again).
    public internal(set) var recovery: GroupRecovery?
    /// The newest recovery epoch ever set up (0: never).
    public internal(set) var recoveryEpochs: UInt32 = 0
    /// Every recovery key the group had before its current one: none may
    /// return, or the shares that rebuilt it would be worth something again.
    public internal(set) var retiredRecoveryKeys: [BoxPublicKey] = []
    /// The log position of its latest completed recovery (nil: none).
    public internal(set) var lastRecoveredAt: UInt64?
    /// A recovery was completed and its key not yet replaced: nothing is
    /// written into the group until a lead sets it up again (the stock
    /// client does so in the commit that completes the recovery).
    public internal(set) var recoveryRotationDue = false

    /// Whether anyone leads the group.
    public var hasLead: Bool { members.values.contains(.lead) }
}

/// One version of a record as the log describes it.
public struct VersionState: Sendable {
    /// The version number (1, 2, ...).
    public let version: UInt32
    /// The log position of the write.
    public let seq: UInt64
    /// Who wrote it.
    public let author: UserID
    /// When (writer's clock, ms since 1970).
    public let timeMillis: UInt64
    /// The compartments it holds, each with the epoch it was written under.
    public let parts: [KeyRef]
    /// SHA-256 of the stored object's signed part.
    public let contentHash: [UInt8]
    /// The compartments its author carried forward unchanged from the
    /// previous version, each with the version it was first sealed for (the
    /// replay follows each back to it); the rest were sealed for this one.
    public let carriedFrom: [Compartment: UInt32]

    /// The compartments carried forward unchanged.
    public var carried: [Compartment] { carriedFrom.keys.sorted() }

    /// The version whose sealing `compartment`'s part is (this one's, unless carried).
    func sealedVersion(of compartment: Compartment) -> UInt32 { carriedFrom[compartment] ?? version }

    /// The compartments it holds.
    public var compartments: [Compartment] { parts.map(\.compartment) }
}

/// Where the log erased a record.
public struct RecordErasure: Sendable, Equatable {
    /// The erasure entry's position.
    public let seq: UInt64
    /// Its time (writer's clock, ms since 1970).
    public let timeMillis: UInt64
    /// The lead who erased it.
    public let actor: UserID
}

/// A record as the log describes it.
public struct RecordState: Sendable {
    /// The record's id.
    public let id: RecordID
    /// Its group.
    public let group: GroupID
    /// Its kind.
    public let kind: RecordKind
    /// The case a note belongs to.
    public let parent: RecordID?
    /// Every version, oldest first.
    public internal(set) var versions: [VersionState]
    /// The entry that erased it (nil: not erased). An erased record keeps
    /// what the log says of it (versions, authors, times, hashes); its
    /// stored versions are gone and its id is never written again.
    public internal(set) var erasure: RecordErasure? = nil

    /// The log position of the entry that erased it (nil: not erased).
    public var erasedAt: UInt64? { erasure?.seq }

    /// Whether a lead erased it.
    public var isErased: Bool { erasure != nil }

    /// When it was last touched by its own versions (ms since 1970).
    var lastWrittenMillis: UInt64 { versions.map(\.timeMillis).max() ?? 0 }
}

/// The deterministic replay of the log: who holds which role, which keys
/// went to whom, which records exist. Every entry is checked against the
/// state before it: an entry whose actor lacked the right makes the whole
/// log invalid.
public struct VaultState: Sendable {
    /// The vault's random id (from genesis), bound into every signature.
    public internal(set) var vaultID: [UInt8] = []
    /// SHA-256 of the genesis entry: the vault's fingerprint.
    public internal(set) var fingerprint: [UInt8] = []
    /// Number of entries applied.
    public internal(set) var count: UInt64 = 0
    /// Hash of the last entry applied (zeros before genesis).
    public internal(set) var headHash: [UInt8] = [UInt8](repeating: 0, count: 32)
    /// The latest writer's time of any entry applied (ms since 1970): the
    /// log's high-water mark, which an entry may not fall far behind.
    public internal(set) var headTimeMillis: UInt64 = 0

    /// How far an entry's time may lie before the latest time the log has
    /// reached (24 hours): writers' clocks differ, but a time further back
    /// is refused, so nobody can slip an entry into the log's past, not even
    /// a step at a time.
    public static let maxClockSkewMillis: UInt64 = 24 * 3600 * 1000
    /// Enrolled users.
    public internal(set) var users: [UserID: UserState] = [:]
    /// Whether the vault's founder may also lead groups (its founding
    /// settings, entry 1); otherwise admins never hold a group's keys.
    public internal(set) var founderMayLead = false
    /// The positions of the entries by which an admin accepted the store as
    /// restored from a backup (`EntryBody.restoreAccepted`), oldest first.
    public internal(set) var restoresAccepted: [UInt64] = []

    /// The founder (enrolled by the genesis entry).
    public var founder: UserID? { users.values.first { $0.enrolledAt == 0 }?.identity.userID }
    /// Groups.
    public internal(set) var groups: [GroupID: GroupState] = [:]
    /// Records: those touched since a resume in memory, the rest read lazily.
    public internal(set) var records = RecordIndex()
    /// The vault's audit key, once the first auditor made it.
    public internal(set) var auditKey: BoxPublicKey?
    /// The audit key's secret, sealed to each auditor who holds it.
    public internal(set) var auditKeyEnvelopes: [UserID: [UInt8]] = [:]
    /// Each user's detail key, sealed to the audit key.
    public internal(set) var detailKeys: [UserID: [UInt8]] = [:]
    /// The directory key's epoch (a removal from the vault starts the next).
    public internal(set) var directoryEpoch: UInt32 = 1
    /// For each directory epoch after the first, the key of the one before,
    /// sealed under it: the newest key opens every older one.
    public internal(set) var directoryChain: [UInt32: [UInt8]] = [:]
    /// The audit epoch (the removal of an auditor starts the next; the
    /// fields above are the current epoch's).
    public internal(set) var auditEpoch: UInt32 = 1
    /// The log position at which each audit epoch after the first began.
    public internal(set) var auditEpochStarts: [UInt32: UInt64] = [:]
    /// The epochs before the current one.
    public internal(set) var retiredAudit: [UInt32: RetiredAuditKey] = [:]
    /// For each audit epoch after the first, the secret of the one before,
    /// sealed to its audit key, once an auditor who held both sealed it.
    public internal(set) var auditChain: [UInt32: [UInt8]] = [:]

    /// Whether `auditor` may make this epoch's audit key: when an auditor
    /// still enrolled held an earlier key (someone confirmed before), only
    /// such an auditor, so an auditor nobody confirmed cannot make themselves
    /// the holder of every later detail; otherwise (no earlier key, or all
    /// its holders removed) any auditor, as for the vault's first key.
    public func mayMakeAuditKey(_ auditor: UserID) -> Bool {
        let holders = Set(retiredAudit.values.flatMap(\.envelopes.keys)).filter { users[$0].map { $0.isActive && $0.role == .auditor } ?? false }
        return holders.isEmpty || holders.contains(auditor)
    }

    /// The compartments of `group` whose current epoch's key was sealed to `user`.
    static func currentKeysHeld(by user: UserID, in group: GroupState) -> Set<Compartment> {
        Set(
            group.currentEpoch.compactMap { compartment, epoch in
                group.envelopes[KeyRef(compartment: compartment, epoch: epoch)]?[user] != nil ? compartment : nil
            })
    }

    /// The newest audit epoch before `epoch` that had an audit key: what
    /// the chain entry of `epoch` seals (an epoch ended by a second removal
    /// before anyone made its key is skipped).
    public func previousKeyedAuditEpoch(before epoch: UInt32) -> UInt32? {
        var candidate = epoch
        while candidate > 1 {
            candidate -= 1
            if retiredAudit[candidate]?.publicKey != nil { return candidate }
        }
        return nil
    }

    /// The audit epoch the entry at `seq` was written in.
    public func auditEpoch(at seq: UInt64) -> UInt32 {
        var epoch: UInt32 = 1
        while let start = auditEpochStarts[epoch + 1], start <= seq { epoch += 1 }
        return epoch
    }

    /// An empty state, before genesis.
    public init() {}

    /// Replays `entries` from genesis; throws on the first invalid one.
    public static func replay(_ entries: [[UInt8]]) throws -> VaultState {
        var state = VaultState()
        for bytes in entries { try state.apply(LogEntry.decode(bytes)) }
        return state
    }

    func invalid(_ entry: LogEntry, _ reason: String) -> KithVaultError {
        .invalidEntry(seq: Int(clamping: entry.seq), reason: reason)
    }

    /// Checks `entry` against the current state and applies it.
    ///
    /// With `checkSignature` false the entry signature is left to the
    /// caller (the audit verifier checks signatures in parallel, or not at
    /// all for entries already covered by a checkpoint it verified before);
    /// everything else is checked.
    public mutating func apply(_ entry: LogEntry, checkSignature: Bool = true) throws {
        guard entry.seq == count else { throw invalid(entry, "it claims position \(entry.seq) but stands at \(count)") }
        guard entry.previousHash == headHash else {
            throw KithVaultError.integrity("log entry \(entry.seq) does not chain to the entry before it (the log was altered or reordered)")
        }
        // Written so it cannot overflow: a hostile time near UInt64.max must be an error, not a trap.
        guard headTimeMillis <= Self.maxClockSkewMillis || entry.timeMillis >= headTimeMillis - Self.maxClockSkewMillis else {
            throw invalid(
                entry,
                "its time (\(Timestamp.iso8601(millis: entry.timeMillis))) is more than 24 hours before the latest time the log had reached (\(Timestamp.iso8601(millis: headTimeMillis)))")
        }
        if case .genesis(let vaultID, let founder, let possession, let envelope, let sealedHandle) = entry.body {
            guard entry.seq == 0 else { throw invalid(entry, "a second genesis entry") }
            guard entry.actor == founder.userID else { throw invalid(entry, "genesis is not signed by its founder") }
            guard vaultID.count == Identifier.length else { throw invalid(entry, "malformed vault id") }
            guard !checkSignature || entry.hasValidSignature(by: founder.signingKey, vaultID: vaultID) else {
                throw KithVaultError.integrity("the signature of log entry 0 does not verify")
            }
            guard founder.signingKey.isValidSignature(possession, for: founder.possessionMessage()) else {
                throw invalid(entry, "the founder's proof of key possession does not verify")
            }
            self.vaultID = vaultID
            self.fingerprint = entry.hash
            users[founder.userID] = UserState(identity: founder, role: .admin, sealedHandle: sealedHandle, directoryEnvelope: envelope, enrolledAt: 0)
            advance(entry)
            return
        }
        guard count > 0 else { throw invalid(entry, "the log does not start with a genesis entry") }
        guard let actor = users[entry.actor] else { throw invalid(entry, "its actor is not an enrolled user") }
        guard actor.isActive else { throw invalid(entry, "its actor was removed from the vault") }
        guard !checkSignature || entry.hasValidSignature(by: actor.identity.signingKey, vaultID: vaultID) else {
            throw KithVaultError.integrity("the signature of log entry \(entry.seq) does not verify")
        }
        try applyBody(entry, actor: actor)
        advance(entry)
    }

    private mutating func advance(_ entry: LogEntry) {
        count += 1
        headHash = entry.hash
        headTimeMillis = max(headTimeMillis, entry.timeMillis)
    }

    private func role(of user: UserID, in group: GroupID) -> GroupRole? {
        groups[group]?.members[user]
    }

    private mutating func applyBody(_ entry: LogEntry, actor: UserState) throws {
        switch entry.body {
        case .genesis:
            throw invalid(entry, "a second genesis entry")

        case .userEnrolled(let user, let role, let possession, let envelope, let sealedHandle):
            if let refusal = Rights.enrol(self, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            guard users[user.userID] == nil else { throw invalid(entry, "the user id is already enrolled") }
            guard !users.values.contains(where: { $0.identity.signingKey == user.signingKey }) else {
                throw invalid(entry, "the signing key is already enrolled")
            }
            guard user.signingKey.isValidSignature(possession, for: user.possessionMessage()) else {
                throw invalid(entry, "the new user's proof of key possession does not verify")
            }
            users[user.userID] = UserState(
                identity: user, role: role, sealedHandle: sealedHandle, directoryEnvelope: envelope, enrolledAt: entry.seq,
                directoryEpoch: directoryEpoch, handleEpoch: directoryEpoch)

        case .groupCreated(let group, let sealedName, let policy):
            if let refusal = Rights.createGroup(self, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            guard groups[group] == nil else { throw invalid(entry, "the group id already exists") }
            if let problem = policy.problem { throw invalid(entry, "its policy is unusable: \(problem)") }
            groups[group] = GroupState(id: group, sealedName: sealedName, createdAt: entry.seq, nameEpoch: directoryEpoch, policy: policy)

        case .roleGranted(let groupID, let user, let role):
            guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            guard let target = users[user] else { throw invalid(entry, "the user is not enrolled") }
            guard target.isActive else { throw invalid(entry, "the user was removed from the vault") }
            guard target.role != .auditor else { throw invalid(entry, "auditors never hold group roles (they must not read records)") }
            guard group.members[user] == nil else { throw invalid(entry, "the user already has a role in the group") }
            if let refusal = Rights.grant(self, group: groupID, actor: entry.actor, user: user, role: role) { throw invalid(entry, refusal.reason()) }
            group.members[user] = role
            groups[groupID] = group

        case .roleRevoked(let groupID, let user):
            guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            if let refusal = Rights.revoke(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            guard group.members[user] != nil else { throw invalid(entry, "the user has no role in the group") }
            group.members[user] = nil
            group.recoveryLoses(user, fromVault: false)
            groups[groupID] = group

        case .keysDistributed(let groupID, let grants):
            guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            if let refusal = Rights.distributeKeys(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            guard !grants.isEmpty else { throw invalid(entry, "no keys in a key distribution") }
            for grant in grants {
                try checkRecoverySeal(entry, grant, in: &group)
                let ref = KeyRef(compartment: grant.compartment, epoch: grant.epoch)
                let current = group.currentEpoch[grant.compartment] ?? 0
                if let known = group.commitments[ref] {
                    guard known == grant.commitment else { throw invalid(entry, "it hands out a different key for an existing epoch") }
                } else {
                    guard grant.epoch == current + 1 else { throw invalid(entry, "it skips or reuses an epoch") }
                    group.currentEpoch[grant.compartment] = grant.epoch
                    group.commitments[ref] = grant.commitment
                    group.staleCompartments.remove(grant.compartment)
                }
                var sealed = group.envelopes[ref] ?? [:]
                for envelope in grant.envelopes {
                    guard let role = group.members[envelope.user], group.policy.canRead(role, grant.compartment) else {
                        throw invalid(entry, "it seals a \(grant.compartment) key to someone whose role may not read it")
                    }
                    // An envelope is never replaced: otherwise a lead could overwrite members' good keys with garbage.
                    guard sealed[envelope.user] == nil else { throw invalid(entry, "it seals a key to someone who already holds it") }
                    sealed[envelope.user] = envelope.sealed
                }
                group.envelopes[ref] = sealed
            }
            groups[groupID] = group

        case .recordWritten(let recordID, let version, let groupID, let kind, let parent, let sealed, let carried, let contentHash):
            guard let group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            guard let role = group.members[entry.actor] else { throw invalid(entry, "its author has no role in the group") }
            let compartments = sealed.map(\.compartment)
            let carriedCompartments = carried.map(\.compartment)
            // The author seals at least one part: carrying alone would let any role append versions that change nothing.
            guard !compartments.isEmpty, compartments == compartments.sorted(), carriedCompartments == carriedCompartments.sorted(),
                Set(compartments + carriedCompartments).count == compartments.count + carriedCompartments.count
            else {
                throw invalid(entry, "malformed compartment list")
            }
            let parts = (sealed + carried).sorted { $0.compartment < $1.compartment }
            // The rules below are for what the author sealed; carried parts are checked against the previous version.
            for compartment in compartments {
                if let refusal = Rights.write(self, group: groupID, actor: entry.actor, compartment: compartment) { throw invalid(entry, refusal.reason()) }
            }
            // New writes use the newest epoch at once: a write under an older
            // key would be readable by whoever a revocation removed.
            for part in sealed where group.currentEpoch[part.compartment] != part.epoch {
                throw invalid(entry, "it writes \(part.compartment) under epoch \(part.epoch), not the group's current epoch")
            }
            for part in sealed where group.staleCompartments.contains(part.compartment) {
                throw invalid(entry, "it writes \(part.compartment) under an epoch that a user removed from the vault holds; a lead must make new keys first")
            }
            if group.recoveryRotationDue {
                throw invalid(entry, "it writes into a group whose recovery was used and not yet set up again with new shares")
            }
            guard contentHash.count == 32 else { throw invalid(entry, "malformed content hash") }
            // A carried part keeps the version it was first sealed for: the previous version's, followed back.
            let previousVersion = try records.record(recordID)?.versions.last
            var carriedFrom: [Compartment: UInt32] = [:]
            for compartment in carriedCompartments {
                guard let previousVersion else { throw invalid(entry, "a new record has no earlier version to carry parts from") }
                carriedFrom[compartment] = previousVersion.sealedVersion(of: compartment)
            }
            let versionState = VersionState(
                version: version, seq: entry.seq, author: entry.actor, timeMillis: entry.timeMillis,
                parts: parts, contentHash: contentHash, carriedFrom: carriedFrom)
            // An attachment's file key derives from its one part's record key.
            if kind == .attachment && compartments.count != 1 { throw invalid(entry, "an attachment must be sealed in exactly one compartment") }
            if var existing = try records.record(recordID) {
                if let erasedAt = existing.erasedAt { throw invalid(entry, "it writes a record erased at log entry \(erasedAt); an erased id is never written again") }
                guard kind != .attachment else { throw invalid(entry, "an attachment never gets a second version; add a new attachment") }
                guard existing.group == groupID, existing.kind == kind, existing.parent == parent else {
                    throw invalid(entry, "a new version changes the record's group, kind or parent")
                }
                let previous = existing.versions.last?.parts ?? []
                // Dropping or replacing a compartment is writing it: nobody may remove fields they may not write; they carry them.
                for ref in previous where !group.policy.canWrite(role, ref.compartment) && !carriedCompartments.contains(ref.compartment) {
                    throw invalid(entry, "its author (\(role)) may not replace a record's \(ref.compartment) fields, only carry them forward unchanged")
                }
                for ref in carried {
                    guard previous.contains(ref) else { throw invalid(entry, "it carries a \(ref.compartment) part the previous version does not hold") }
                    // A rekey moves the versions the log named when it ran; a part carried meanwhile could stay on the old keys.
                    if group.pendingRekey?.targets.contains(where: { $0.compartment == ref.compartment }) == true {
                        throw invalid(entry, "it carries \(ref.compartment) fields while a rekey of them is under way")
                    }
                }
                guard version == (existing.versions.last?.version ?? 0) + 1 else { throw invalid(entry, "version numbers must follow each other") }
                existing.versions.append(versionState)
                records.set(existing, isNew: false)
            } else {
                guard version == 1 else { throw invalid(entry, "a new record must start at version 1") }
                guard carried.isEmpty else { throw invalid(entry, "a new record has no earlier version to carry parts from") }
                if kind == .note || kind == .attachment {
                    guard let parent, let parentRecord = try records.record(parent), parentRecord.kind == .case, parentRecord.group == groupID else {
                        throw invalid(entry, "a \(kind) must belong to a case in the same group")
                    }
                    guard !parentRecord.isErased else { throw invalid(entry, "a \(kind) cannot belong to an erased case") }
                } else if kind == .case, let parent {
                    // A case may name the member it is about, in the same group.
                    guard let member = try records.record(parent), member.kind == .member, member.group == groupID else {
                        throw invalid(entry, "a case can only be about a member record of the same group")
                    }
                    guard !member.isErased else { throw invalid(entry, "a case cannot be about an erased member") }
                } else if parent != nil {
                    throw invalid(entry, "only notes, attachments and cases have a parent record")
                }
                records.set(RecordState(id: recordID, group: groupID, kind: kind, parent: parent, versions: [versionState]), isNew: true)
            }

        case .recordRead(let recordID, let version):
            guard let record = try records.record(recordID), record.versions.contains(where: { $0.version == version }) else {
                throw invalid(entry, "it reads a record version that does not exist")
            }
            guard !record.isErased else { throw invalid(entry, "it reads an erased record") }
            guard role(of: entry.actor, in: record.group) != nil else { throw invalid(entry, "its reader has no role in the record's group") }

        case .policySet(let groupID, let policy):
            guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            if let refusal = Rights.setPolicy(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            if let problem = policy.problem { throw invalid(entry, "the policy is unusable: \(problem)") }
            group.policy = policy
            groups[groupID] = group

        case .rekeyStarted(let groupID, let mode, let targets):
            guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            if let refusal = Rights.rekey(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            let compartments = targets.map(\.compartment)
            guard !targets.isEmpty, compartments == compartments.sorted(), Set(compartments).count == compartments.count else {
                throw invalid(entry, "malformed rekey targets")
            }
            for target in targets where group.currentEpoch[target.compartment] != target.epoch {
                throw invalid(entry, "it rekeys \(target.compartment) onto epoch \(target.epoch), not the current one")
            }
            for target in targets where group.staleCompartments.contains(target.compartment) {
                throw invalid(entry, "it rekeys \(target.compartment) onto an epoch that a user removed from the vault holds")
            }
            // A newer start supersedes an unfinished one: its targets are at least as new.
            group.pendingRekey = PendingRekey(mode: mode, targets: targets, startedAt: entry.seq)
            groups[groupID] = group

        case .rekeyCompleted(let groupID, let mode, let targets, _):
            guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
            if let refusal = Rights.rekey(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            guard let pending = group.pendingRekey, pending.mode == mode, pending.targets == targets else {
                throw invalid(entry, "it completes a rekey that was not started")
            }
            for target in targets where group.staleCompartments.contains(target.compartment) {
                throw invalid(entry, "it completes a rekey onto an epoch of \(target.compartment) that a user removed from the vault holds")
            }
            group.pendingRekey = nil
            groups[groupID] = group

        case .auditKeyShared(let publicKey, let envelopes):
            if let refusal = Rights.shareAuditKey(self, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            if let auditKey {
                guard publicKey == auditKey else { throw invalid(entry, "it names a second audit key") }
                guard auditKeyEnvelopes[entry.actor] != nil else { throw invalid(entry, "its author does not hold the audit key") }
            } else {
                guard !retiredAudit.values.contains(where: { $0.publicKey == publicKey }) else {
                    throw invalid(entry, "it brings back a retired audit key, which a removed auditor holds")
                }
                guard mayMakeAuditKey(entry.actor) else {
                    throw invalid(entry, "only an auditor who held an earlier audit key may make the next one")
                }
                // The maker must keep a copy, or nobody could ever share it on.
                guard envelopes.contains(where: { $0.user == entry.actor }) else { throw invalid(entry, "the new audit key is not sealed to its maker") }
            }
            guard !envelopes.isEmpty else { throw invalid(entry, "it shares the audit key with nobody") }
            var sealed = auditKeyEnvelopes
            for envelope in envelopes {
                guard let auditor = users[envelope.user], auditor.role == .auditor, auditor.isActive else {
                    throw invalid(entry, "it seals the audit key to someone who is not an auditor")
                }
                guard sealed[envelope.user] == nil else { throw invalid(entry, "it seals the audit key to someone who already holds it") }
                sealed[envelope.user] = envelope.sealed
            }
            auditKey = publicKey
            auditKeyEnvelopes = sealed

        case .detailKeySealed(let sealed):
            guard auditKey != nil else { throw invalid(entry, "there is no audit key to seal a detail key to") }
            guard detailKeys[entry.actor] == nil else { throw invalid(entry, "its author's detail key is already sealed") }
            detailKeys[entry.actor] = sealed

        case .userRemoved(let userID, let envelopes, let previous):
            if let refusal = Rights.removeUser(self, actor: entry.actor, user: userID) { throw invalid(entry, refusal.reason()) }
            guard var target = users[userID] else { throw invalid(entry, "the user is not enrolled") }
            let remaining = Set(users.values.filter { $0.isActive && $0.identity.userID != userID }.map(\.identity.userID))
            guard envelopes.count == remaining.count, Set(envelopes.map(\.user)) == remaining else {
                throw invalid(entry, "the new directory key is not sealed to exactly everyone who remains")
            }
            guard previous.count == Vault.chainedKeyLength else { throw invalid(entry, "malformed directory key chain") }
            target.removedAt = entry.seq
            target.rolesAtRemoval = groups.compactMapValues { $0.members[userID] }
            users[userID] = target
            // Every role goes; no current key they hold may be written under again.
            for (groupID, var group) in groups {
                if group.recovery != nil {
                    group.recoveryLoses(userID, fromVault: true)
                    groups[groupID] = group
                }
                let held = Self.currentKeysHeld(by: userID, in: group)
                guard group.members[userID] != nil || !held.isEmpty else { continue }
                group.staleCompartments.formUnion(held)
                group.members[userID] = nil
                groups[groupID] = group
            }
            directoryEpoch += 1
            directoryChain[directoryEpoch] = previous
            for envelope in envelopes {
                users[envelope.user]?.directoryEnvelope = envelope.sealed
                users[envelope.user]?.directoryEpoch = directoryEpoch
            }
            if target.role == .auditor {
                // Details written from here on are sealed under keys the removed auditor never sees.
                retiredAudit[auditEpoch] = RetiredAuditKey(publicKey: auditKey, envelopes: auditKeyEnvelopes, detailKeys: detailKeys)
                auditEpoch += 1
                auditEpochStarts[auditEpoch] = entry.seq + 1
                auditKey = nil
                auditKeyEnvelopes = [:]
                detailKeys = [:]
            }

        case .auditKeyChained(let sealed):
            if let refusal = Rights.shareAuditKey(self, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
            guard previousKeyedAuditEpoch(before: auditEpoch) != nil else { throw invalid(entry, "there is no earlier audit key to chain") }
            guard auditKey != nil, auditKeyEnvelopes[entry.actor] != nil else { throw invalid(entry, "its author does not hold the audit key") }
            guard auditChain[auditEpoch] == nil else { throw invalid(entry, "the earlier audit key is already chained") }
            auditChain[auditEpoch] = sealed

        case .recordsIndexed(let groupID, let records):
            guard groups[groupID] != nil else { throw invalid(entry, "the group does not exist") }
            guard role(of: entry.actor, in: groupID) != nil else { throw invalid(entry, "its author has no role in the group") }
            guard records > 0 else { throw invalid(entry, "it indexes no records") }

        case .vaultSettings(let founderMayLead):
            // Chosen at the founding, once: nobody can later change the rules everyone joined under.
            guard entry.seq == 1, entry.actor == founder else { throw invalid(entry, "vault settings are made only by the founder, right after the founding") }
            self.founderMayLead = founderMayLead

        case .deviceWiped:
            // Any enrolled user may say a device of theirs was wiped (checked above: enrolled, not removed).
            break

        case .recordsErased(let groupID, let cause, let erased):
            try applyErasure(entry, group: groupID, cause: cause, records: erased)

        case .userReplaced(let old, let new):
            try applyReplacement(entry, old: old, new: new)

        case .restoreAccepted:
            guard users[entry.actor]?.role == .admin else { throw invalid(entry, "only an admin may accept a restored store") }
            restoresAccepted.append(entry.seq)

        case .recoverySetUp(let groupID, let epoch, let publicKey, let threshold, let trustees, let keys):
            try applyRecoverySetUp(entry, group: groupID, epoch: epoch, publicKey: publicKey, threshold: threshold, trustees: trustees, keys: keys)

        case .recoveryRequested(let groupID, let epoch):
            try applyRecoveryRequest(entry, group: groupID, epoch: epoch)

        case .recoveryApproved(let groupID, let request, let sealedShare):
            try applyRecoveryApproval(entry, group: groupID, request: request, sealedShare: sealedShare)

        case .recoveryCompleted(let groupID, let request):
            try applyRecoveryCompletion(entry, group: groupID, request: request)

        case .searched(let searched):
            guard !searched.isEmpty, Set(searched).count == searched.count else { throw invalid(entry, "it names no group, or one twice") }
            for groupID in searched {
                guard groups[groupID] != nil else { throw invalid(entry, "a group it names does not exist") }
                guard role(of: entry.actor, in: groupID) != nil else { throw invalid(entry, "its author has no role in a group it names") }
            }
        }
    }
}
