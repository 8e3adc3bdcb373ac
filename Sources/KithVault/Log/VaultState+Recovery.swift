import KithCrypto

/// The replay's rules for k-of-n recovery: who sets it up and with whom,
/// that every key of the group reaches the recovery key (now and in every
/// later epoch), who may ask, who may approve and how often, and that a
/// used recovery is replaced before anything else is written. A modified
/// client breaking any of them makes the log invalid for every client.
extension VaultState {
    mutating func applyRecoverySetUp(
        _ entry: LogEntry, group groupID: GroupID, epoch: UInt32, publicKey: BoxPublicKey, threshold: UInt8, trustees: [TrusteeShare], keys: [RecoveryKeyEnvelope]
    ) throws {
        guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
        if let refusal = Rights.setUpRecovery(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
        guard epoch == group.recoveryEpochs + 1 else { throw invalid(entry, "it skips or reuses a recovery epoch") }
        let users = trustees.map(\.user)
        guard users == users.sorted(), Set(users).count == users.count else { throw invalid(entry, "malformed trustee list") }
        guard threshold >= 2, Int(threshold) <= trustees.count, trustees.count <= GroupRecovery.maximumTrustees else {
            throw invalid(entry, "a recovery needs 2 to \(GroupRecovery.maximumTrustees) trustees and a threshold from 2 to their number")
        }
        for trustee in trustees {
            guard let user = self.users[trustee.user], user.isActive else { throw invalid(entry, "a trustee is not an enrolled user") }
            // The lead setting it up holds every key already; a share of their own would count them twice.
            guard trustee.user != entry.actor else { throw invalid(entry, "its author names themselves a trustee") }
            guard trustee.commitment.count == 32 else { throw invalid(entry, "malformed share commitment") }
        }
        // Separation of duties: people who may never read records must not be enough, together, to read them all.
        let barred = users.filter { !mayHoldRecordKeys($0) }.count
        guard barred < Int(threshold) else {
            throw invalid(entry, "\(barred) of its trustees are admins or auditors, who may never read records, and \(threshold) of them could rebuild the key")
        }
        guard publicKey != group.recovery?.publicKey, !group.retiredRecoveryKeys.contains(publicKey) else {
            throw invalid(entry, "it brings back an earlier recovery key, whose shares were handed out before")
        }
        // Keys of the group, each once, and always every current epoch: what is
        // written from now on is recoverable. An older epoch its author does not
        // hold may be missing; `kith recovery show` says how many are covered.
        let refs = keys.map(\.ref)
        guard refs == refs.sorted(), Set(refs).count == refs.count, refs.allSatisfy({ group.commitments[$0] != nil }) else {
            throw invalid(entry, "it seals to the recovery key something that is not a key of the group, or one twice")
        }
        for (compartment, epoch) in group.currentEpoch where !refs.contains(KeyRef(compartment: compartment, epoch: epoch)) {
            throw invalid(entry, "it leaves the current \(compartment) key out of the recovery")
        }
        if let current = group.recovery {
            // Whoever could rebuild the old key could open the current keys sealed to it: every
            // compartment takes a new epoch before anything more is written (the stock client's
            // setup makes them in the same commit).
            group.retiredRecoveryKeys.append(current.publicKey)
            group.staleCompartments.formUnion(group.currentEpoch.keys)
        }
        group.recovery = GroupRecovery(
            epoch: epoch, publicKey: publicKey, threshold: threshold, setUpAt: entry.seq, setUpBy: entry.actor, setUpMillis: entry.timeMillis,
            trustees: Dictionary(uniqueKeysWithValues: trustees.map { ($0.user, $0) }),
            sealedKeys: Dictionary(uniqueKeysWithValues: keys.map { ($0.ref, $0.sealed) }))
        group.recoveryEpochs = epoch
        group.recoveryRotationDue = false
        groups[groupID] = group
    }

    mutating func applyRecoveryRequest(_ entry: LogEntry, group groupID: GroupID, epoch: UInt32) throws {
        guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
        guard var recovery = group.recovery, recovery.epoch == epoch else { throw invalid(entry, "it asks for a recovery the group does not have (now)") }
        if let refusal = Rights.requestRecovery(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
        // Asking again starts over: the author's earlier request, and its approvals, are void.
        for (seq, request) in recovery.requests where request.requester == entry.actor { recovery.requests[seq] = nil }
        recovery.requests[entry.seq] = RecoveryRequest(seq: entry.seq, requester: entry.actor, timeMillis: entry.timeMillis)
        group.recovery = recovery
        groups[groupID] = group
    }

    mutating func applyRecoveryApproval(_ entry: LogEntry, group groupID: GroupID, request seq: UInt64, sealedShare: [UInt8]) throws {
        guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
        guard var recovery = group.recovery, var request = recovery.requests[seq] else {
            throw invalid(entry, "it approves a request that is not open for the group's current recovery")
        }
        guard recovery.trustees[entry.actor] != nil else { throw invalid(entry, "its author is not a trustee of the group's recovery") }
        guard entry.actor != request.requester else { throw invalid(entry, "a trustee cannot approve their own request") }
        guard request.approvals[entry.actor] == nil else { throw invalid(entry, "its author already approved this request") }
        guard users[request.requester]?.isActive == true else { throw invalid(entry, "the request's author was removed from the vault") }
        request.approvals[entry.actor] = sealedShare
        recovery.requests[seq] = request
        recovery.released.insert(entry.actor)
        if recovery.released.count >= Int(recovery.threshold) && recovery.frozen == nil { recovery.frozen = .sharesReleased }
        group.recovery = recovery
        groups[groupID] = group
    }

    mutating func applyRecoveryCompletion(_ entry: LogEntry, group groupID: GroupID, request seq: UInt64) throws {
        guard var group = groups[groupID] else { throw invalid(entry, "the group does not exist") }
        guard let recovery = group.recovery, let request = recovery.requests[seq] else {
            throw invalid(entry, "it completes a request that is not open for the group's current recovery")
        }
        guard request.requester == entry.actor else { throw invalid(entry, "only the request's author may complete it") }
        guard request.approvals.count >= Int(recovery.threshold) else {
            throw invalid(entry, "it completes a request with \(request.approvals.count) of the \(recovery.threshold) approvals it needs")
        }
        if let refusal = Rights.requestRecovery(self, group: groupID, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
        // The shares used have been seen together: the key they rebuild is retired now.
        group.retiredRecoveryKeys.append(recovery.publicKey)
        group.recovery = nil
        group.recoveryRotationDue = true
        group.lastRecoveredAt = entry.seq
        group.members[entry.actor] = .lead
        // The used key opens the current keys: every compartment takes a new epoch (in the same commit).
        group.staleCompartments.formUnion(group.currentEpoch.keys)
        groups[groupID] = group
    }

    /// Whether `user` may ever hold a group's keys: not an auditor, and not
    /// an admin unless the founding settings let this founder lead.
    func mayHoldRecordKeys(_ user: UserID) -> Bool {
        switch users[user]?.role {
        case .auditor?: return false
        case .admin?: return founderMayLead && user == founder
        default: return true
        }
    }

    /// For one grant of a key entry: a new epoch of a group with recovery
    /// must be sealed to the recovery key too (or the recovery would lose
    /// everything written under it); anything else carries no such seal.
    func checkRecoverySeal(_ entry: LogEntry, _ grant: KeyGrant, in group: inout GroupState) throws {
        let ref = KeyRef(compartment: grant.compartment, epoch: grant.epoch)
        let isNew = group.commitments[ref] == nil
        guard var recovery = group.recovery, recovery.frozen == nil, isNew else {
            if grant.recovery != nil {
                throw invalid(entry, "it seals to a recovery key an epoch that the recovery holds already, or to a recovery that has none or takes no new keys")
            }
            return
        }
        guard let sealed = grant.recovery else {
            throw invalid(entry, "it makes a new epoch of \(grant.compartment) without sealing it to the group's recovery key")
        }
        recovery.sealedKeys[ref] = sealed
        group.recovery = recovery
    }
}
