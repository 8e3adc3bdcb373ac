import KithCrypto

// The replayed state as the resume cache keeps it: one explicit encoder and
// a strict decoder, as for every stored object (version byte first; unknown
// versions, bad lengths and trailing bytes are errors). The snapshot holds
// what the log holds in the open (ids, public keys, roles, epochs, sealed
// envelopes and names) and nothing decrypted.

extension VaultState {
    /// Version of the snapshot encoding.
    /// 2: a group's creation position, directory and audit epochs, removed
    /// users (older caches are rebuilt by a replay).
    /// 3: the head's time (a cache of an earlier layout is rebuilt likewise).
    /// 4: each group's latest erasure.
    /// 5: the founding settings.
    /// 6: each group's recovery (its trustees, sealed keys and open requests),
    /// and for each user the roles they held when removed and any replacement.
    /// 7: the positions of accepted restores.
    static let snapshotVersion: UInt8 = 7

    /// Everything but the records (which the cache keeps one row each), with
    /// the number of records in each group.
    func encodeSnapshot() -> [UInt8] {
        var w = ByteWriter(capacity: 4096)
        w.u8(Self.snapshotVersion)
        w.fixed(vaultID)
        w.fixed(fingerprint)
        w.u64(count)
        w.fixed(headHash)
        w.u64(headTimeMillis)
        w.u8(founderMayLead ? 1 : 0)
        w.u32(UInt32(restoresAccepted.count))
        for seq in restoresAccepted { w.u64(seq) }
        w.u32(UInt32(users.count))
        // Enrolment order, ties (never in a replayed log, possible in a damaged
        // cache) broken by id: one state, one encoding.
        for user in users.values.sorted(by: { ($0.enrolledAt, $0.identity.userID) < ($1.enrolledAt, $1.identity.userID) }) {
            EntryBody.write(user.identity, to: &w)
            w.u8(user.role.rawValue)
            w.data(user.sealedHandle)
            w.data(user.directoryEnvelope)
            w.u64(user.enrolledAt)
            w.u32(user.directoryEpoch)
            w.u32(user.handleEpoch)
            Self.write(optional: user.removedAt, to: &w)
            w.optionalID(user.replaces)
            w.optionalID(user.replacedBy)
            w.u32(UInt32(user.rolesAtRemoval.count))
            for (group, role) in user.rolesAtRemoval.sorted(by: { $0.key < $1.key }) {
                w.fixed(group.bytes)
                w.u8(role.rawValue)
            }
        }
        w.u32(UInt32(groups.count))
        for group in groups.values.sorted(by: { $0.id < $1.id }) {
            w.fixed(group.id.bytes)
            w.data(group.sealedName)
            w.u64(group.createdAt)
            w.u32(group.nameEpoch)
            let stale = group.staleCompartments.sorted()
            w.u8(UInt8(stale.count))
            for compartment in stale { w.u8(compartment.rawValue) }
            w.u32(UInt32(group.members.count))
            for (user, role) in group.members.sorted(by: { $0.key < $1.key }) {
                w.fixed(user.bytes)
                w.u8(role.rawValue)
            }
            group.policy.encode(into: &w)
            let epochs = group.currentEpoch.sorted { $0.key < $1.key }.map { KeyRef(compartment: $0.key, epoch: $0.value) }
            EntryBody.write(epochs, to: &w)
            w.u32(UInt32(group.commitments.count))
            for (ref, commitment) in group.commitments.sorted(by: { $0.key < $1.key }) {
                EntryBody.write([ref], to: &w)
                w.data(commitment)
            }
            w.u32(UInt32(group.envelopes.count))
            for (ref, sealed) in group.envelopes.sorted(by: { $0.key < $1.key }) {
                EntryBody.write([ref], to: &w)
                w.u32(UInt32(sealed.count))
                for (user, envelope) in sealed.sorted(by: { $0.key < $1.key }) {
                    w.fixed(user.bytes)
                    w.data(envelope)
                }
            }
            if let pending = group.pendingRekey {
                w.u8(1)
                w.u8(pending.mode.rawValue)
                EntryBody.write(pending.targets, to: &w)
                w.u64(pending.startedAt)
            } else {
                w.u8(0)
            }
            w.u64(UInt64(records.count(in: group.id)))
            Self.write(optional: group.lastErasureAt, to: &w)
            group.encodeRecovery(into: &w)
        }
        if let auditKey {
            w.u8(1)
            w.fixed(auditKey.bytes)
        } else {
            w.u8(0)
        }
        Self.write(auditKeyEnvelopes, to: &w)
        Self.write(detailKeys, to: &w)
        w.u32(directoryEpoch)
        Self.write(directoryChain, to: &w)
        w.u32(auditEpoch)
        w.u32(UInt32(auditEpochStarts.count))
        for (epoch, start) in auditEpochStarts.sorted(by: { $0.key < $1.key }) {
            w.u32(epoch)
            w.u64(start)
        }
        w.u32(UInt32(retiredAudit.count))
        for (epoch, retired) in retiredAudit.sorted(by: { $0.key < $1.key }) {
            w.u32(epoch)
            if let key = retired.publicKey {
                w.u8(1)
                w.fixed(key.bytes)
            } else {
                w.u8(0)
            }
            Self.write(retired.envelopes, to: &w)
            Self.write(retired.detailKeys, to: &w)
        }
        Self.write(auditChain, to: &w)
        return w.bytes
    }

    /// The state a snapshot describes, with its records read lazily from `records`.
    static func decodeSnapshot(_ bytes: [UInt8], records source: RecordSource?) throws -> VaultState {
        var r = ByteReader(bytes, what: "resume cache state")
        guard try r.u8() == snapshotVersion else { throw KithVaultError.integrity("the resume cache was written by another version of Kith") }
        var state = VaultState()
        func id() throws -> Identifier { try Identifier(bytes: r.fixed(Identifier.length)) }
        state.vaultID = try r.fixed(Identifier.length)
        state.fingerprint = try r.fixed(32)
        state.count = try r.u64()
        state.headHash = try r.fixed(32)
        state.headTimeMillis = try r.u64()
        state.founderMayLead = try r.u8() == 1
        var accepted: [UInt64] = []
        for _ in 0..<(try r.count(each: 8)) {
            let seq = try r.u64()
            // Ascending and inside the log, as a replay makes them.
            guard state.count > seq, seq > (accepted.last ?? 0) else { throw KithVaultError.integrity("resume cache lists accepted restores out of order") }
            accepted.append(seq)
        }
        state.restoresAccepted = accepted
        for _ in 0..<(try r.u32()) {
            let identity = try EntryBody.readIdentity(&r)
            guard let role = OrgRole(rawValue: try r.u8()) else { throw KithVaultError.integrity("resume cache names an unknown role") }
            var user = UserState(
                identity: identity, role: role, sealedHandle: try r.data(limit: 1024), directoryEnvelope: try r.data(limit: 256),
                enrolledAt: try r.u64(), directoryEpoch: try r.u32(), handleEpoch: try r.u32(), removedAt: try readOptional(&r))
            user.replaces = try r.optionalID()
            user.replacedBy = try r.optionalID()
            for _ in 0..<(try r.u32()) {
                let group = try id()
                guard let role = GroupRole(rawValue: try r.u8()) else { throw KithVaultError.integrity("resume cache names an unknown role") }
                user.rolesAtRemoval[group] = role
            }
            state.users[identity.userID] = user
        }
        var counts: [GroupID: Int] = [:]
        for _ in 0..<(try r.u32()) {
            var group = GroupState(id: try id(), sealedName: try r.data(limit: 4096), createdAt: try r.u64(), nameEpoch: try r.u32())
            for _ in 0..<(try r.u8()) {
                guard let compartment = Compartment(rawValue: try r.u8()) else { throw KithVaultError.integrity("resume cache names an unknown compartment") }
                group.staleCompartments.insert(compartment)
            }
            for _ in 0..<(try r.u32()) {
                let user = try id()
                guard let role = GroupRole(rawValue: try r.u8()) else { throw KithVaultError.integrity("resume cache names an unknown group role") }
                group.members[user] = role
            }
            group.policy = try GroupPolicy.decode(&r)
            for ref in try EntryBody.readRefs(&r) { group.currentEpoch[ref.compartment] = ref.epoch }
            for _ in 0..<(try r.u32()) {
                guard let ref = try EntryBody.readRefs(&r).first else { throw KithVaultError.integrity("resume cache has an empty key name") }
                group.commitments[ref] = try r.data(limit: 64)
            }
            for _ in 0..<(try r.u32()) {
                guard let ref = try EntryBody.readRefs(&r).first else { throw KithVaultError.integrity("resume cache has an empty key name") }
                var sealed: [UserID: [UInt8]] = [:]
                for _ in 0..<(try r.u32()) { sealed[try id()] = try r.data(limit: 256) }
                group.envelopes[ref] = sealed
            }
            if try r.u8() == 1 {
                group.pendingRekey = PendingRekey(mode: try EntryBody.readMode(&r), targets: try EntryBody.readRefs(&r), startedAt: try r.u64())
            }
            counts[group.id] = Int(clamping: try r.u64())
            group.lastErasureAt = try readOptional(&r)
            try group.decodeRecovery(&r)
            state.groups[group.id] = group
        }
        if try r.u8() == 1 { state.auditKey = try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength)) }
        state.auditKeyEnvelopes = try readSealed(&r)
        state.detailKeys = try readSealed(&r)
        state.directoryEpoch = try r.u32()
        state.directoryChain = try readEpochData(&r)
        state.auditEpoch = try r.u32()
        for _ in 0..<(try r.u32()) { state.auditEpochStarts[try r.u32()] = try r.u64() }
        for _ in 0..<(try r.u32()) {
            let epoch = try r.u32()
            let key = try r.u8() == 1 ? try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength)) : nil
            state.retiredAudit[epoch] = RetiredAuditKey(publicKey: key, envelopes: try readSealed(&r), detailKeys: try readSealed(&r))
        }
        state.auditChain = try readEpochData(&r)
        try r.finish()
        state.records = RecordIndex(base: source, countByGroup: counts)
        return state
    }

    private static func write(_ sealed: [UserID: [UInt8]], to w: inout ByteWriter) {
        w.u32(UInt32(sealed.count))
        for (user, bytes) in sealed.sorted(by: { $0.key < $1.key }) {
            w.fixed(user.bytes)
            w.data(bytes)
        }
    }

    static func write(optional value: UInt64?, to w: inout ByteWriter) {
        if let value {
            w.u8(1)
            w.u64(value)
        } else {
            w.u8(0)
        }
    }

    static func readOptional(_ r: inout ByteReader) throws -> UInt64? {
        try r.u8() == 1 ? try r.u64() : nil
    }

    private static func write(_ byEpoch: [UInt32: [UInt8]], to w: inout ByteWriter) {
        w.u32(UInt32(byEpoch.count))
        for (epoch, bytes) in byEpoch.sorted(by: { $0.key < $1.key }) {
            w.u32(epoch)
            w.data(bytes)
        }
    }

    private static func readEpochData(_ r: inout ByteReader) throws -> [UInt32: [UInt8]] {
        var out: [UInt32: [UInt8]] = [:]
        for _ in 0..<(try r.u32()) { out[try r.u32()] = try r.data(limit: 256) }
        return out
    }

    private static func readSealed(_ r: inout ByteReader) throws -> [UserID: [UInt8]] {
        var sealed: [UserID: [UInt8]] = [:]
        for _ in 0..<(try r.u32()) { sealed[try Identifier(bytes: r.fixed(Identifier.length))] = try r.data(limit: 256) }
        return sealed
    }
}

extension RecordState {
    /// Version of the record row encoding in the resume cache.
    /// 2 adds each version's carried compartments with the version each was
    /// sealed for; rows of 1 (nothing carried) still read, so a cache need
    /// not be rebuilt.
    /// 3 adds, after the versions, whether the record was erased and by
    /// which entry (u8 0, or u8 1, u64 position, u64 time, 16 actor); rows
    /// of 1 and 2 still read (not erased).
    static let rowVersion: UInt8 = 3

    /// The record as one resume-cache row.
    func encodeRow() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + versions.count * 96)
        w.u8(Self.rowVersion)
        w.fixed(id.bytes)
        w.fixed(group.bytes)
        w.u8(kind.rawValue)
        w.optionalID(parent)
        w.u32(UInt32(versions.count))
        for version in versions {
            w.u32(version.version)
            w.u64(version.seq)
            w.fixed(version.author.bytes)
            w.u64(version.timeMillis)
            EntryBody.write(version.parts, to: &w)
            w.fixed(version.contentHash)
            w.u8(UInt8(clamping: version.carriedFrom.count))
            for compartment in version.carried {
                w.u8(compartment.rawValue)
                w.u32(version.sealedVersion(of: compartment))
            }
        }
        if let erasure {
            w.u8(1)
            w.u64(erasure.seq)
            w.u64(erasure.timeMillis)
            w.fixed(erasure.actor.bytes)
        } else {
            w.u8(0)
        }
        return w.bytes
    }

    /// A record from its resume-cache row.
    static func decodeRow(_ bytes: [UInt8]) throws -> RecordState {
        var r = ByteReader(bytes, what: "resume cache record")
        let format = try r.u8()
        guard (1...rowVersion).contains(format) else { throw KithVaultError.integrity("the resume cache was written by another version of Kith") }
        func id() throws -> Identifier { try Identifier(bytes: r.fixed(Identifier.length)) }
        let recordID = try id()
        let group = try id()
        guard let kind = RecordKind(rawValue: try r.u8()) else { throw KithVaultError.integrity("resume cache names an unknown record kind") }
        let parent = try r.optionalID()
        let count = try r.u32()
        guard count >= 1, Int(count) <= r.remaining / 60 else { throw KithVaultError.integrity("resume cache record is truncated") }
        var versions: [VersionState] = []
        for _ in 0..<count {
            let version = try r.u32(), seq = try r.u64(), author = try id(), time = try r.u64()
            let parts = try EntryBody.readRefs(&r)
            let hash = try r.fixed(32)
            var carriedFrom: [Compartment: UInt32] = [:]
            for _ in 0..<(format == 1 ? 0 : Int(try r.u8())) {
                guard let compartment = Compartment(rawValue: try r.u8()), parts.contains(where: { $0.compartment == compartment }) else {
                    throw KithVaultError.integrity("resume cache record carries an unknown part")
                }
                let from = try r.u32()
                guard from >= 1, from < version, carriedFrom.updateValue(from, forKey: compartment) == nil else {
                    throw KithVaultError.integrity("resume cache record carries a part from an impossible version")
                }
            }
            versions.append(VersionState(version: version, seq: seq, author: author, timeMillis: time, parts: parts, contentHash: hash, carriedFrom: carriedFrom))
        }
        var erasure: RecordErasure?
        if format >= 3, try r.u8() == 1 { erasure = RecordErasure(seq: try r.u64(), timeMillis: try r.u64(), actor: try id()) }
        try r.finish()
        return RecordState(id: recordID, group: group, kind: kind, parent: parent, versions: versions, erasure: erasure)
    }
}
