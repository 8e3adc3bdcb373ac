internal import CSodium

/// BLAKE2b (`crypto_generichash_blake2b_*`), unkeyed or keyed, with an
/// optional personalisation string so that each use has its own domain.
public enum BLAKE2b {
    /// Shortest output (`crypto_generichash_blake2b_bytes_min`).
    public static var minOutputLength: Int { Int(crypto_generichash_blake2b_bytes_min()) }
    /// Longest output (`crypto_generichash_blake2b_bytes_max`).
    public static var maxOutputLength: Int { Int(crypto_generichash_blake2b_bytes_max()) }
    /// Personalisation length (`crypto_generichash_blake2b_personalbytes`).
    public static var personalLength: Int { Int(crypto_generichash_blake2b_personalbytes()) }

    /// The unkeyed hash of `input`. `personal` (at most 16 bytes) is
    /// zero-padded to 16 bytes, as RFC 7693 implementations do.
    public static func hash(_ input: [UInt8], outputLength: Int = 32, personal: [UInt8] = []) throws -> [UInt8] {
        try run(input, key: nil, outputLength: outputLength, personal: personal)
    }

    /// The keyed hash (a MAC or a PRF) of `input` under a 16 to 64 byte key.
    public static func hash(_ input: [UInt8], key: borrowing SecureBytes, outputLength: Int = 32, personal: [UInt8] = []) throws -> [UInt8] {
        try checkKey(key.count)
        return try key.withUnsafeBytes { k in try input.withUnsafeBytes { try run($0, key: k, outputLength: outputLength, personal: personal) } }
    }

    /// The keyed hash of a secret `input` (never copied out of its guarded
    /// buffer), under a 16 to 64 byte key.
    public static func hash(secret input: borrowing SecureBytes, key: borrowing SecureBytes, outputLength: Int = 32, personal: [UInt8] = []) throws -> [UInt8] {
        try checkKey(key.count)
        return try key.withUnsafeBytes { k in try input.withUnsafeBytes { try run($0, key: k, outputLength: outputLength, personal: personal) } }
    }

    private static func checkKey(_ count: Int) throws {
        let minKey = Int(crypto_generichash_blake2b_keybytes_min())
        let maxKey = Int(crypto_generichash_blake2b_keybytes_max())
        guard count >= minKey, count <= maxKey else {
            throw KithCryptoError.invalidLength(what: "BLAKE2b key", expected: "\(minKey) to \(maxKey)", actual: count)
        }
    }

    private static func run(_ input: [UInt8], key: UnsafeRawBufferPointer?, outputLength: Int, personal: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try run($0, key: key, outputLength: outputLength, personal: personal) }
    }

    /// Checks the output length and returns `personal` zero-padded to 16
    /// bytes (shared by the one-shot and streaming forms).
    static func paddedPersonal(_ personal: [UInt8], outputLength: Int) throws -> [UInt8] {
        try Sodium.ensureReady()
        guard outputLength >= minOutputLength, outputLength <= maxOutputLength else {
            throw KithCryptoError.invalidLength(what: "BLAKE2b output", expected: "\(minOutputLength) to \(maxOutputLength)", actual: outputLength)
        }
        guard personal.count <= personalLength else {
            throw KithCryptoError.invalidLength(what: "BLAKE2b personalisation", expected: "at most \(personalLength)", actual: personal.count)
        }
        return personal + [UInt8](repeating: 0, count: personalLength - personal.count)
    }

    private static func run(_ input: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer?, outputLength: Int, personal: [UInt8]) throws -> [UInt8] {
        let paddedPersonal = try paddedPersonal(personal, outputLength: outputLength)
        var out = [UInt8](repeating: 0, count: outputLength)
        let status = paddedPersonal.withUnsafeBytes { p in
            out.withUnsafeMutableBytes { o in
                crypto_generichash_blake2b_salt_personal(
                    o.bytePointer, o.count,
                    input.bytePointer, UInt64(input.count),
                    key?.baseAddress?.assumingMemoryBound(to: UInt8.self), key?.count ?? 0,
                    nil,
                    p.bytePointer)
            }
        }
        guard status == 0 else { throw KithCryptoError.libraryUnavailable }
        return out
    }
}
