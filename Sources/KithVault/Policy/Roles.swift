/// A closed set of values known by one name each (on the command line, in
/// JSON and in policy files): `description` is the name, and `init(name:)`
/// parses it back, so every enum spells its names once.
public protocol NamedCase: CaseIterable, CustomStringConvertible {}

extension NamedCase {
    /// Parses a name as `description` spells it; nil for any other string.
    public init?(name: String) {
        guard let value = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = value
    }
}

/// A vault-wide role, given at enrolment.
public enum OrgRole: UInt8, Sendable, CaseIterable, NamedCase, CustomStringConvertible {
    /// Founds the vault, enrols people, creates groups, appoints leads. Reads
    /// no record unless granted a group role.
    case admin = 1
    /// Verifies the log and reads its sealed details; never record content.
    case auditor = 2
    /// Everyone else: case workers, leads and viewers get their power from group roles.
    case user = 3

    /// The name used on the command line and in JSON.
    public var description: String {
        switch self {
        case .admin: return "admin"
        case .auditor: return "auditor"
        case .user: return "user"
        }
    }

}

/// A role inside one group.
public enum GroupRole: UInt8, Sendable, CaseIterable, NamedCase, CustomStringConvertible {
    /// Reads and writes every compartment; grants and revokes.
    case lead = 1
    /// Reads and writes `profile` and `notes`.
    case caseworker = 2
    /// Reads `profile`.
    case viewer = 3

    /// The name used on the command line and in JSON.
    public var description: String {
        switch self {
        case .lead: return "lead"
        case .caseworker: return "caseworker"
        case .viewer: return "viewer"
        }
    }

}

/// A part of a record that a role may or may not read. Each has its own key
/// per epoch, so the keys enforce the policy.
public enum Compartment: UInt8, Sendable, CaseIterable, NamedCase, Comparable, CustomStringConvertible {
    /// Who the person is: name, pronouns, contacts.
    case profile = 1
    /// Case work: needs, notes, follow-ups.
    case notes = 2
    /// What could hurt the person most if it leaked (health, status, location).
    case sensitive = 3

    /// The name used on the command line and in JSON.
    public var description: String {
        switch self {
        case .profile: return "profile"
        case .notes: return "notes"
        case .sensitive: return "sensitive"
        }
    }

    /// Orders compartments by their code.
    public static func < (lhs: Compartment, rhs: Compartment) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What each group role may read and write.
public struct GroupPolicy: Equatable, Sendable {
    /// Compartments each role may read.
    public var readable: [GroupRole: Set<Compartment>]
    /// Compartments each role may write.
    public var writable: [GroupRole: Set<Compartment>]
    /// Which profile fields search indexes, and how, by field name; nil:
    /// the default (name-like and contact fields, see `SearchRules`).
    public var search: [String: FieldSearchMode]? = nil
    /// What a reader must give a reason for (sealed to auditors); empty:
    /// nothing.
    public var reasons: Set<ReasonRequirement> = []
    /// How long records of each kind are kept, in months, after they were
    /// last touched (a new version, or a note or attachment on a case, or a
    /// case about a member); empty: kept until a lead erases them. A lead's
    /// `retention apply` erases what is past it (see `Vault.retentionDue`).
    public var retention: [RecordKind: UInt16] = [:]

    /// The most months a retention rule may name (100 years).
    public static let maximumRetentionMonths: UInt16 = 1200

    /// A policy of these rights (and the default search rules).
    public init(readable: [GroupRole: Set<Compartment>], writable: [GroupRole: Set<Compartment>], search: [String: FieldSearchMode]? = nil) {
        self.readable = readable
        self.writable = writable
        self.search = search
    }

    /// The policy every group starts with.
    public static let `default` = GroupPolicy(
        readable: [.lead: Set(Compartment.allCases), .caseworker: [.profile, .notes], .viewer: [.profile]],
        writable: [.lead: Set(Compartment.allCases), .caseworker: [.profile, .notes], .viewer: []]
    )

    /// Whether `role` may read `compartment`.
    public func canRead(_ role: GroupRole, _ compartment: Compartment) -> Bool {
        readable[role]?.contains(compartment) ?? false
    }

    /// Whether `role` may write `compartment`.
    public func canWrite(_ role: GroupRole, _ compartment: Compartment) -> Bool {
        writable[role]?.contains(compartment) ?? false
    }
}

/// An access the group's policy asks a reason for. The stock client asks
/// before it reads; the reason is sealed to auditors with the read, and an
/// auditor's log marks a read that lacks one (a modified client can skip
/// asking, never hide that it read).
public enum ReasonRequirement: String, Sendable, CaseIterable, Comparable {
    /// Reading a record's sensitive fields (or a sensitive attachment).
    case sensitiveReads = "read-sensitive"
    /// Exporting records.
    case exports = "export"

    var bit: UInt8 {
        switch self {
        case .sensitiveReads: return 1
        case .exports: return 2
        }
    }

    /// In words, for a policy's summary.
    public var words: String {
        switch self {
        case .sensitiveReads: return "reading sensitive fields"
        case .exports: return "exports"
        }
    }

    public static func < (a: ReasonRequirement, b: ReasonRequirement) -> Bool { a.bit < b.bit }
}

/// What a record is about.
public enum RecordKind: UInt8, Sendable, CaseIterable, NamedCase, CustomStringConvertible {
    /// A person the network supports.
    case member = 1
    /// A case: a need being worked on; holds notes.
    case `case` = 2
    /// A note on a case.
    case note = 3
    /// A file attached to a case: its name, size and hash; the sealed bytes
    /// live beside the vault (see `Vault.addAttachment`).
    case attachment = 4

    /// The name used on the command line and in JSON.
    public var description: String {
        switch self {
        case .member: return "member"
        case .case: return "case"
        case .note: return "note"
        case .attachment: return "attachment"
        }
    }

    /// Where a field goes when the user does not say.
    public var defaultCompartment: Compartment {
        switch self {
        case .member: return .profile
        case .case, .note, .attachment: return .notes
        }
    }
}
