/// The strict decoder matching `ByteWriter`: every read is bounds-checked,
/// and `finish()` refuses trailing bytes, so a malformed object is an error
/// and never a crash or a silent partial read.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    /// What is being decoded, for error messages.
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw KithVaultError.integrity("\(what) is truncated")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A u32 count of items that take at least `minimum` bytes each, refused
    /// when the bytes left cannot hold them: a count from a damaged or hostile
    /// input must not make the decoder reserve memory for it first.
    mutating func count(each minimum: Int) throws -> Int {
        let count = Int(try u32())
        guard count <= remaining / max(1, minimum) else { throw KithVaultError.integrity("\(what) is truncated") }
        return count
    }

    mutating func u8() throws -> UInt8 { try take(1).first ?? 0 }

    mutating func u16() throws -> UInt16 {
        try take(2).reduce(0) { $0 << 8 | UInt16($1) }
    }

    mutating func u32() throws -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() throws -> UInt64 {
        try take(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func fixed(_ count: Int) throws -> [UInt8] { Array(try take(count)) }

    /// A 32-bit length-prefixed byte string of at most `limit` bytes.
    mutating func data(limit: Int = 1 << 26) throws -> [UInt8] {
        let count = Int(try u32())
        guard count <= limit else { throw KithVaultError.integrity("\(what) has a field longer than allowed") }
        return Array(try take(count))
    }

    /// A 16-bit length-prefixed UTF-8 string; invalid UTF-8 is an error.
    mutating func string() throws -> String {
        let raw = Array(try take(Int(try u16())))
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw KithVaultError.integrity("\(what) has a text field that is not UTF-8")
        }
        return text
    }

    /// An optional identifier written by `ByteWriter.optionalID`.
    mutating func optionalID() throws -> Identifier? {
        switch try u8() {
        case 0: return nil
        case 1: return try Identifier(bytes: fixed(Identifier.length))
        default: throw KithVaultError.integrity("\(what) has a malformed optional-id flag")
        }
    }

    /// Throws unless every byte was consumed.
    func finish() throws {
        guard remaining == 0 else { throw KithVaultError.integrity("\(what) has \(remaining) unexpected trailing bytes") }
    }
}
