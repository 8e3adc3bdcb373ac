extension Vault {
    /// Removes `handle`'s role in `groupName` (leads only) and, in the same
    /// transaction, starts a new epoch of every compartment they could read,
    /// sealed to the remaining members only. New writes use the new epoch at
    /// once, so the removed user cannot decrypt anything written afterwards,
    /// even with a copy of the store and their keyfile. Records written
    /// before stay under their old epoch (the removed user saw them already);
    /// see `revoke(groupName:from:mode:progress:)` to move them too.
    public func revoke(groupName: String, from handle: String) throws {
        _ = try revoke(groupName: groupName, from: handle, mode: nil)
    }
}
