extension Vault {
    /// The compartments this user may change in `id`: those their role in
    /// its group may both read and write (a change to a compartment one
    /// cannot read is refused, see `updateRecord`). Empty when they may
    /// change nothing, or the record cannot change (an attachment, erased).
    /// From the log: nothing is decrypted or logged.
    public func changeableCompartments(of id: RecordID) throws -> [Compartment] {
        let record = try recordState(id, orElse: "record \(id)")
        guard record.kind != .attachment, let group = state.groups[record.group], let role = group.members[me] else { return [] }
        return Compartment.allCases.filter { group.policy.canRead(role, $0) && group.policy.canWrite(role, $0) }
    }

    /// The compartments this user may fill in a new record of `groupName`
    /// (read and write both, as for a change); empty: they may add nothing there.
    public func changeableCompartments(groupName: String) throws -> [Compartment] {
        let info = try group(named: groupName)
        guard let group = state.groups[info.id], let role = group.members[me] else { return [] }
        return Compartment.allCases.filter { group.policy.canRead(role, $0) && group.policy.canWrite(role, $0) }
    }

    /// The kind of `id`, from the log (nothing decrypted or logged).
    public func kind(of id: RecordID) throws -> RecordKind {
        try recordState(id, orElse: "record \(id)").kind
    }
}
