internal import CSodium

/// Public random values from libsodium's CSPRNG (for nonces, identifiers and
/// salts). Use `SecureBytes(randomCount:)` for anything secret.
public enum Random {
    /// `count` random bytes.
    public static func bytes(_ count: Int) throws -> [UInt8] {
        try Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            if let address = buffer.baseAddress { randombytes_buf(address, buffer.count) }
        }
        return out
    }

    /// A uniform random integer in `0..<upperBound` (no modulo bias).
    public static func uniform(_ upperBound: UInt32) throws -> UInt32 {
        try Sodium.ensureReady()
        return randombytes_uniform(upperBound)
    }
}
