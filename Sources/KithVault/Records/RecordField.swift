import KithCrypto

/// One free-form field of a record: a name, a value, and the compartment
/// whose key protects it.
public struct RecordField: Equatable, Sendable {
    /// Which compartment's key protects this field.
    public let compartment: Compartment
    /// The field's name (encrypted like its value).
    public let name: String
    /// The field's value.
    public let value: String

    /// A field; names must be 1 to 128 characters without '=' or ':'.
    public init(compartment: Compartment, name: String, value: String) throws {
        // Bytes, not Foundation's string search: every record read decodes its fields through here.
        guard (1...128).contains(name.count), !name.utf8.contains(UInt8(ascii: "=")), !name.utf8.contains(UInt8(ascii: ":")),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw KithVaultError.invalidInput("'\(name)' is not a valid field name: use 1 to 128 characters, no '=' or ':'")
        }
        guard value.utf8.count <= 1 << 20 else {
            throw KithVaultError.invalidInput("the value of field '\(name)' is over 1 MiB; store large files as attachments")
        }
        self.compartment = compartment
        self.name = name
        self.value = value
    }

    /// Parses the command-line form `[compartment:]name=value`; without a
    /// compartment the kind's default is used.
    public static func parse(_ text: String, kind: RecordKind) throws -> RecordField {
        guard let equals = text.firstIndex(of: "=") else {
            throw KithVaultError.invalidInput("'\(text)' is not a field: write name=value, or compartment:name=value (compartments: profile, notes, sensitive)")
        }
        var name = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        var compartment = kind.defaultCompartment
        if let colon = name.firstIndex(of: ":") {
            let prefix = String(name[..<colon])
            guard let named = Compartment(name: prefix) else {
                throw KithVaultError.invalidInput("'\(prefix)' is not a compartment: use profile, notes or sensitive")
            }
            compartment = named
            name = String(name[name.index(after: colon)...])
        }
        return try RecordField(compartment: compartment, name: name, value: value)
    }
}

/// The plaintext of one compartment of a record: its fields, encoded, then
/// padded to a size bucket before encryption.
enum FieldCodec {
    static let version: UInt8 = 1

    static func encode(_ fields: [RecordField]) -> [UInt8] {
        var w = ByteWriter()
        w.u8(version)
        w.u16(UInt16(fields.count))
        for field in fields {
            w.string(field.name)
            w.data(Array(field.value.utf8))
        }
        return w.bytes
    }

    static func decode(_ plaintext: borrowing SecureBytes, compartment: Compartment) throws -> [RecordField] {
        // The decoded values become Strings here, at the edge where they are shown.
        var bytes = plaintext.withUnsafeBytes { Array($0) }
        // Runs after `decode(bytes:)` has returned and let go of the buffer, so the wipe hits the only copy.
        defer { SecureBytes.wipe(&bytes) }
        return try decode(bytes: bytes, compartment: compartment)
    }

    private static func decode(bytes: [UInt8], compartment: Compartment) throws -> [RecordField] {
        var r = ByteReader(bytes, what: "record content")
        guard try r.u8() == version else { throw KithVaultError.integrity("record content has an unknown format version") }
        var fields: [RecordField] = []
        for _ in 0..<Int(try r.u16()) {
            let name = try r.string()
            guard let value = String(validating: try r.data(), as: UTF8.self) else {
                throw KithVaultError.integrity("record content is not UTF-8")
            }
            guard let field = try? RecordField(compartment: compartment, name: name, value: value),
                !fields.contains(where: { $0.name == name })
            else {
                throw KithVaultError.integrity("record content has a malformed or repeated field name")
            }
            fields.append(field)
        }
        try r.finish()
        return fields
    }

    /// The padded size for `length` plaintext bytes: a power of two from
    /// 256 bytes up to 64 KiB, then whole multiples of 64 KiB. A copy of the
    /// store then tells record sizes apart only by bucket.
    static func bucket(for length: Int) -> Int {
        let needed = length + 1  // sodium_pad always adds at least one byte
        if needed > 65536 { return (needed + 65535) / 65536 * 65536 }
        var size = 256
        while size < needed { size *= 2 }
        return size
    }
}
