import KithCrypto

extension Vault {
    /// The policy of `groupName` (anyone enrolled may see it: it is not a
    /// secret who may read what, and people should be able to check).
    public func policy(groupName: String) throws -> GroupPolicy {
        let group = try self.group(named: groupName)
        guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
        return current.policy
    }

    /// Replaces the policy of `groupName` (leads only), and in the same
    /// transaction moves the keys to match: members whose role may now read
    /// a compartment receive every epoch of it; a compartment that someone
    /// may no longer read gets a new epoch, sealed to those who still may.
    /// Returns the compartments that got a new epoch.
    @discardableResult
    public func setPolicy(groupName: String, _ policy: GroupPolicy) throws -> [Compartment] {
        if let problem = policy.problem { throw KithVaultError.invalidInput("this policy cannot be used: \(problem)") }
        let group = try self.group(named: groupName)
        var freshKeys: [KeyRef: KeyBox] = [:]
        var rotated: [Compartment] = []
        try commit { state in
            freshKeys = [:]
            rotated = []
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
            if let refusal = Rights.setPolicy(state, group: group.id, actor: me) { throw KithVaultError.accessDenied(refusal.reason(group: group.name)) }
            guard current.policy != policy else { return [] }
            var after = current
            after.policy = policy
            var grants: [KeyGrant] = []
            for compartment in Compartment.allCases {
                guard let epoch = current.currentEpoch[compartment] else { continue }
                let readersBefore = Set(current.members.filter { current.policy.canRead($0.value, compartment) }.keys)
                let readersAfter = Set(current.members.filter { policy.canRead($0.value, compartment) }.keys)
                if !readersBefore.isSubset(of: readersAfter) {
                    // Someone loses the compartment: a new epoch, sealed only to those who keep it.
                    rotated.append(compartment)
                    grants.append(try newEpochGrant(after, KeyRef(compartment: compartment, epoch: epoch + 1), members: current.members, freshKeys: &freshKeys))
                }
                // Newcomers to the compartment get its existing epochs, so they read existing records at once.
                for newcomer in readersAfter.subtracting(readersBefore).sorted() {
                    for old in 1...epoch {
                        let ref = KeyRef(compartment: compartment, epoch: old)
                        guard current.envelopes[ref]?[newcomer] == nil else { continue }
                        grants.append(
                            KeyGrant(
                                compartment: compartment, epoch: old, commitment: current.commitments[ref] ?? [],
                                envelopes: [try envelope(groupKey(group.id, ref), to: newcomer)]))
                    }
                }
            }
            var entries = [
                PendingEntry(
                    body: .policySet(group: group.id, policy: policy),
                    details: [("action", "set the policy of \(group.name)"), ("group", group.name), ("policy", policy.summary)])
            ]
            if !grants.isEmpty {
                entries.append(
                    PendingEntry(
                        body: .keysDistributed(group: group.id, grants: Self.merged(grants)),
                        details: [("action", "moved \(group.name) keys to its new policy"), ("group", group.name)]))
            }
            return entries
        }
        rememberKeys(freshKeys, group: group.id)
        return rotated
    }

    /// One grant per (compartment, epoch): a key entry may name each key once.
    static func merged(_ grants: [KeyGrant]) -> [KeyGrant] {
        var order: [KeyRef] = []
        var byRef: [KeyRef: KeyGrant] = [:]
        for grant in grants {
            let ref = KeyRef(compartment: grant.compartment, epoch: grant.epoch)
            if let existing = byRef[ref] {
                byRef[ref] = KeyGrant(
                    compartment: grant.compartment, epoch: grant.epoch, commitment: existing.commitment,
                    envelopes: existing.envelopes + grant.envelopes)
            } else {
                order.append(ref)
                byRef[ref] = grant
            }
        }
        return order.compactMap { byRef[$0] }
    }
}

extension GroupPolicy {
    /// One line per role, e.g. "caseworker reads profile, notes; writes profile, notes".
    public var summary: String {
        GroupRole.allCases.map { role in
            let reads = (readable[role] ?? []).sorted().map(\.description).joined(separator: ", ")
            let writes = (writable[role] ?? []).sorted().map(\.description).joined(separator: ", ")
            return "\(role) reads \(reads.isEmpty ? "nothing" : reads); writes \(writes.isEmpty ? "nothing" : writes)"
        }.joined(separator: "\n")
    }
}
