// The JSON of `kith recovery ... --json` (docs/cli.md), in the shape and
// spelling of every other result: snake_case keys, times ISO 8601 in UTC.

extension RecoveryTrustee {
    /// `{"handle", "enrolled", "you"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(handle, "handle")
        try c.put(active, "enrolled")
        try c.put(isYou, "you")
    }
}

extension RecoveryRequestInfo {
    /// `{"request", "requester", "requester_fingerprint", "time", "approved_by", "needed", "yours", "approved_by_you"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(seq, "request")
        try c.put(requester, "requester")
        try c.put(requesterFingerprint, "requester_fingerprint")
        try c.time(timeMillis)
        try c.put(approvedBy, "approved_by")
        try c.put(needed, "needed")
        try c.put(isYours, "yours")
        try c.put(approvedByYou, "approved_by_you")
    }
}

extension RecoveryStatus {
    /// `{"group", "group_id", "setup", "threshold", "trustees", "set_up_by", "set_up_at",
    /// "keys_covered", "keys_in_group", "requests", "your_share", "workable",
    /// "last_recovered_entry", "rotation_due", "frozen", "shares_released"}`; the setup's fields are null without one.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(group, "group")
        try c.put(groupID, "group_id")
        try c.put(epoch, "setup")
        try c.put(threshold, "threshold")
        try c.put(trustees, "trustees")
        try c.put(setUpBy, "set_up_by")
        try c.put(setUpMillis.map { Timestamp.iso8601(millis: $0) }, "set_up_at")
        try c.put(keysCovered, "keys_covered")
        try c.put(keysInGroup, "keys_in_group")
        try c.put(requests, "requests")
        try c.put(yourShare?.rawValue, "your_share")
        try c.put(workable, "workable")
        try c.put(lastRecoveredAt, "last_recovered_entry")
        try c.put(rotationDue, "rotation_due")
        try c.put(frozen?.name, "frozen")
        try c.put(sharesReleased, "shares_released")
    }
}

extension RecoveryOutcome {
    /// `{"group", "keys_recovered", "keys_lost", "new_epochs", "damaged_shares", "recovery"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(group, "group")
        try c.put(keysRecovered, "keys_recovered")
        try c.put(keysLost, "keys_lost")
        try c.put(newEpochs, "new_epochs")
        try c.put(damagedShares, "damaged_shares")
        try c.put(recovery, "recovery")
    }
}

extension RecoveryFreeze {
    /// Its name in JSON: "setter-left", "shares-released", "holder-removed".
    public var name: String {
        switch self {
        case .setterLeft: return "setter-left"
        case .sharesReleased: return "shares-released"
        case .holderRemoved: return "holder-removed"
        }
    }
}

extension RoleToRegrant: Encodable {
    /// `{"group", "role", "leads"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(group, "group")
        try c.put(role.description, "role")
        try c.put(leads, "leads")
    }
}

extension UserReplacement: Encodable {
    /// `user replace --json`: `{"removed": {as user remove}, "user": {as enroll list}, "roles": [...]}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(removal, "removed")
        try c.put(new, "user")
        try c.put(roles, "roles")
    }
}
