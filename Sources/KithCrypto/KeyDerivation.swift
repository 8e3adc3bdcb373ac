internal import CSodium

/// Subkeys from a master key (`crypto_kdf_derive_from_key`): each subkey is
/// named by a 64-bit id and an 8-character context, so keys for different
/// purposes can never coincide.
public enum KeyDerivation {
    /// Master key length (`crypto_kdf_keybytes`).
    public static var masterKeyLength: Int { Int(crypto_kdf_keybytes()) }
    /// Context length (`crypto_kdf_contextbytes`).
    public static var contextLength: Int { Int(crypto_kdf_contextbytes()) }

    /// Derives subkey `id` of `length` bytes (16 to 64) in `context`
    /// (exactly 8 ASCII characters, for example `"kithrec1"`).
    public static func deriveSubkey(from master: borrowing SecureBytes, id: UInt64, context: String, length: Int = 32) throws -> SecureBytes {
        try Sodium.ensureReady()
        try Sodium.check("crypto_kdf master key", master.count, equals: masterKeyLength)
        let contextBytes = Array(context.utf8)
        guard contextBytes.count == contextLength, context.allSatisfy(\.isASCII) else {
            throw KithCryptoError.invalidKeyDerivationInput("the context must be exactly \(contextLength) ASCII characters, got \"\(context)\"")
        }
        let minLength = Int(crypto_kdf_bytes_min()), maxLength = Int(crypto_kdf_bytes_max())
        guard length >= minLength, length <= maxLength else {
            throw KithCryptoError.invalidKeyDerivationInput("a subkey must be \(minLength) to \(maxLength) bytes, asked for \(length)")
        }
        var subkey = try SecureBytes(count: length)
        let status = master.withUnsafeBytes { k in
            contextBytes.withUnsafeBytes { c in
                subkey.withUnsafeMutableBytes { out in
                    crypto_kdf_derive_from_key(
                        out.bytePointer, out.count, id,
                        c.charPointer,
                        k.bytePointer)
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.invalidKeyDerivationInput("libsodium refused the subkey request") }
        return subkey
    }
}
