import Foundation

/// The policy as people edit it: a JSON file, the same shape that
/// `kith policy show --json` prints, so show, edit, set is a round trip.
///
/// ```json
/// {"roles": {
///   "lead":       {"read": ["notes", "profile", "sensitive"], "write": ["notes", "profile", "sensitive"]},
///   "caseworker": {"read": ["notes", "profile"], "write": ["notes", "profile"]},
///   "viewer":     {"read": ["profile"], "write": []}
/// }}
/// ```
extension GroupPolicy {
    /// The roles object: role name -> {"read": [...], "write": [...]}, names sorted.
    public var jsonRoles: [String: [String: [String]]] {
        var roles: [String: [String: [String]]] = [:]
        for role in GroupRole.allCases {
            roles[role.description] = [
                "read": (readable[role] ?? []).map(\.description).sorted(),
                "write": (writable[role] ?? []).map(\.description).sorted(),
            ]
        }
        return roles
    }

    /// Parses a policy file. Every role must be given; unknown keys, roles
    /// and compartments are errors that name them (a typo must never
    /// silently withhold or hand out a key).
    public init(json data: Data) throws {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw KithVaultError.invalidInput("the policy file is not valid JSON", remedy: .startFromPolicy)
        }
        guard let top = parsed as? [String: Any], let roles = top["roles"] as? [String: Any] else {
            throw KithVaultError.invalidInput("the policy file needs a \"roles\" object", remedy: .startFromPolicy)
        }
        if let unknown = top.keys.first(where: { $0 != "roles" && $0 != "group" }) {
            throw KithVaultError.invalidInput("the policy file has an unknown key \"\(unknown)\" (expected \"roles\")")
        }
        var policy = GroupPolicy(readable: [:], writable: [:])
        for (name, value) in roles {
            guard let role = GroupRole(name: name) else {
                throw KithVaultError.invalidInput("the policy file names an unknown role \"\(name)\" (roles: lead, caseworker, viewer)")
            }
            guard let entry = value as? [String: Any], let read = entry["read"] as? [String], let write = entry["write"] as? [String],
                entry.count == 2
            else {
                throw KithVaultError.invalidInput("the policy for \(name) must be {\"read\": [...], \"write\": [...]}")
            }
            policy.readable[role] = try Self.compartments(read, role: name)
            policy.writable[role] = try Self.compartments(write, role: name)
        }
        if let missing = GroupRole.allCases.first(where: { policy.readable[$0] == nil }) {
            throw KithVaultError.invalidInput("the policy file does not say what \(missing) may do; give every role, even with empty lists")
        }
        self = policy
    }

    private static func compartments(_ names: [String], role: String) throws -> Set<Compartment> {
        try Set(
            names.map { name in
                guard let compartment = Compartment(name: name) else {
                    throw KithVaultError.invalidInput("the policy for \(role) names an unknown compartment \"\(name)\" (compartments: profile, notes, sensitive)")
                }
                return compartment
            })
    }
}
