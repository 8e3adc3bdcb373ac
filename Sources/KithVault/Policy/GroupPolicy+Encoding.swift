/// The policy's place in signed log entries: one line per role, each a
/// bit mask of the compartments it may read and write.
///
/// ```
/// u8 role count (3), then per role in code order:
///     u8 role, u8 readable mask, u8 writable mask
/// ```
/// Bit `n - 1` of a mask stands for the compartment whose code is `n`.
extension GroupPolicy {
    static func mask(_ compartments: Set<Compartment>) -> UInt8 {
        compartments.reduce(0) { $0 | (1 << ($1.rawValue - 1)) }
    }

    static func compartments(mask: UInt8) -> Set<Compartment>? {
        let known = Self.mask(Set(Compartment.allCases))
        guard mask & ~known == 0 else { return nil }
        return Set(Compartment.allCases.filter { mask & (1 << ($0.rawValue - 1)) != 0 })
    }

    func encode(into w: inout ByteWriter) {
        w.u8(UInt8(GroupRole.allCases.count))
        for role in GroupRole.allCases {
            w.u8(role.rawValue)
            w.u8(Self.mask(readable[role] ?? []))
            w.u8(Self.mask(writable[role] ?? []))
        }
    }

    static func decode(_ r: inout ByteReader) throws -> GroupPolicy {
        guard try r.u8() == UInt8(GroupRole.allCases.count) else { throw KithVaultError.integrity("policy does not name every role") }
        var policy = GroupPolicy(readable: [:], writable: [:])
        for role in GroupRole.allCases {
            guard try r.u8() == role.rawValue else { throw KithVaultError.integrity("policy roles are out of order") }
            guard let read = compartments(mask: try r.u8()), let write = compartments(mask: try r.u8()) else {
                throw KithVaultError.integrity("policy names an unknown compartment")
            }
            policy.readable[role] = read
            policy.writable[role] = write
        }
        return policy
    }

    /// Why this policy cannot be used, or nil when it can. A lead must read
    /// and write everything (they hand out the keys and carry every record
    /// forward), and nobody may write what they cannot read (an update
    /// would silently drop the fields they cannot see).
    public var problem: String? {
        let all = Set(Compartment.allCases)
        if readable[.lead] != all || writable[.lead] != all {
            return "a lead must read and write every compartment (they hold and hand out every key)"
        }
        for role in GroupRole.allCases {
            let extra = (writable[role] ?? []).subtracting(readable[role] ?? [])
            if !extra.isEmpty {
                return "\(role) may write \(extra.sorted().map(\.description).joined(separator: ", ")) but not read it; a role must be able to read what it writes"
            }
        }
        return nil
    }
}
