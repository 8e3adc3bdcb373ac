import KithCrypto

/// Fingerprints people read aloud and compare: the first 20 bytes of a hash,
/// in Crockford base32 (no I, L, O or U, so nothing is misread), in groups
/// of four: `K7QM-2XVA-...`.
public enum Fingerprint {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// The readable form of a hash (uses its first 20 bytes: 160 bits).
    public static func readable(_ hash: [UInt8]) -> String {
        var bits = 0, value = 0
        var out: [UInt8] = []
        for byte in hash.prefix(20) {
            value = (value << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(value >> (bits - 5)) & 31])
                bits -= 5
            }
            value &= (1 << bits) - 1
        }
        var grouped: [UInt8] = []
        for (index, char) in out.enumerated() {
            if index > 0 && index % 4 == 0 { grouped.append(UInt8(ascii: "-")) }
            grouped.append(char)
        }
        return String(decoding: grouped, as: UTF8.self)
    }

    /// Parses a readable fingerprint (case, dashes and spaces do not matter;
    /// I and L read as 1, O as 0) back into its 20 bytes.
    public static func parse(_ text: String) throws -> [UInt8] {
        var value = 0, bits = 0
        var out: [UInt8] = []
        for char in text.uppercased().unicodeScalars where char != "-" && char != " " {
            let normalised: Unicode.Scalar = char == "I" || char == "L" ? "1" : (char == "O" ? "0" : char)
            guard let digit = alphabet.firstIndex(of: UInt8(normalised.value & 0xff)), normalised.isASCII else {
                throw KithVaultError.invalidInput("'\(text)' is not a vault fingerprint (it looks like XXXX-XXXX-... with 8 groups of 4)")
            }
            value = (value << 5) | digit
            bits += 5
            if bits >= 8 {
                out.append(UInt8((value >> (bits - 8)) & 0xff))
                bits -= 8
                value &= (1 << bits) - 1
            }
        }
        guard out.count == 20, bits == 0 else {
            throw KithVaultError.invalidInput("'\(text)' is not a vault fingerprint (it has 32 characters in 8 groups of 4)")
        }
        return out
    }

    /// The fingerprint of a user's two public keys.
    public static func ofKeys(signing: SigningPublicKey, box: BoxPublicKey) -> String {
        readable(SHA256.hash(Array("kith-key-fingerprint-v1".utf8) + signing.bytes + box.bytes))
    }
}
