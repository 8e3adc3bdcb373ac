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
}

extension Vault {
    /// Every group, with names opened from the encrypted directory.
    public func groups() throws -> [GroupInfo] {
        try state.groups.values.map { group in
            GroupInfo(
                id: group.id, name: try openName(group.sealedName, id: group.id),
                myRole: group.members[me], memberCount: group.members.count)
        }.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    /// The group with this name (case-insensitive).
    public func group(named name: String) throws -> GroupInfo {
        let key = name.lowercased()
        return try lookUp(.notFound("group '\(name)'", remedy: .listGroups)) { try groups().first { $0.name.lowercased() == key } }
    }

    func groupName(_ id: GroupID) -> String {
        guard let group = state.groups[id], let name = try? openName(group.sealedName, id: id) else { return id.description }
        return name
    }

    /// Creates a group (admins only). Its name is sealed; its keys are made
    /// by its first lead, so the admin never holds them.
    @discardableResult
    public func createGroup(name: String) throws -> GroupInfo {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KithVaultError.invalidInput("a group name must be 1 to 128 printable characters")
        }
        let id = try GroupID.random()
        try commit { state in
            if let refusal = Rights.createGroup(state, actor: me) { throw KithVaultError.accessDenied(refusal.reason()) }
            if try groups().contains(where: { $0.name.lowercased() == trimmed.lowercased() }) {
                throw KithVaultError.invalidInput("a group named '\(trimmed)' already exists")
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
    /// `members` whose role may read its compartment. The key is kept in
    /// `freshKeys` until the commit lands (it is not in the log before).
    func newEpochGrant(_ group: GroupState, _ ref: KeyRef, members: [UserID: GroupRole], freshKeys: inout [KeyRef: KeyBox]) throws -> KeyGrant {
        let key = KeyBox(try SecureBytes(randomCount: 32))
        freshKeys[ref] = key
        let recipients = members.filter { group.policy.canRead($0.value, ref.compartment) }.keys.sorted()
        return KeyGrant(
            compartment: ref.compartment, epoch: ref.epoch, commitment: try keyCommitment(key, group: group.id, ref: ref),
            envelopes: try recipients.map { try envelope(key, to: $0) })
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
}
