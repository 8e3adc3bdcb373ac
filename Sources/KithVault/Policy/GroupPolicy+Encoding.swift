/// The policy's place in signed log entries: one line per role, each a
/// bit mask of the compartments it may read and write, then, only when the
/// policy names its searchable fields, a search section (a policy without
/// one encodes exactly as before there was search).
///
/// ```
/// u8 role count (3), | 0x80 when a search section follows the roles,
///                    | 0x40 when a reasons byte follows (after any search section)
/// per role in code order:
///     u8 role, u8 readable mask, u8 writable mask
/// with the 0x80 flag: u16 rule count, then per rule by name:
///     string field name, u8 mode (1 words, 2 prefixes, 3 phone, 4 whole, 5 digits)
/// with the 0x40 flag: u8 reasons mask (1 sensitive reads, 2 exports), not 0
/// with the 0x20 flag: u8 rule count (not 0), then per rule in kind order:
///     u8 record kind, u16 months (1 to 1200)
/// ```
/// (The flag keeps the encoding self-delimiting, as the state snapshot
/// needs, and a policy without rules byte for byte as it always was.)
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
        w.u8(
            UInt8(GroupRole.allCases.count) | (search == nil ? 0 : Self.searchFlag) | (reasons.isEmpty ? 0 : Self.reasonsFlag)
                | (retention.isEmpty ? 0 : Self.retentionFlag))
        for role in GroupRole.allCases {
            w.u8(role.rawValue)
            w.u8(Self.mask(readable[role] ?? []))
            w.u8(Self.mask(writable[role] ?? []))
        }
        if let search {
            w.u16(UInt16(clamping: search.count))
            for (name, mode) in search.sorted(by: { $0.key < $1.key }) {
                w.string(name)
                w.u8(mode.code)
            }
        }
        if !reasons.isEmpty { w.u8(reasons.reduce(0) { $0 | $1.bit }) }
        if !retention.isEmpty {
            w.u8(UInt8(clamping: retention.count))
            for (kind, months) in retention.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                w.u8(kind.rawValue)
                w.u16(months)
            }
        }
    }

    /// The flag on the role count saying a retention section follows.
    static let retentionFlag: UInt8 = 0x20

    /// The flag on the role count saying a reasons byte follows.
    static let reasonsFlag: UInt8 = 0x40

    /// The flag on the role count saying a search section follows.
    static let searchFlag: UInt8 = 0x80
    /// The most fields a policy may name for search.
    public static let maximumSearchFields = 64

    static func decode(_ r: inout ByteReader) throws -> GroupPolicy {
        let first = try r.u8()
        guard first & ~(searchFlag | reasonsFlag | retentionFlag) == UInt8(GroupRole.allCases.count) else { throw KithVaultError.integrity("policy does not name every role") }
        var policy = GroupPolicy(readable: [:], writable: [:])
        for role in GroupRole.allCases {
            guard try r.u8() == role.rawValue else { throw KithVaultError.integrity("policy roles are out of order") }
            guard let read = compartments(mask: try r.u8()), let write = compartments(mask: try r.u8()) else {
                throw KithVaultError.integrity("policy names an unknown compartment")
            }
            policy.readable[role] = read
            policy.writable[role] = write
        }
        if first & searchFlag != 0 {
            let count = Int(try r.u16())
            guard count <= maximumSearchFields else { throw KithVaultError.integrity("policy names too many searchable fields") }
            var search: [String: FieldSearchMode] = [:]
            var previous: String?
            for _ in 0..<count {
                let name = try r.string()
                // One form per meaning: names in the order the encoder sorts them, each once
                // (a fuzzer found an entry with two names swapped that decoded to the same policy).
                guard let mode = FieldSearchMode(code: try r.u8()), previous.map({ name > $0 }) ?? true else {
                    throw KithVaultError.integrity("policy has a malformed search rule")
                }
                previous = name
                search[name] = mode
            }
            policy.search = search
        }
        if first & reasonsFlag != 0 {
            let mask = try r.u8()
            let known = ReasonRequirement.allCases.reduce(UInt8(0)) { $0 | $1.bit }
            // One form per meaning: no flag for an empty set, no unknown bits.
            guard mask != 0, mask & ~known == 0 else { throw KithVaultError.integrity("policy has a malformed reasons section") }
            policy.reasons = Set(ReasonRequirement.allCases.filter { mask & $0.bit != 0 })
        }
        if first & retentionFlag != 0 {
            let count = Int(try r.u8())
            var previous: UInt8 = 0
            guard count > 0 else { throw KithVaultError.integrity("policy has an empty retention section") }
            for _ in 0..<count {
                let code = try r.u8()
                // One form per meaning: kinds in order, each once.
                guard let kind = RecordKind(rawValue: code), code > previous else { throw KithVaultError.integrity("policy has a malformed retention section") }
                previous = code
                policy.retention[kind] = try r.u16()
            }
        }
        return policy
    }

    /// Why this policy cannot be used, or nil when it can. A lead must read
    /// and write everything (they hand out the keys and carry every record
    /// forward), and nobody may write what they cannot read (an update
    /// would silently drop the fields they cannot see).
    public var problem: String? {
        if let search {
            if search.count > Self.maximumSearchFields { return "a policy may name at most \(Self.maximumSearchFields) searchable fields" }
            for name in search.keys where (try? RecordField(compartment: .profile, name: name, value: "")) == nil {
                return "'\(name)' is not a field name a record can have"
            }
            let folded = search.keys.map(SearchRules.folded)
            if Set(folded).count != folded.count { return "two searchable field names are the same to search (case, accents and spaces aside)" }
        }
        for (kind, months) in retention.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where months == 0 || months > Self.maximumRetentionMonths {
            return "the retention of \(kind) records must be 1 to \(Self.maximumRetentionMonths) months, not \(months)"
        }
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
