/// A user's handle: how people name each other in commands. Kept short and
/// plain so it can be typed, read aloud and compared: 1 to 64 characters of
/// letters, digits, '.', '_' and '-', starting with a letter or digit.
/// Handles never appear in the store in the clear.
public struct Handle: Hashable, Sendable, CustomStringConvertible {
    /// The handle as typed.
    public let value: String

    /// Validates a handle.
    public init(_ value: String) throws {
        let scalars = Array(value.unicodeScalars)
        let allowed = { (s: Unicode.Scalar) in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "_" || s == "-")
        }
        guard (1...64).contains(scalars.count), scalars.allSatisfy(allowed),
            let first = scalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first)
        else {
            throw KithVaultError.invalidInput(
                "'\(value)' is not a valid handle: use 1 to 64 Latin letters (a to z), digits, '.', '_' or '-', starting with a letter or digit; a handle is a short login name, and names in any script go in records")
        }
        self.value = value
    }

    /// The handle.
    public var description: String { value }

    /// Handles are unique regardless of case.
    public var comparisonKey: String { value.lowercased() }
}
