/// Someone with a role in a group, as its member list shows them.
public struct GroupMember: Sendable, Encodable {
    /// Their user id.
    public let id: UserID
    /// Their handle.
    public let handle: String
    /// Their role in the group.
    public let role: GroupRole

    private enum CodingKeys: String, CodingKey { case id, handle, role }

    /// As `{"id", "handle", "role"}`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.description, forKey: .id)
        try container.encode(handle, forKey: .handle)
        try container.encode(role.description, forKey: .role)
    }
}

extension Vault {
    /// Who holds which role in `groupName`: leads first, then case workers,
    /// then viewers, each by handle. Anyone enrolled may see it (as with the
    /// policy: who may read what is not a secret); from the log, nothing decrypted.
    public func members(groupName: String) throws -> [GroupMember] {
        let info = try group(named: groupName)
        guard let group = state.groups[info.id] else { throw KithVaultError.notFound("group '\(groupName)'", remedy: .listGroups) }
        return group.members.map { GroupMember(id: $0.key, handle: handle(of: $0.key), role: $0.value) }
            .sorted { ($0.role.rawValue, $0.handle.lowercased()) < ($1.role.rawValue, $1.handle.lowercased()) }
    }
}
