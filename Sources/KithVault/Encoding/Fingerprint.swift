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

    /// The fingerprint of a user's two public keys.
    public static func ofKeys(signing: SigningPublicKey, box: BoxPublicKey) -> String {
        readable(SHA256.hash(Array("kith-key-fingerprint-v1".utf8) + signing.bytes + box.bytes))
    }
}
