/// Who may do what, decided once. Each rule is a pure function of the
/// replayed state and is used twice: by the replay, where an entry that
/// breaks it makes the whole log invalid, and by the vault before it builds
/// an entry, so the user is told at once and nothing is written. A rule
/// returns nil when the right is held, or the refusal.
enum Rights {
    /// Why a right is not held, worded for the log ("the group") or, with the
    /// group's name, for the person asking.
    struct Refusal: Equatable {
        /// "only a lead of the group may rekey its records" with `group` for the group's name.
        let template: String

        /// The refusal naming the group (`nil`: "the group", as the replay says it).
        func reason(group: String? = nil) -> String {
            template.replacingOccurrences(of: "{group}", with: group ?? "the group")
        }
    }

    private static func leadOnly(_ state: VaultState, _ group: GroupID, _ actor: UserID, _ action: String) -> Refusal? {
        state.groups[group]?.members[actor] == .lead ? nil : Refusal(template: "only a lead of {group} may \(action)")
    }

    /// Erasing a group's records: its leads (an admin without the role
    /// may not: erasing is deciding about the group's records).
    static func erase(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? { leadOnly(state, group, actor, "erase its records") }

    /// Enrolling users: admins.
    static func enrol(_ state: VaultState, actor: UserID) -> Refusal? {
        state.users[actor]?.role == .admin ? nil : Refusal(template: "only an admin may enrol users")
    }

    /// Creating groups: admins.
    static func createGroup(_ state: VaultState, actor: UserID) -> Refusal? {
        state.users[actor]?.role == .admin ? nil : Refusal(template: "only an admin may create groups")
    }

    /// Granting `role` in `group` to `user`: a lead of the group, or an admin
    /// appointing someone else as the first lead of a group that has none
    /// (an admin never holds a group's keys by its own hand), or, when the
    /// founding settings allow it, the founder appointing themselves.
    static func grant(_ state: VaultState, group: GroupID, actor: UserID, user: UserID, role: GroupRole) -> Refusal? {
        guard let current = state.groups[group] else { return Refusal(template: "{group} does not exist") }
        if current.members[actor] == .lead { return nil }
        let isAdmin = state.users[actor]?.role == .admin
        if isAdmin && role == .lead && !current.hasLead && user != actor { return nil }
        let founderLeads = state.founderMayLead && actor == state.founder
        if isAdmin && role == .lead && !current.hasLead && user == actor && founderLeads { return nil }
        if isAdmin && current.hasLead { return Refusal(template: "{group} has a lead; only a lead may share it (an admin appoints only the first lead)") }
        // Each refusal names the rule that applies to this very request.
        if isAdmin && user == actor && state.founderMayLead && !founderLeads {
            return Refusal(template: "this vault's founding settings let only its founder lead a group themselves; appoint someone else as the first lead of {group}")
        }
        if isAdmin && user == actor && !founderLeads {
            return Refusal(
                template: "this vault was founded with separation of duties: an admin never holds a group's keys by their own hand, so they cannot make themselves lead of {group}; appoint someone else as its first lead")
        }
        if isAdmin && user == actor && role != .lead { return Refusal(template: "the founder may make themselves lead of {group}, not \(role)") }
        if isAdmin { return Refusal(template: "{group} has no lead yet; an admin may only appoint its first lead, who then shares it with others") }
        return Refusal(template: "only a lead of {group} may grant roles")
    }

    /// Revoking roles in `group`: its leads.
    static func revoke(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? { leadOnly(state, group, actor, "revoke roles") }

    /// Handing out `group`'s keys: its leads.
    static func distributeKeys(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? {
        leadOnly(state, group, actor, "distribute its keys")
    }

    /// Setting `group`'s policy: its leads.
    static func setPolicy(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? { leadOnly(state, group, actor, "set its policy") }

    /// Starting or completing a rekey of `group`'s records: its leads.
    static func rekey(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? { leadOnly(state, group, actor, "rekey its records") }

    /// Writing `compartment` in `group`: a role whose policy lets it.
    static func write(_ state: VaultState, group: GroupID, actor: UserID, compartment: Compartment) -> Refusal? {
        guard let current = state.groups[group], let role = current.members[actor] else { return Refusal(template: "its author has no role in {group}") }
        return current.policy.canWrite(role, compartment) ? nil : Refusal(template: "as \(role) of {group} you may not write \(compartment) fields")
    }

    /// Removing `user` from the vault: admins, never themselves, and never
    /// the last admin.
    static func removeUser(_ state: VaultState, actor: UserID, user: UserID) -> Refusal? {
        guard state.users[actor]?.role == .admin else { return Refusal(template: "only an admin may remove users from the vault") }
        guard actor != user else { return Refusal(template: "an admin cannot remove themselves; another admin must") }
        guard let target = state.users[user] else { return Refusal(template: "the user is not enrolled") }
        guard target.isActive else { return Refusal(template: "the user was already removed from the vault") }
        if target.role == .admin, !state.users.values.contains(where: { $0.role == .admin && $0.isActive && $0.identity.userID != user }) {
            return Refusal(template: "the vault would have no admin left")
        }
        return nil
    }

    /// Setting up `group`'s recovery: its leads, who hold every key to seal.
    static func setUpRecovery(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? {
        leadOnly(state, group, actor, "set up its recovery")
    }

    /// Asking for `group`'s keys through its recovery: anyone who could
    /// lead it, since a completed recovery makes them its lead. Auditors
    /// never read records; an admin only where the founding settings let
    /// the founder lead.
    static func requestRecovery(_ state: VaultState, group: GroupID, actor: UserID) -> Refusal? {
        guard let user = state.users[actor], user.isActive else { return Refusal(template: "only an enrolled user may ask to recover {group}") }
        switch user.role {
        case .auditor:
            return Refusal(template: "auditors never read records, so they cannot recover {group}; they may be its trustees")
        case .admin where !(state.founderMayLead && actor == state.founder):
            return Refusal(
                template: "a recovery makes its requester lead of {group}, and an admin never holds a group's keys in this vault (separation of duties); the new lead must ask")
        default:
            return nil
        }
    }

    /// Sharing the audit key: auditors.
    static func shareAuditKey(_ state: VaultState, actor: UserID) -> Refusal? {
        state.users[actor]?.role == .auditor ? nil : Refusal(template: "only an auditor may share the audit key")
    }
}
