import KithCrypto

/// A user as shown to other enrolled users.
public struct UserInfo: Sendable {
    /// Their id.
    public let id: UserID
    /// Their handle.
    public let handle: String
    /// Their vault-wide role.
    public let role: OrgRole
    /// Their key fingerprint.
    public let fingerprint: String
    /// Whether an admin removed them from the vault.
    public let removed: Bool
}

/// What removing a user from the vault did.
public struct UserRemoval: Sendable {
    /// Who was removed.
    public let user: UserInfo
    /// The groups they held a role in, whose keys they could read: nothing
    /// is written in them until a lead makes new keys (this admin did it
    /// for the groups it leads).
    public let groupsAwaitingNewKeys: [String]
    /// The groups whose new keys this admin made, as their lead.
    public let groupsRekeyed: [String]
    /// Whether they were an auditor, so the audit key was retired (the next
    /// auditor to run `audit log` or `audit witness` makes the new one).
    public let auditKeyRetired: Bool
}

extension Vault {
    /// Every user ever enrolled (those removed marked so), with handles
    /// opened from the encrypted directory.
    public func users() throws -> [UserInfo] {
        try state.users.values.sorted { $0.enrolledAt < $1.enrolledAt }.map { user in
            UserInfo(
                id: user.identity.userID, handle: try openHandle(of: user),
                role: user.role, fingerprint: user.identity.fingerprint, removed: !user.isActive)
        }
    }

    /// The user with this handle, matched as group names are (regardless of
    /// case, accents, invisible characters and letters drawn alike); a
    /// handle that matches several users is an error naming each by
    /// fingerprint, never a silent pick.
    /// With `includingRemoved`, users removed from the vault are found too
    /// (an auditor looking up what someone did before they left).
    public func user(handle: String, includingRemoved: Bool = false) throws -> UserInfo {
        let key = LookAlike.key(handle)
        return try lookUp(.notFound("user '\(handle)'", remedy: .listUsers)) {
            let candidates = try users().filter { (includingRemoved || !$0.removed) && LookAlike.key($0.handle) == key }
            guard candidates.count < 2 else {
                let listed = candidates.map { "'\($0.handle)' (key \($0.fingerprint))" }.joined(separator: ", ")
                throw KithVaultError.invalidInput(
                    "'\(handle)' could be any of \(candidates.count) users whose handles look alike: \(listed); ask an admin to remove the one that should not be there",
                    remedy: .listUsers)
            }
            return candidates.first
        }
    }

    /// The acting user's own entry.
    public func whoami() throws -> UserInfo {
        guard let found = try users().first(where: { $0.id == me }) else { throw KithVaultError.notFound("your enrolment") }
        return found
    }

    /// Enrols the requester with `role` (admins only). The request's
    /// signatures were checked when it was parsed; here its handle must be
    /// free and its vault fingerprint, if any, must be this vault's.
    @discardableResult
    public func approve(_ request: EnrollmentRequest, role: OrgRole) throws -> UserInfo {
        if let expected = request.vaultFingerprint, !state.fingerprint.starts(with: expected) {
            throw KithVaultError.invalidInput("the request was made for another vault (its fingerprint is \(Fingerprint.readable(expected)), this vault is \(readableFingerprint))")
        }
        try commit { state in
            if let refusal = Rights.enrol(state, actor: me) { throw KithVaultError.accessDenied(refusal.reason()) }
            if state.users[request.identity.userID] != nil {
                throw KithVaultError.invalidInput("this request's user is already enrolled")
            }
            if let existing = try users().first(where: { !$0.removed && LookAlike.key($0.handle) == LookAlike.key(request.handle.value) }) {
                let same = existing.handle.lowercased() == request.handle.comparisonKey
                throw KithVaultError.invalidInput(
                    same
                        ? "the handle '\(request.handle)' is taken; ask the person to make a new request with another handle"
                        : "the handle '\(request.handle)' looks like '\(existing.handle)', who is already enrolled; ask the person to make a new request with a handle nobody could take for another")
            }
            return [try enrolmentEntry(request, role: role, directory: directoryKey())]
        }
        return try user(handle: request.handle.value)
    }

    /// The entry enrolling `request`'s identity with `role`, its handle and
    /// directory envelope sealed under `directory`.
    func enrolmentEntry(_ request: EnrollmentRequest, role: OrgRole, directory: KeyBox) throws -> PendingEntry {
        PendingEntry(
            body: .userEnrolled(
                user: request.identity, role: role, possession: request.possessionSignature,
                directoryEnvelope: try SealedBox.seal(directory.key, to: request.identity.boxKey),
                sealedHandle: try Vault.sealName(request.handle.value, key: directory.key, vaultID: state.vaultID, id: request.identity.userID)),
            details: [("action", "enrolled \(request.handle) as \(role)"), ("handle", request.handle.value), ("fingerprint", request.identity.fingerprint)])
    }

    /// Removes `handle` from the vault (admins): every role they hold goes,
    /// a new directory key is sealed to everyone who remains, and, for an
    /// auditor, the audit key is retired. Nothing written afterwards
    /// reaches them, whatever client they use: later handles and group
    /// names are sealed under the new directory key, later details under
    /// detail keys sealed to a new audit key, and nothing is written in a
    /// group they could read until a lead makes new keys (made here for the
    /// groups this admin leads). Logged.
    @discardableResult
    public func removeUser(handle: String) throws -> UserRemoval {
        let target = try user(handle: handle)
        var plan = RemovalPlan()
        try commit { state in
            plan = try removalPlan(target, in: state)
            return plan.entries
        }
        for (group, keys) in plan.freshKeys { rememberKeys(keys, group: group) }
        return plan.outcome(target)
    }

    /// What removing `target` writes, as `removeUser` and `replaceUser` commit it.
    func removalPlan(_ target: UserInfo, in state: VaultState) throws -> RemovalPlan {
        var plan = RemovalPlan()
        do {
            if let refusal = Rights.removeUser(state, actor: me, user: target.id) { throw KithVaultError.accessDenied(refusal.reason()) }
            guard let removed = state.users[target.id] else { throw KithVaultError.notFound("user '\(target.handle)'", remedy: .listUsers) }
            plan.retired = removed.role == .auditor
            let next = KeyBox(try SecureBytes(randomCount: 32))
            plan.next = next
            let remaining = state.usersInOrder.filter { $0.isActive && $0.identity.userID != target.id }
            let envelopes = try remaining.map { KeyEnvelope(user: $0.identity.userID, sealed: try SealedBox.seal(next.key, to: $0.identity.boxKey)) }
            var entries = [
                PendingEntry(
                    body: .userRemoved(
                        user: target.id, directoryEnvelopes: envelopes,
                        previousDirectoryKey: try chainedDirectoryKey(under: next, nextEpoch: state.directoryEpoch + 1)),
                    details: [("action", "removed \(target.handle) (\(target.role)) from the vault"), ("handle", target.handle)])
            ]
            for group in state.groups.values.sorted(by: { $0.createdAt < $1.createdAt }) {
                // As the replay decides it: every current key sealed to them goes stale.
                let held = VaultState.currentKeysHeld(by: target.id, in: group)
                guard !held.isEmpty else { continue }
                let name = try openName(of: group)
                var after = group
                after.members[target.id] = nil
                after.staleCompartments.formUnion(held)
                after.recoveryLoses(target.id, fromVault: true)
                guard group.members[me] == .lead else {
                    plan.awaiting.append(name)
                    continue
                }
                var keys: [KeyRef: KeyBox] = [:]
                entries.append(try staleKeysEntry(after, name: name, reason: "after removing \(target.handle) from the vault", freshKeys: &keys))
                plan.freshKeys[group.id] = keys
                plan.rekeyed.append(name)
            }
            plan.entries = entries
        }
        return plan
    }

    /// Says in the log that this user wiped a device (`kith panic`, when its
    /// setting asks): one signed entry, nothing in it but who and when.
    public func announceDeviceWiped() throws {
        try commit { _ in [PendingEntry(body: .deviceWiped, details: [("action", "wiped a device with kith panic")])] }
    }
}

/// What a removal from the vault writes and leaves to do.
struct RemovalPlan {
    var entries: [PendingEntry] = []
    /// The next directory key (sealed to everyone who remains).
    var next: KeyBox?
    var freshKeys: [GroupID: [KeyRef: KeyBox]] = [:]
    var awaiting: [String] = []
    var rekeyed: [String] = []
    var retired = false

    func outcome(_ target: UserInfo) -> UserRemoval {
        UserRemoval(
            user: UserInfo(id: target.id, handle: target.handle, role: target.role, fingerprint: target.fingerprint, removed: true),
            groupsAwaitingNewKeys: awaiting, groupsRekeyed: rekeyed, auditKeyRetired: retired)
    }
}
