internal import CSodium

/// SipHash-2-4 (`crypto_shorthash`): a fast keyed 64-bit PRF for hash
/// tables. Kith's search index uses it to turn normalised terms into
/// values that say nothing about the term to anyone without the key.
public enum ShortHash {
    /// Key length (`crypto_shorthash_keybytes`).
    public static var keyLength: Int { Int(crypto_shorthash_keybytes()) }
    /// Output length (`crypto_shorthash_bytes`).
    public static var outputLength: Int { Int(crypto_shorthash_bytes()) }

    /// The keyed hash of `input` as a 64-bit number (little-endian, as
    /// libsodium writes it).
    public static func hash(_ input: UnsafeRawBufferPointer, key: borrowing SecureBytes) throws -> UInt64 {
        try Sodium.ensureReady()
        try Sodium.check("crypto_shorthash key", key.count, equals: keyLength)
        try Sodium.check("crypto_shorthash output", outputLength, equals: MemoryLayout<UInt64>.size)
        // Straight into a UInt64: the index hashes millions of terms, and an array per hash would dominate.
        var value: UInt64 = 0
        let status = key.withUnsafeBytes { k in
            withUnsafeMutableBytes(of: &value) { o in
                crypto_shorthash(o.bytePointer, input.bytePointer, UInt64(input.count), k.bytePointer)
            }
        }
        guard status == 0 else { throw KithCryptoError.invalidEncoding("libsodium refused the short hash") }
        return UInt64(littleEndian: value)
    }

    /// The keyed hash of `input`'s bytes.
    public static func hash(_ input: [UInt8], key: borrowing SecureBytes) throws -> UInt64 {
        try input.withUnsafeBytes { try hash($0, key: key) }
    }
}
