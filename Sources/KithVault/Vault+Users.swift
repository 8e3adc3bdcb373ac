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
}

extension Vault {
    /// Every enrolled user, with handles opened from the encrypted directory.
    public func users() throws -> [UserInfo] {
        try state.users.values.sorted { $0.enrolledAt < $1.enrolledAt }.map { user in
            UserInfo(
                id: user.identity.userID, handle: try openName(user.sealedHandle, id: user.identity.userID),
                role: user.role, fingerprint: user.identity.fingerprint)
        }
    }

    /// The user with this handle, matched as group names are (regardless of
    /// case, accents, invisible characters and letters drawn alike); a
    /// handle that matches several users is an error naming each by
    /// fingerprint, never a silent pick.
    public func user(handle: String) throws -> UserInfo {
        let key = LookAlike.key(handle)
        return try lookUp(.notFound("user '\(handle)'", remedy: .listUsers)) {
            let candidates = try users().filter { LookAlike.key($0.handle) == key }
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
            if let existing = try users().first(where: { LookAlike.key($0.handle) == LookAlike.key(request.handle.value) }) {
                let same = existing.handle.lowercased() == request.handle.comparisonKey
                throw KithVaultError.invalidInput(
                    same
                        ? "the handle '\(request.handle)' is taken; ask the person to make a new request with another handle"
                        : "the handle '\(request.handle)' looks like '\(existing.handle)', who is already enrolled; ask the person to make a new request with a handle nobody could take for another")
            }
            let directory = try directoryKey()
            return [
                PendingEntry(
                    body: .userEnrolled(
                        user: request.identity, role: role, possession: request.possessionSignature,
                        directoryEnvelope: try SealedBox.seal(directory.key, to: request.identity.boxKey),
                        sealedHandle: try Vault.sealName(request.handle.value, key: directory.key, vaultID: state.vaultID, id: request.identity.userID)),
                    details: [("action", "enrolled \(request.handle) as \(role)"), ("handle", request.handle.value), ("fingerprint", request.identity.fingerprint)])
            ]
        }
        return try user(handle: request.handle.value)
    }
}
