import KithCrypto

/// A trustee of a group's recovery, as shown to users.
public struct RecoveryTrustee: Encodable, Sendable {
    /// Their handle.
    public let handle: String
    /// Whether they are still enrolled (a removed trustee's share is void).
    public let active: Bool
    /// Whether this is the acting user.
    public let isYou: Bool
}

/// An open request to recover a group's keys.
public struct RecoveryRequestInfo: Encodable, Sendable {
    /// The request's log position: what `kith recovery approve --request` names.
    public let seq: UInt64
    /// Who asked.
    public let requester: String
    /// Their key's fingerprint, for trustees to compare with the person before approving.
    public let requesterFingerprint: String
    /// When (ms since 1970).
    public let timeMillis: UInt64
    /// The trustees who approved it, by handle.
    public let approvedBy: [String]
    /// How many approvals it needs in all.
    public let needed: Int
    /// Whether the acting user asked.
    public let isYours: Bool
    /// Whether the acting user approved it.
    public let approvedByYou: Bool
}

/// What a trustee's own share is like, checked against the setup's commitment.
public enum ShareCheck: String, Encodable, Sendable {
    /// It opens and matches: an approval will hand over a good share.
    case good
    /// It does not open or does not match: approving would not help (tell a lead).
    case damaged
}

/// A group's recovery as one user sees it (nothing secret).
public struct RecoveryStatus: Encodable, Sendable {
    /// The group's name.
    public let group: String
    /// The group's id (32 hex digits).
    public let groupID: String
    /// The setup's epoch (nil: no recovery now).
    public let epoch: UInt32?
    /// How many trustees must approve.
    public let threshold: Int?
    /// The trustees.
    public let trustees: [RecoveryTrustee]
    /// The lead who set it up.
    public let setUpBy: String?
    /// When (ms since 1970).
    public let setUpMillis: UInt64?
    /// How many of the group's keys are sealed to the recovery key.
    public let keysCovered: Int
    /// How many keys the group has.
    public let keysInGroup: Int
    /// Requests not yet completed.
    public let requests: [RecoveryRequestInfo]
    /// The acting user's own share, when they are a trustee.
    public let yourShare: ShareCheck?
    /// Whether enough trustees are still enrolled for it to work.
    public let workable: Bool
    /// The log position of the group's latest completed recovery.
    public let lastRecoveredAt: UInt64?
    /// A recovery was completed and the recovery not set up again (only a modified client leaves this).
    public let rotationDue: Bool
    /// Why it takes no new keys any more (nil: it does): a lead should set it up again.
    public let frozen: RecoveryFreeze?
    /// How many trustees have sent their share to someone under this setup.
    public let sharesReleased: Int
}

/// What a completed recovery did.
public struct RecoveryOutcome: Encodable, Sendable {
    /// The group's name.
    public let group: String
    /// How many of the group's keys were recovered and sealed to you.
    public let keysRecovered: Int
    /// Keys the recovery key held that did not open or match (their records stay unreadable to you).
    public let keysLost: [String]
    /// Compartments whose current key was lost, given a new epoch.
    public let newEpochs: [String]
    /// Trustees whose share did not match the setup's commitment.
    public let damagedShares: [String]
    /// The recovery as it is now: set up again with new shares.
    public let recovery: RecoveryStatus
}

extension Vault {
    /// The group's recovery, for anyone enrolled (nothing secret is in it).
    public func recoveryStatus(groupName: String) throws -> RecoveryStatus {
        let group = try self.group(named: groupName)
        guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'", remedy: .listGroups) }
        return recoveryStatus(current, name: group.name)
    }

    func recoveryStatus(_ group: GroupState, name: String) -> RecoveryStatus {
        let recovery = group.recovery
        let trustees = (recovery?.trustees.keys.sorted() ?? []).map { user in
            RecoveryTrustee(handle: handle(of: user), active: state.users[user]?.isActive == true, isYou: user == me)
        }.sorted { $0.handle < $1.handle }
        let requests = (recovery?.requests.values.sorted { $0.seq < $1.seq } ?? []).map { request in
            RecoveryRequestInfo(
                seq: request.seq, requester: handle(of: request.requester),
                requesterFingerprint: state.users[request.requester]?.identity.fingerprint ?? "",
                timeMillis: request.timeMillis, approvedBy: request.approvals.keys.sorted().map { handle(of: $0) },
                needed: Int(recovery?.threshold ?? 0), isYours: request.requester == me, approvedByYou: request.approvals[me] != nil)
        }
        let yourShare: ShareCheck? = recovery?.trustees[me].map { share in
            guard let recovery, (try? openOwnShare(share, group: group.id, epoch: recovery.epoch)) != nil else { return .damaged }
            return .good
        }
        return RecoveryStatus(
            group: name, groupID: group.id.description, epoch: recovery?.epoch, threshold: recovery.map { Int($0.threshold) }, trustees: trustees,
            setUpBy: recovery.map { handle(of: $0.setUpBy) }, setUpMillis: recovery?.setUpMillis,
            keysCovered: recovery?.sealedKeys.count ?? 0, keysInGroup: group.commitments.count, requests: requests, yourShare: yourShare,
            workable: recovery.map { recovery in trustees.filter(\.active).count >= Int(recovery.threshold) } ?? false,
            lastRecoveredAt: group.lastRecoveredAt, rotationDue: group.recoveryRotationDue, frozen: recovery?.frozen, sharesReleased: recovery?.released.count ?? 0)
    }

    /// Sets up (or sets up again, with new shares) `groupName`'s recovery:
    /// a new recovery key, every group key this lead holds sealed to it, its
    /// secret split so that any `threshold` of `trustees` can hand the keys
    /// to a new lead, and each share sealed to its trustee. Leads only. An
    /// earlier setup's shares and open requests are void from then on.
    @discardableResult
    public func setUpRecovery(groupName: String, threshold: Int, trustees handles: [String]) throws -> RecoveryStatus {
        let group = try self.group(named: groupName)
        let trustees = try recoveryTrustees(handles, threshold: threshold, group: group.name)
        var freshKeys: [KeyRef: KeyBox] = [:]
        try commit { state in
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'", remedy: .listGroups) }
            if let refusal = Rights.setUpRecovery(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
            var keys: [KeyRef: KeyBox] = [:]
            for ref in current.commitments.keys {
                // An old epoch this lead never received stays out (the status counts it); a current one may not.
                guard current.envelopes[ref]?[me] != nil else {
                    if current.currentEpoch[ref.compartment] == ref.epoch {
                        throw KithVaultError.accessDenied(
                            "you hold no current \(ref.compartment) key of \(group.name), so you cannot seal it to a recovery; a lead who holds every key must set it up")
                    }
                    continue
                }
                keys[ref] = try groupKey(group.id, ref)
            }
            let (setup, publicKey) = try recoverySetUpEntry(current, name: group.name, threshold: threshold, trustees: trustees, keys: keys)
            guard current.recovery != nil else { return [setup] }
            // Replacing a recovery: whoever could rebuild the old key could open the current keys, so every compartment gets a new one.
            var after = current
            after.recovery = GroupRecovery(
                epoch: current.recoveryEpochs + 1, publicKey: publicKey, threshold: UInt8(threshold), setUpAt: state.count, setUpBy: me, setUpMillis: 0,
                trustees: [:], sealedKeys: [:])
            freshKeys = [:]
            let grants = try after.currentEpoch.sorted(by: { $0.key < $1.key }).map { compartment, epoch in
                try newEpochGrant(after, KeyRef(compartment: compartment, epoch: epoch + 1), members: after.members, freshKeys: &freshKeys)
            }
            return [
                setup,
                PendingEntry(
                    body: .keysDistributed(group: group.id, grants: grants),
                    details: [("action", "new keys for \(group.name), since the recovery it replaced held the old ones"), ("group", group.name)]),
            ]
        }
        rememberKeys(freshKeys, group: group.id)
        return try recoveryStatus(groupName: group.id.description)
    }

    /// Checks a trustee list before anything is asked or written.
    func recoveryTrustees(_ handles: [String], threshold: Int, group: String) throws -> [UserID] {
        let named = handles.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard named.count <= GroupRecovery.maximumTrustees else {
            throw KithVaultError.invalidInput("a recovery has at most \(GroupRecovery.maximumTrustees) trustees (\(named.count) were named)")
        }
        var users: [UserID] = []
        for handle in named {
            let user = try self.user(handle: handle)
            guard user.id != me else {
                throw KithVaultError.invalidInput("you hold the keys already, so you cannot be a trustee of a recovery you set up; name other people")
            }
            guard !users.contains(user.id) else { throw KithVaultError.invalidInput("\(user.handle) is named twice; each trustee holds one share") }
            users.append(user.id)
        }
        guard threshold >= 2 else {
            throw KithVaultError.invalidInput("a threshold of \(threshold) would let \(threshold == 1 ? "one trustee" : "nobody") recover \(group); it must be at least 2")
        }
        guard users.count >= threshold else {
            throw KithVaultError.invalidInput("a threshold of \(threshold) needs at least \(threshold) trustees (\(users.count) named)")
        }
        let barred = users.filter { !state.mayHoldRecordKeys($0) }
        guard barred.count < threshold else {
            throw KithVaultError.invalidInput(
                "\(barred.map { handle(of: $0) }.joined(separator: ", ")) are admins or auditors, who may never read records, and \(threshold) of them together could rebuild the recovery key; add other trustees or raise the threshold above \(barred.count)"
            )
        }
        return users.sorted()
    }

    /// The setup entry for the next recovery epoch of `group`: a fresh
    /// recovery key, `keys` sealed to it, its secret split among `trustees`.
    func recoverySetUpEntry(_ group: GroupState, name: String, threshold: Int, trustees: [UserID], keys: [KeyRef: KeyBox]) throws -> (PendingEntry, BoxPublicKey) {
        let epoch = group.recoveryEpochs + 1
        let pair = try BoxKeyPair()
        let shares = try SecretSharing.split(try pair.secretKeyCopy(), threshold: threshold, count: trustees.count)
        var sealedShares: [TrusteeShare] = []
        for (user, share) in zip(trustees, shares) {
            guard let trustee = state.users[user], trustee.isActive else { throw KithVaultError.notFound("user \(user)", remedy: .listUsers) }
            let encoded = try share.encoded()
            sealedShares.append(
                TrusteeShare(
                    user: user, commitment: try shareCommitment(encoded, group: group.id, epoch: epoch, trustee: user),
                    sealed: try SealedBox.seal(encoded, to: trustee.identity.boxKey)))
        }
        let envelopes = try keys.sorted { $0.key < $1.key }.map { ref, key in
            RecoveryKeyEnvelope(ref: ref, sealed: try SealedBox.seal(key.key, to: pair.publicKey))
        }
        let names = trustees.map { handle(of: $0) }.joined(separator: ", ")
        let entry = PendingEntry(
            body: .recoverySetUp(group: group.id, epoch: epoch, publicKey: pair.publicKey, threshold: UInt8(threshold), trustees: sealedShares, keys: envelopes),
            details: [("action", "set up recovery of \(name): \(threshold) of \(trustees.count) trustees (\(names))"), ("group", name)])
        return (entry, pair.publicKey)
    }

    /// A hash of one trustee's share, bound to where it belongs. The share
    /// is uniformly random bytes, so the hash gives nothing of the secret away.
    func shareCommitment(_ share: borrowing SecureBytes, group: GroupID, epoch: UInt32, trustee: UserID) throws -> [UInt8] {
        var w = ByteWriter()
        w.string(SignatureContext.recoveryShare)
        w.fixed(state.vaultID)
        w.fixed(group.bytes)
        w.u32(epoch)
        w.fixed(trustee.bytes)
        // Keyed by public context bytes: BLAKE2b's key input is only a domain here.
        var context = try BLAKE2b.hash(w.bytes, outputLength: 32)
        return try BLAKE2b.hash(secret: share, key: SecureBytes(wiping: &context), outputLength: 32, personal: Array("kith-rshare-v001".utf8))
    }

    /// The acting trustee's share, opened and checked against its commitment.
    func openOwnShare(_ share: TrusteeShare, group: GroupID, epoch: UInt32) throws -> SecureBytes {
        let opened: SecureBytes
        do { opened = try holder.openSealed(share.sealed) } catch {
            throw KithVaultError.integrity("your share of the recovery of \(groupName(group)) does not open with your key")
        }
        guard ConstantTime.equal(try shareCommitment(opened, group: group, epoch: epoch, trustee: share.user), share.commitment) else {
            throw KithVaultError.integrity("your share of the recovery of \(groupName(group)) is not the share its setup committed to")
        }
        return opened
    }

    /// Asks the trustees of `groupName`'s recovery for its keys: a logged
    /// request they approve one by one. Anyone who may lead the group may ask.
    @discardableResult
    public func requestRecovery(groupName: String, again: Bool = false) throws -> RecoveryRequestInfo {
        let group = try self.group(named: groupName)
        var seq: UInt64 = 0
        try commit { state in
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'", remedy: .listGroups) }
            guard let recovery = current.recovery else { throw noRecovery(current, name: group.name) }
            if let refusal = Rights.requestRecovery(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
            if let open = recovery.requests.values.first(where: { $0.requester == me }), !again {
                throw KithVaultError.invalidInput(
                    "you already asked to recover \(group.name) (request \(open.seq)); it has \(open.approvals.count) of \(recovery.threshold) approvals. To start over (its approvals become void), ask again with --again",
                    remedy: .showRecovery(group: group.name))
            }
            seq = state.count
            return [
                PendingEntry(
                    body: .recoveryRequested(group: group.id, epoch: recovery.epoch),
                    details: [("action", "asked to recover \(group.name)"), ("group", group.name)])
            ]
        }
        guard let request = try recoveryStatus(groupName: group.id.description).requests.first(where: { $0.isYours }) else {
            throw KithVaultError.notFound("your recovery request at entry \(seq)")
        }
        return request
    }

    func noRecovery(_ group: GroupState, name: String) -> KithVaultError {
        group.recoveryRotationDue
            ? .invalidInput("\(name)'s recovery was used and has not been set up again yet; a lead must set it up with new shares")
            : .notFound("a recovery of \(name): none is set up (a lead sets one up with 'kith recovery setup')")
    }

    /// Approves a request to recover `groupName` as one of its trustees:
    /// sends the trustee's share, sealed to the requester only, in a signed
    /// entry. `request` names it by its log position; nil picks the only
    /// one open. Approve only after checking with the person, face to face
    /// or by voice, that they asked.
    @discardableResult
    public func approveRecovery(groupName: String, request wanted: UInt64? = nil) throws -> RecoveryRequestInfo {
        let group = try self.group(named: groupName)
        var chosenSeq: UInt64 = 0
        try commit { state in
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'", remedy: .listGroups) }
            guard let recovery = current.recovery else { throw noRecovery(current, name: group.name) }
            guard let mine = recovery.trustees[me] else {
                throw KithVaultError.accessDenied("you are not a trustee of \(group.name)'s recovery, so you hold no share to approve with")
            }
            let request = try chooseRequest(recovery, wanted: wanted, name: group.name)
            guard request.requester != me else { throw KithVaultError.invalidInput("you cannot approve your own request; \(recovery.threshold) other trustees must") }
            guard request.approvals[me] == nil else {
                throw KithVaultError.invalidInput("you already approved request \(request.seq) of \(group.name)", remedy: .showRecovery(group: group.name))
            }
            guard let requester = state.users[request.requester], requester.isActive else {
                throw KithVaultError.invalidInput("the person who asked (request \(request.seq)) was removed from the vault; their request can no longer be approved")
            }
            let share = try openOwnShare(mine, group: group.id, epoch: recovery.epoch)
            chosenSeq = request.seq
            let who = handle(of: request.requester)
            return [
                PendingEntry(
                    body: .recoveryApproved(group: group.id, request: request.seq, sealedShare: try SealedBox.seal(share, to: requester.identity.boxKey)),
                    details: [("action", "approved the recovery of \(group.name) asked by \(who)"), ("group", group.name), ("handle", who)])
            ]
        }
        let status = try recoveryStatus(groupName: group.id.description)
        guard let request = status.requests.first(where: { $0.seq == chosenSeq }) else { throw KithVaultError.notFound("recovery request \(chosenSeq)") }
        return request
    }

    private func chooseRequest(_ recovery: GroupRecovery, wanted: UInt64?, name: String) throws -> RecoveryRequest {
        if let wanted {
            guard let request = recovery.requests[wanted] else {
                throw KithVaultError.notFound("an open recovery request of \(name) at entry \(wanted)", remedy: .showRecovery(group: name))
            }
            return request
        }
        let open = recovery.requests.values.filter { $0.requester != me && $0.approvals[me] == nil }.sorted { $0.seq < $1.seq }
        guard let only = open.first else {
            throw KithVaultError.notFound("a recovery request of \(name) waiting for your approval (nobody else has asked)", remedy: .showRecovery(group: name))
        }
        guard open.count == 1 else {
            let listed = open.map { "\($0.seq) by \(handle(of: $0.requester))" }.joined(separator: ", ")
            throw KithVaultError.invalidInput("\(open.count) requests are open (\(listed)); say which with --request", remedy: .showRecovery(group: name))
        }
        return only
    }

    /// Completes the acting user's request to recover `groupName` once
    /// enough trustees approved: rebuilds the recovery key from their
    /// shares, opens every group key sealed to it (each checked against the
    /// commitment every member sees) and, in one commit, becomes the
    /// group's lead, seals the keys to itself and sets the recovery up
    /// again with new shares, so the ones just used are worth nothing. The
    /// next recovery has the same trustees still enrolled (less the
    /// requester) and threshold unless `trustees` and `threshold` say otherwise.
    public func completeRecovery(groupName: String, trustees newTrustees: [String]? = nil, threshold newThreshold: Int? = nil) throws -> RecoveryOutcome {
        let group = try self.group(named: groupName)
        var outcome: (recovered: Int, lost: [KeyRef], fresh: [KeyRef: KeyBox], damaged: [UserID]) = (0, [], [:], [])
        try commit { state in
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'", remedy: .listGroups) }
            guard let recovery = current.recovery else { throw noRecovery(current, name: group.name) }
            guard let request = recovery.requests.values.first(where: { $0.requester == me }) else {
                throw KithVaultError.notFound("a recovery request of yours for \(group.name)", remedy: .requestRecovery(group: group.name))
            }
            if let refusal = Rights.requestRecovery(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
            let threshold = Int(recovery.threshold)
            guard request.approvals.count >= threshold else {
                let waiting = recovery.trustees.keys.filter { request.approvals[$0] == nil && $0 != me }.map { handle(of: $0) }.sorted()
                throw KithVaultError.invalidInput(
                    "\(request.approvals.count) of the \(threshold) approvals \(group.name)'s recovery needs are in; waiting for \(threshold - request.approvals.count) more from: \(waiting.joined(separator: ", "))",
                    remedy: .showRecovery(group: group.name))
            }
            let nextTrustees = try nextRecoveryTrustees(recovery, handles: newTrustees, threshold: newThreshold, name: group.name)
            var damaged: [UserID] = []
            let pair = try rebuildRecoveryKey(recovery, request: request, group: group.id, name: group.name, damaged: &damaged)
            var recovered: [KeyRef: KeyBox] = [:]
            var lost: [KeyRef] = []
            for (ref, sealed) in recovery.sealedKeys.sorted(by: { $0.key < $1.key }) {
                guard let opened = try? SealedBox.open(sealed, with: pair) else {
                    lost.append(ref)
                    continue
                }
                let key = KeyBox(opened)
                guard try keyCommitment(key, group: group.id, ref: ref) == current.commitments[ref] else {
                    lost.append(ref)
                    continue
                }
                recovered[ref] = key
            }
            var after = current
            after.members[me] = .lead
            after.recovery = nil
            // Keys sealed to me now: every one recovered that I lacked.
            var grants = try recovered.sorted(by: { $0.key < $1.key }).compactMap { ref, key -> KeyGrant? in
                guard current.envelopes[ref]?[me] == nil else { return nil }
                return KeyGrant(compartment: ref.compartment, epoch: ref.epoch, commitment: current.commitments[ref] ?? [], envelopes: [try envelope(key, to: me)])
            }
            // What I will hold, to seal to the next recovery: recovered keys and those I had.
            var held = recovered
            for ref in current.commitments.keys where held[ref] == nil && current.envelopes[ref]?[me] != nil { held[ref] = try groupKey(group.id, ref) }
            // The used key opens the current keys (and one may not have opened at all): every compartment gets a new one.
            var fresh: [KeyRef: KeyBox] = [:]
            for (compartment, epoch) in current.currentEpoch.sorted(by: { $0.key < $1.key }) {
                grants.append(try newEpochGrant(after, KeyRef(compartment: compartment, epoch: epoch + 1), members: after.members, freshKeys: &fresh))
            }
            held.merge(fresh) { old, _ in old }
            outcome = (recovered.count, lost, fresh, damaged)
            var entries = [
                PendingEntry(
                    body: .recoveryCompleted(group: group.id, request: request.seq),
                    details: [
                        ("action", "recovered the keys of \(group.name) with the approvals of \(request.approvals.keys.map { handle(of: $0) }.sorted().joined(separator: ", "))"),
                        ("group", group.name),
                    ])
            ]
            if !grants.isEmpty {
                entries.append(
                    PendingEntry(
                        body: .keysDistributed(group: group.id, grants: grants),
                        details: [("action", "sealed the recovered keys of \(group.name) to themselves, and new keys to its members"), ("group", group.name)]))
            }
            entries.append(
                try recoverySetUpEntry(after, name: group.name, threshold: nextTrustees.threshold, trustees: nextTrustees.users, keys: held).0)
            return entries
        }
        rememberKeys(outcome.fresh, group: group.id)
        let status = try recoveryStatus(groupName: group.id.description)
        return RecoveryOutcome(
            group: group.name, keysRecovered: outcome.recovered, keysLost: outcome.lost.map(\.description),
            newEpochs: outcome.fresh.keys.sorted().map(\.compartment.description), damagedShares: outcome.damaged.map { handle(of: $0) }, recovery: status)
    }

    /// The trustees and threshold of the recovery set up after a use.
    private func nextRecoveryTrustees(_ recovery: GroupRecovery, handles: [String]?, threshold: Int?, name: String) throws -> (users: [UserID], threshold: Int) {
        if let handles {
            let next = threshold ?? Int(recovery.threshold)
            return (try recoveryTrustees(handles, threshold: next, group: name), next)
        }
        let remaining = recovery.trustees.keys.filter { $0 != me && state.users[$0]?.isActive == true }.sorted()
        let next = threshold ?? Int(recovery.threshold)
        guard next >= 2, remaining.count >= next else {
            throw KithVaultError.invalidInput(
                "after this recovery \(remaining.count) of its trustees remain (you become lead, and removed users drop out), too few for a threshold of \(next); name the next recovery's trustees",
                remedy: .nameNextTrustees(group: name, threshold: next))
        }
        return (remaining, next)
    }

    /// The recovery key, rebuilt from the approvals' shares. A share that
    /// does not open or match its commitment is left out and named; the
    /// rebuilt key must be the one the setup published.
    private func rebuildRecoveryKey(_ recovery: GroupRecovery, request: RecoveryRequest, group: GroupID, name: String, damaged: inout [UserID]) throws -> BoxKeyPair {
        var shares: [SecretShare] = []
        for (trustee, sealed) in request.approvals.sorted(by: { $0.key < $1.key }) {
            guard let committed = recovery.trustees[trustee]?.commitment, let opened = try? holder.openSealed(sealed),
                (try? shareCommitment(opened, group: group, epoch: recovery.epoch, trustee: trustee)).map({ ConstantTime.equal($0, committed) }) == true,
                let share = try? SecretShare(encoded: opened), share.threshold == recovery.threshold
            else {
                damaged.append(trustee)
                continue
            }
            shares.append(share)
        }
        guard shares.count >= Int(recovery.threshold) else {
            throw KithVaultError.integrity(
                "the shares from \(damaged.map { handle(of: $0) }.joined(separator: ", ")) are not the ones \(name)'s recovery setup committed to, and too few good ones are left; ask again ('kith recovery request --again') and have other trustees approve"
            )
        }
        let secret: SecureBytes
        do { secret = try SecretSharing.combine(shares) } catch {
            throw KithVaultError.integrity("the approved shares of \(name)'s recovery do not fit together (\(error)); its setup handed out broken shares; tell an auditor")
        }
        let pair = try BoxKeyPair(secretKey: secret)
        guard pair.publicKey == recovery.publicKey else {
            throw KithVaultError.integrity(
                "the approved shares do not rebuild \(name)'s recovery key (its setup handed out shares of different secrets); tell an auditor")
        }
        return pair
    }
}
