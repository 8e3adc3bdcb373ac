import KithCrypto

/// The hashes of RFC 9162 section 2.1, with SHA-256: a leaf is
/// `SHA-256(0x00 || entry)`, an interior node `SHA-256(0x01 || left || right)`,
/// the empty tree `SHA-256("")`. The prefixes keep a leaf from ever being
/// taken for a node.
public enum MerkleHash {
    /// Hash length in bytes.
    public static let length = 32

    /// The hash of a leaf holding `entry`.
    public static func leaf(_ entry: [UInt8]) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update([0x00])
        hasher.update(entry)
        return hasher.finalize()
    }

    /// The hash of an interior node.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        SHA256.hash([0x01] + left + right)
    }

    /// The root of the empty tree.
    public static var empty: [UInt8] { SHA256.hash([]) }

    /// The largest power of two strictly less than `n` (n > 1).
    static func split(_ n: UInt64) -> UInt64 {
        var k: UInt64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
