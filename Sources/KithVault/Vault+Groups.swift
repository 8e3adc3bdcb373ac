import Foundation
import KithCrypto

/// A group as shown to users.
public struct GroupInfo: Sendable {
    /// Its id.
    public let id: GroupID
    /// Its name.
    public let name: String
    /// The acting user's role in it, if any.
    public let myRole: GroupRole?
    /// How many people hold a role.
    public let memberCount: Int
    /// Whether another group's name looks like this one's (see `LookAlike`):
    /// such a group is named by its id, never by its name.
    public internal(set) var looksLikeAnother = false
}

extension Vault {
    /// Every group, with names opened from the encrypted directory.
    public func groups() throws -> [GroupInfo] {
        var all = try state.groups.values.map { group in
            GroupInfo(
                id: group.id, name: try openName(of: group),
                myRole: group.members[me], memberCount: group.members.count)
        }.sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        let keys = all.map { LookAlike.key($0.name) }
        let counts = Dictionary(keys.map { ($0, 1) }, uniquingKeysWith: +)
        for index in all.indices where (counts[keys[index]] ?? 0) > 1 { all[index].looksLikeAnother = true }
        return all
    }

    /// The group `name` names: its id (32 hex digits, or the first 8 or
    /// more of them), or its name. A name matches regardless of case,
    /// accents, invisible characters and letters drawn alike (`LookAlike`);
    /// when it matches more than one group, nothing is picked: the error
    /// lists each candidate with its id, so a look-alike group made by a
    /// modified client can never catch records meant for the real one.
    public func group(named name: String) throws -> GroupInfo {
        try lookUp(.notFound("group '\(name)'", remedy: .listGroups)) { try resolveGroup(name) }
    }

    private func resolveGroup(_ name: String) throws -> GroupInfo? {
        let all = try groups()
        let hex = name.lowercased()
        // A whole id means that group, whatever any group is called: a group
        // named like another's id (only a modified client makes one) can
        // never catch what was meant for the real one.
        if hex.count == 2 * Identifier.length, let exact = all.first(where: { $0.id.description == hex }) { return exact }
        let key = LookAlike.key(name)
        let candidates = all.filter { LookAlike.key($0.name) == key }
        if candidates.count > 1 {
            let listed = candidates.map { "'\($0.name)' (id \($0.id))" }.joined(separator: ", ")
            throw KithVaultError.invalidInput(
                "'\(name)' could be any of \(candidates.count) groups whose names look alike: \(listed); name the one you mean by its id",
                remedy: .nameGroupByID)
        }
        // An id, whole or as a prefix of at least 8 hex digits (what listings show).
        let isID = hex.count >= 8 && hex.count <= 2 * Identifier.length && hex.allSatisfy { $0.isASCII && $0.isHexDigit }
        let matches = isID ? all.filter { $0.id.description.hasPrefix(hex) } : []
        if let found = candidates.first {
            // A name that also begins another group's id: say so rather than guess.
            if let other = matches.first(where: { $0.id != found.id }) {
                throw KithVaultError.invalidInput(
                    "'\(name)' is the name of group \(found.id) and begins the id of group '\(other.name)' (\(other.id)); name the one you mean by its whole id",
                    remedy: .nameGroupByID)
            }
            return found
        }
        guard isID else { return nil }
        if matches.count > 1 {
            throw KithVaultError.invalidInput("'\(name)' begins the ids of \(matches.count) groups; give more of the id", remedy: .nameGroupByID)
        }
        return matches.first
    }

    /// Checks the groups created and the users enrolled at or after log
    /// position `since` against every other group's name and user's handle:
    /// two with one name (regardless of case) make the later one's entry
    /// invalid, for every client that holds the directory key. The stock
    /// client never writes such an entry; a modified one would, to catch
    /// records written to a group by name, or to pass for another person.
    func checkDirectoryNames(since: UInt64) throws {
        try checkUnique(
            state.groups.values.map { group in (id: group.id, name: { [self] in try openName(of: group) }, at: group.createdAt, until: nil) }, since: since,
            reason: { "it creates a second group with the name of group \($0) (a look-alike, which only a modified client writes)" })
        // A handle is free again once its user was removed from the vault.
        try checkUnique(
            state.users.values.map { user in (id: user.identity.userID, name: { [self] in try openHandle(of: user) }, at: user.enrolledAt, until: user.removedAt) },
            since: since, reason: { "it enrols a second user with the handle of user \($0) (a look-alike, which only a modified client writes)" })
    }

    private func checkUnique(
        _ named: [(id: Identifier, name: () throws -> String, at: UInt64, until: UInt64?)], since: UInt64, reason: (Identifier) -> String
    ) throws {
        guard named.contains(where: { $0.at >= since }) else { return }
        var holders: [String: (id: Identifier, until: UInt64?)] = [:]
        for item in named.sorted(by: { $0.at < $1.at }) {
            let key = try item.name().lowercased()
            if let earlier = holders[key], earlier.until.map({ $0 > item.at }) ?? true, item.at >= since {
                throw KithVaultError.invalidEntry(seq: Int(clamping: item.at), reason: reason(earlier.id))
            }
            holders[key] = (item.id, item.until)
        }
    }

    /// A group's name as this identity can open it (its id when it cannot).
    public func groupName(ofGroup id: GroupID) -> String { groupName(id) }

    func groupName(_ id: GroupID) -> String {
        guard let group = state.groups[id], let name = try? openName(of: group) else { return id.description }
        return name
    }

    /// Creates a group (admins only). Its name is sealed; its keys are made
    /// by its first lead, so the admin never holds them.
    @discardableResult
    public func createGroup(name: String) throws -> GroupInfo {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.count), trimmed.utf8.count <= 512, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KithVaultError.invalidInput("a group name must be 1 to 128 printable characters (and at most 512 bytes: fewer of some emoji)")
        }
        let id = try GroupID.random()
        try commit { state in
            if let refusal = Rights.createGroup(state, actor: me) { throw KithVaultError.accessDenied(refusal.reason()) }
            let key = LookAlike.key(trimmed)
            guard !key.isEmpty else { throw KithVaultError.invalidInput("a group name needs at least one visible letter or digit") }
            // Groups are named by id as well as by name: a name that reads as an id would be ambiguous.
            // The folded form too: "dead beef" or a Cyrillic е would fold to one.
            if [trimmed, key].contains(where: { $0.count >= 8 && $0.count <= 2 * Identifier.length && $0.allSatisfy { $0.isASCII && $0.isHexDigit } }) {
                throw KithVaultError.invalidInput("'\(trimmed)' reads as a group id (8 to 32 hexadecimal digits); choose a name with a word in it")
            }
            if let existing = try groups().first(where: { LookAlike.key($0.name) == key }) {
                let same = existing.name.lowercased() == trimmed.lowercased()
                throw KithVaultError.invalidInput(
                    same
                        ? "a group named '\(existing.name)' already exists"
                        : "'\(trimmed)' looks like the existing group '\(existing.name)' (id \(existing.id)); choose a name nobody could take for it")
            }
            return [
                PendingEntry(
                    body: .groupCreated(
                        group: id, sealedName: try Vault.sealName(trimmed, key: directoryKey().key, vaultID: state.vaultID, id: id), policy: .default),
                    details: [("action", "created group"), ("group", trimmed)])
            ]
        }
        return try group(named: trimmed)
    }

    /// Gives `handle` a role in `groupName`. A lead does this and seals the
    /// keys of every compartment the role may read (all epochs, so existing
    /// records are readable at once); an admin may appoint a lead while the
    /// group has none.
    public func share(groupName: String, with handle: String, role: GroupRole) throws {
        let group = try self.group(named: groupName)
        let target = try user(handle: handle)
        var freshKeys: [KeyRef: KeyBox] = [:]
        try commit { state in
            freshKeys = [:]
            guard let current = state.groups[group.id] else { throw KithVaultError.notFound("group '\(groupName)'") }
            if target.role == .auditor {
                throw KithVaultError.invalidInput("\(target.handle) is an auditor; auditors never read records, so they cannot hold a group role")
            }
            if let existing = current.members[target.id] {
                throw KithVaultError.invalidInput("\(target.handle) is already \(existing) of \(group.name); revoke first to change the role")
            }
            if let refusal = Rights.grant(state, group: group.id, actor: me, user: target.id, role: role) {
                throw KithVaultError.accessDenied(refusal.reason(group: group.name))
            }
            var entries = [
                PendingEntry(
                    body: .roleGranted(group: group.id, user: target.id, role: role),
                    details: [("action", "granted \(role) in \(group.name) to \(target.handle)"), ("group", group.name), ("handle", target.handle)])
            ]
            if current.members[me] == .lead {
                var members = current.members
                members[target.id] = role
                let grants = try keyGrants(for: current, members: members, newMember: target.id, freshKeys: &freshKeys)
                if !grants.isEmpty {
                    entries.append(
                        PendingEntry(
                            body: .keysDistributed(group: group.id, grants: grants),
                            details: [("action", "sealed \(group.name) keys to \(target.handle)"), ("group", group.name)]))
                }
            }
            return entries
        }
        rememberKeys(freshKeys, group: group.id)
    }

    /// Key grants for a share: the new member gets every epoch of every
    /// compartment their role may read. When the group has no keys yet
    /// (its first lead is acting), epoch 1 of every compartment is made and
    /// sealed to everyone the policy allows.
    func keyGrants(for group: GroupState, members: [UserID: GroupRole], newMember: UserID, freshKeys: inout [KeyRef: KeyBox]) throws -> [KeyGrant] {
        var grants: [KeyGrant] = []
        for compartment in Compartment.allCases {
            if let current = group.currentEpoch[compartment] {
                guard let role = members[newMember], group.policy.canRead(role, compartment) else { continue }
                for epoch in 1...current {
                    let ref = KeyRef(compartment: compartment, epoch: epoch)
                    // Someone shared with again already holds the old epochs; envelopes are never replaced.
                    if group.envelopes[ref]?[newMember] != nil { continue }
                    let key = try groupKey(group.id, ref)
                    grants.append(
                        KeyGrant(
                            compartment: compartment, epoch: epoch, commitment: group.commitments[ref] ?? [],
                            envelopes: [try envelope(key, to: newMember)]))
                }
            } else {
                grants.append(try newEpochGrant(group, KeyRef(compartment: compartment, epoch: 1), members: members, freshKeys: &freshKeys))
            }
        }
        return grants
    }

    /// A fresh random key for `ref`, committed to and sealed to every one of
    /// `members` whose role may read its compartment, and to the group's
    /// recovery key when it has one. The key is kept in `freshKeys` until
    /// the commit lands (it is not in the log before).
    func newEpochGrant(_ group: GroupState, _ ref: KeyRef, members: [UserID: GroupRole], freshKeys: inout [KeyRef: KeyBox]) throws -> KeyGrant {
        let key = KeyBox(try SecureBytes(randomCount: 32))
        freshKeys[ref] = key
        let recipients = members.filter { group.policy.canRead($0.value, ref.compartment) }.keys.sorted()
        return KeyGrant(
            compartment: ref.compartment, epoch: ref.epoch, commitment: try keyCommitment(key, group: group.id, ref: ref),
            envelopes: try recipients.map { try envelope(key, to: $0) },
            recovery: try group.recoverySealKey.map { try SealedBox.seal(key.key, to: $0) })
    }

    func envelope(_ key: KeyBox, to user: UserID) throws -> KeyEnvelope {
        guard let recipient = state.users[user] else { throw KithVaultError.notFound("user \(user)") }
        return KeyEnvelope(user: user, sealed: try SealedBox.seal(key.key, to: recipient.identity.boxKey))
    }

    func keyCommitment(_ key: KeyBox, group: GroupID, ref: KeyRef) throws -> [UInt8] {
        var w = ByteWriter()
        w.string(SignatureContext.keyCommitment)
        w.fixed(state.vaultID)
        w.fixed(group.bytes)
        w.u8(ref.compartment.rawValue)
        w.u32(ref.epoch)
        return try BLAKE2b.hash(w.bytes, key: key.key, outputLength: 32, personal: Array("kith-gkcommit-v1".utf8))
    }

    func rememberKeys(_ keys: [KeyRef: KeyBox], group: GroupID) {
        for (ref, key) in keys { self.keys.group[group, default: [:]][ref] = key }
    }

    /// The group key for `ref`, opened from the envelope sealed to this
    /// identity and checked against the commitment every member sees.
    func groupKey(_ group: GroupID, _ ref: KeyRef) throws -> KeyBox {
        if let cached = keys.group[group]?[ref] { return cached }
        guard let groupState = state.groups[group] else { throw KithVaultError.notFound("group \(group)") }
        guard let sealed = groupState.envelopes[ref]?[me] else {
            throw KithVaultError.accessDenied("you hold no \(ref.compartment) key of epoch \(ref.epoch) in group \(groupName(group))")
        }
        let key: KeyBox
        do { key = KeyBox(try holder.openSealed(sealed)) } catch {
            throw KithVaultError.integrity("the \(ref.compartment) key sealed to you for \(groupName(group)) does not open")
        }
        guard try keyCommitment(key, group: group, ref: ref) == groupState.commitments[ref] else {
            throw KithVaultError.integrity("the \(ref.compartment) key sealed to you for \(groupName(group)) is not the key the log commits to")
        }
        keys.group[group, default: [:]][ref] = key
        return key
    }

    /// New epochs of every stale compartment of `group` (one a user removed
    /// from the vault could read), sealed to its members: what a lead's
    /// client writes before anything else goes into the group.
    func staleKeysEntry(_ group: GroupState, name: String, reason: String, freshKeys: inout [KeyRef: KeyBox]) throws -> PendingEntry {
        let grants = try group.staleCompartments.sorted().compactMap { compartment -> KeyGrant? in
            guard let epoch = group.currentEpoch[compartment] else { return nil }
            return try newEpochGrant(group, KeyRef(compartment: compartment, epoch: epoch + 1), members: group.members, freshKeys: &freshKeys)
        }
        return PendingEntry(
            body: .keysDistributed(group: group.id, grants: grants),
            details: [("action", "new epoch of \(grants.map(\.compartment.description).joined(separator: ", ")) in \(name) \(reason)"), ("group", name)])
    }
}
