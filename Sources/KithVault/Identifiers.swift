import KithCrypto

/// A random 16-byte identifier. The store shows identifiers in the clear,
/// so they carry no meaning: no counter, no time, no name.
public struct Identifier: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Identifier length in bytes.
    public static let length = 16
    /// The raw bytes.
    public let bytes: [UInt8]

    /// A fresh random identifier.
    public static func random() throws -> Identifier {
        Identifier(unchecked: try Random.bytes(length))
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Wraps raw bytes; throws unless they are 16 long.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Identifier.length else {
            throw KithVaultError.integrity("an identifier is \(bytes.count) bytes instead of \(Identifier.length)")
        }
        self.bytes = bytes
    }

    /// Parses the 32-hex-digit form users see and type.
    public init(parsing text: String) throws {
        guard let bytes = try? Hex.decode(text.lowercased()), bytes.count == Identifier.length else {
            throw KithVaultError.invalidInput("'\(text)' is not a Kith id (32 hexadecimal digits, as record listings show them)", remedy: .listRecords)
        }
        self.bytes = bytes
    }

    /// 32 lowercase hex digits.
    public var description: String { Hex.encode(bytes) }

    /// Orders identifiers by their bytes (for stable listings).
    public static func < (lhs: Identifier, rhs: Identifier) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// A user's identifier.
public typealias UserID = Identifier
/// A group's identifier.
public typealias GroupID = Identifier
/// A record's identifier (members, cases and notes alike).
public typealias RecordID = Identifier
