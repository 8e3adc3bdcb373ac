import KithCrypto

/// A group role a replaced identity held, to be given to its replacement.
public struct RoleToRegrant: Sendable {
    /// The group's name.
    public let group: String
    /// The role they held.
    public let role: GroupRole
    /// The group's leads who can give it again (by handle; empty: none left).
    public let leads: [String]
}

/// What `replaceUser` did.
public struct UserReplacement: Sendable {
    /// The removal of the old identity (what it did to keys and groups).
    public let removal: UserRemoval
    /// The new identity, enrolled with the old one's vault role.
    public let new: UserInfo
    /// The roles the old identity held, with who can give each again.
    public let roles: [RoleToRegrant]
}

extension Vault {
    /// For a person who lost every device (admins): in one commit, removes
    /// their old identity from the vault (as `removeUser`), enrols the
    /// identity of `request` with the same vault role, and says in the log
    /// that it is the same person. Nothing of the old identity's keys goes
    /// to the new one: each group's lead gives the roles again (`share`,
    /// which seals the keys), and a group whose only lead was this person
    /// is recovered by its trustees (`requestRecovery`). The request must
    /// carry the old handle or a free one.
    public func replaceUser(handle: String, with request: EnrollmentRequest) throws -> UserReplacement {
        if let expected = request.vaultFingerprint, !state.fingerprint.starts(with: expected) {
            throw KithVaultError.invalidInput("the request was made for another vault (its fingerprint is \(Fingerprint.readable(expected)), this vault is \(readableFingerprint))")
        }
        let old = try user(handle: handle)
        var plan = RemovalPlan()
        try commit { state in
            guard let oldState = state.users[old.id] else { throw KithVaultError.notFound("user '\(handle)'", remedy: .listUsers) }
            guard state.users[request.identity.userID] == nil else { throw KithVaultError.invalidInput("this request's user is already enrolled") }
            let sameHandle = LookAlike.key(request.handle.value) == LookAlike.key(old.handle)
            if !sameHandle, let existing = try users().first(where: { !$0.removed && LookAlike.key($0.handle) == LookAlike.key(request.handle.value) }) {
                throw KithVaultError.invalidInput("the handle '\(request.handle)' is taken by \(existing.handle); ask the person for a request with their old handle, \(old.handle)")
            }
            plan = try removalPlan(old, in: state)
            guard let next = plan.next else { throw KithVaultError.storage("no directory key was made for the removal") }
            return plan.entries + [
                try enrolmentEntry(request, role: oldState.role, directory: next),
                PendingEntry(
                    body: .userReplaced(old: old.id, new: request.identity.userID),
                    details: [("action", "replaced \(old.handle)'s lost identity with a new one"), ("handle", request.handle.value)]),
            ]
        }
        for (group, keys) in plan.freshKeys { rememberKeys(keys, group: group) }
        let new = try user(handle: request.handle.value)
        return UserReplacement(removal: plan.outcome(old), new: new, roles: try rolesToRegrant(old.id))
    }

    /// Refuses at once, before anything is shown or asked, when this user
    /// may not replace `handle`'s identity (admins only; as for a removal).
    public func checkMayReplace(handle: String) throws {
        let old = try user(handle: handle)
        if let refusal = Rights.enrol(state, actor: me) ?? Rights.removeUser(state, actor: me, user: old.id) {
            throw KithVaultError.accessDenied(refusal.reason())
        }
    }

    /// The roles `user` held when removed, in groups where nobody gave them
    /// to their replacement yet, with each group's leads.
    public func rolesToRegrant(_ user: UserID) throws -> [RoleToRegrant] {
        guard let old = state.users[user] else { return [] }
        let replacement = old.replacedBy
        return try old.rolesAtRemoval.compactMap { groupID, role -> RoleToRegrant? in
            guard let group = state.groups[groupID], replacement.map({ group.members[$0] == nil }) ?? true else { return nil }
            let leads = group.members.filter { $0.value == .lead }.keys.map { handle(of: $0) }.sorted()
            return RoleToRegrant(group: try openName(of: group), role: role, leads: leads)
        }.sorted { $0.group < $1.group }
    }
}
