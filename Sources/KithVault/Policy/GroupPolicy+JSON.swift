import Foundation

/// The policy as people edit it: a JSON file, the same shape that
/// `kith policy show --json` prints, so show, edit, set is a round trip.
///
/// ```json
/// {"roles": {
///   "lead":       {"read": ["notes", "profile", "sensitive"], "write": ["notes", "profile", "sensitive"]},
///   "caseworker": {"read": ["notes", "profile"], "write": ["notes", "profile"]},
///   "viewer":     {"read": ["profile"], "write": []}
/// },
///  "search": {"name": "words", "phone": "phone", "member_no": "whole"},
///  "reasons": ["read-sensitive", "export"],
///  "retention": {"note": 24, "case": 36}}
/// ```
///
/// `reasons` is optional too: what a reader must give a reason for.
/// `retention` is optional: per record kind, the months a record is kept
/// after it was last touched (see `GroupPolicy.retention`).
///
/// `search` is optional: without it, search looks at the name-like and
/// contact fields of the profile; with it, at exactly the profile fields it
/// names, each as `words`, `prefixes`, `phone`, `whole` or `digits`.
extension GroupPolicy {
    /// The reasons list, sorted, or nil when none is asked for.
    public var jsonReasons: [String]? { reasons.isEmpty ? nil : reasons.sorted().map(\.rawValue) }

    /// The retention object: record kind -> months, or nil when none is set.
    public var jsonRetention: [String: Int]? {
        retention.isEmpty ? nil : Dictionary(uniqueKeysWithValues: retention.map { ($0.key.description, Int($0.value)) })
    }

    /// The search object: field name -> mode, or nil for the default rules.
    public var jsonSearch: [String: String]? { search.map { $0.mapValues(\.rawValue) } }

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
        if let unknown = top.keys.first(where: { !["roles", "group", "search", "reasons", "retention"].contains($0) }) {
            throw KithVaultError.invalidInput(
                "the policy file has an unknown key \"\(unknown)\" (expected \"roles\", \"search\" if you name the searchable fields, \"reasons\" if readers must give one, and \"retention\" if records are erased after a time)"
            )
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
        if let search = top["search"] {
            let modes = FieldSearchMode.allCases.map(\.rawValue).joined(separator: ", ")
            guard let rules = search as? [String: Any] else {
                throw KithVaultError.invalidInput("\"search\" must be an object of profile field names to how each is searched (\(modes)), like {\"name\": \"words\", \"phone\": \"phone\"}")
            }
            var named: [String: FieldSearchMode] = [:]
            for (name, value) in rules {
                guard let text = value as? String, let mode = FieldSearchMode(rawValue: text) else {
                    throw KithVaultError.invalidInput("the search rule for \"\(name)\" must be one of \(modes)")
                }
                named[name] = mode
            }
            policy.search = named
        }
        if let reasons = top["reasons"] {
            let names = ReasonRequirement.allCases.map(\.rawValue).joined(separator: ", ")
            guard let list = reasons as? [String] else {
                throw KithVaultError.invalidInput("\"reasons\" must be a list of what needs a reason: \(names)")
            }
            for name in list {
                guard let requirement = ReasonRequirement(rawValue: name) else {
                    throw KithVaultError.invalidInput("\"reasons\" names \"\(name)\", which is not one of \(names)")
                }
                policy.reasons.insert(requirement)
            }
        }
        if let retention = top["retention"] {
            let kinds = RecordKind.allCases.map(\.description).joined(separator: ", ")
            guard let rules = retention as? [String: Any] else {
                throw KithVaultError.invalidInput("\"retention\" must be an object of record kinds to months, like {\"note\": 24, \"case\": 36}")
            }
            for (name, value) in rules {
                guard let kind = RecordKind(name: name) else {
                    throw KithVaultError.invalidInput("\"retention\" names \"\(name)\", which is not a record kind (\(kinds))")
                }
                // JSONSerialization gives NSNumber: a whole number of months only, never 2.5 or true (a boolean's type code is "c").
                guard let number = value as? NSNumber, String(cString: number.objCType) != "c", let months = UInt16(exactly: number.doubleValue),
                    months >= 1, months <= Self.maximumRetentionMonths
                else {
                    throw KithVaultError.invalidInput("the retention of \(name) records must be a whole number of months from 1 to \(Self.maximumRetentionMonths)")
                }
                policy.retention[kind] = months
            }
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
