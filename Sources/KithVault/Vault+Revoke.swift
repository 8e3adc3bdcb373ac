import KithCrypto

extension Vault {
    /// Removes `handle`'s role in `groupName` (leads only) and, in the same
    /// transaction, starts a new epoch of every compartment they could read,
    /// sealed to the remaining members only. New writes use the new epoch at
    /// once, so the removed user cannot decrypt anything written afterwards,
    /// even with a copy of the store and their keyfile. Records written
    /// before stay under their old epoch (the removed user saw them already).
    public func revoke(groupName: String, from handle: String) throws {
        let group = try self.group(named: groupName)
        let target = try user(handle: handle)
        var freshKeys: [KeyRef: KeyBox] = [:]
        try commit { state in
            freshKeys = [:]
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
            guard current.members[me] == .lead else { throw KithVaultError.accessDenied("only a lead of \(group.name) may revoke roles") }
            guard let removedRole = current.members[target.id] else {
                throw KithVaultError.invalidInput("\(target.handle) has no role in \(group.name)")
            }
            var remaining = current.members
            remaining[target.id] = nil
            var grants: [KeyGrant] = []
            for compartment in Compartment.allCases where current.policy.canRead(removedRole, compartment) {
                guard let epoch = current.currentEpoch[compartment] else { continue }
                let ref = KeyRef(compartment: compartment, epoch: epoch + 1)
                grants.append(try newEpochGrant(current, ref, members: remaining, freshKeys: &freshKeys))
            }
            var entries = [
                PendingEntry(
                    body: .roleRevoked(group: group.id, user: target.id),
                    details: [("action", "revoked \(removedRole) of \(target.handle) in \(group.name)"), ("group", group.name), ("handle", target.handle)])
            ]
            if !grants.isEmpty {
                entries.append(
                    PendingEntry(
                        body: .keysDistributed(group: group.id, grants: grants),
                        details: [
                            ("action", "new epoch of \(grants.map(\.compartment.description).joined(separator: ", ")) in \(group.name) after revoking \(target.handle)"),
                            ("group", group.name),
                        ]))
            }
            return entries
        }
        rememberKeys(freshKeys, group: group.id)
    }
}
