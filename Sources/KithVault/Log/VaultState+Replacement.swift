/// The replay's rule for a replaced identity: an admin links a newly
/// enrolled identity to a removed one, in the commit that removes the old
/// and enrols the new, so a person who lost every device keeps who they
/// were (the log says so) without anyone holding their old keys.
extension VaultState {
    mutating func applyReplacement(_ entry: LogEntry, old: UserID, new: UserID) throws {
        if let refusal = Rights.enrol(self, actor: entry.actor) { throw invalid(entry, refusal.reason()) }
        guard var before = users[old], var after = users[new] else { throw invalid(entry, "it names a user who is not enrolled") }
        guard let removedAt = before.removedAt else { throw invalid(entry, "it replaces an identity that was not removed from the vault") }
        // Made together: the removal, then the enrolment right before this entry.
        guard after.isActive, after.enrolledAt + 1 == entry.seq, removedAt < after.enrolledAt else {
            throw invalid(entry, "the replacement must be enrolled by the entry just before it, after the old identity's removal")
        }
        guard before.replacedBy == nil, after.replaces == nil else { throw invalid(entry, "one of the two identities is already linked to another") }
        guard before.role == after.role else { throw invalid(entry, "a replacement keeps the old identity's vault role (\(before.role))") }
        before.replacedBy = new
        after.replaces = old
        users[old] = before
        users[new] = after
    }
}
