/// Every failure KithCrypto can report.
///
/// Messages say what went wrong and what to do about it. None of them ever
/// carries key material, plaintext or a passphrase.
public enum KithCryptoError: Error, Equatable, Sendable {
    /// `sodium_init` failed: libsodium could not start (for example no
    /// source of randomness). Nothing cryptographic can run.
    case libraryUnavailable
    /// libsodium could not allocate guarded memory of this many bytes.
    case outOfMemory(bytes: Int)
    /// An input had the wrong length. `what` names the input, `expected`
    /// describes the accepted lengths, `actual` is the length given.
    case invalidLength(what: String, expected: String, actual: Int)
    /// An AEAD or sealed-box check failed: the data was altered, or it was
    /// sealed under another key, nonce or associated data.
    case authenticationFailed
    /// An Ed25519 signature did not verify for that message and key.
    case invalidSignature
    /// X25519 produced the all-zero shared secret: the peer's public key
    /// is a low-order point and must be rejected.
    case weakPublicKey
    /// Argon2id parameters are outside what this build accepts.
    case invalidPasswordHashParameters(String)
    /// Argon2id could not run with these limits (usually not enough memory).
    case passwordHashFailed
    /// `sodium_unpad` found no valid padding: the plaintext was not padded
    /// with this block size, or it is corrupt.
    case invalidPadding
    /// A secret stream ended before its final chunk: the data was cut short.
    case streamTruncated
    /// A secret stream received a chunk after its final chunk.
    case streamAlreadyFinished
    /// A `crypto_kdf` context was not 8 bytes, or a subkey id/length was
    /// out of range.
    case invalidKeyDerivationInput(String)
    /// Text that had to be hexadecimal or base64 was not.
    case invalidEncoding(String)
    /// Secret shares that cannot be combined: `detail` says why (too few,
    /// two with one index, of different secrets, or malformed).
    case invalidShares(String)
}

extension KithCryptoError: CustomStringConvertible {
    /// A one-line message: what went wrong, then what to do.
    public var description: String {
        switch self {
        case .libraryUnavailable:
            return "libsodium failed to initialise. Check that libsodium 1.0.18 or later is installed and that the system has a working random source."
        case .outOfMemory(let bytes):
            return "could not allocate \(bytes) bytes of protected memory. Free memory or raise the locked-memory limit (ulimit -l), then try again."
        case .invalidLength(let what, let expected, let actual):
            return "\(what) is \(actual) bytes, expected \(expected). The input is malformed or of another kind; check where it came from."
        case .authenticationFailed:
            return "decryption failed: the data was altered, or it is not meant for this key. Do not trust this data; restore it from a good copy."
        case .invalidSignature:
            return "signature does not verify: the data was altered or was signed by another key."
        case .weakPublicKey:
            return "the peer's public key is a low-order point and cannot be used. Ask the peer for their real key."
        case .invalidPasswordHashParameters(let detail):
            return "passphrase key-derivation parameters are not acceptable: \(detail). The file may be corrupt or from an incompatible version."
        case .passwordHashFailed:
            return "passphrase key derivation failed, usually for lack of memory. Close other programs or use a lighter profile, then try again."
        case .invalidPadding:
            return "padding is invalid: the decrypted data is corrupt."
        case .streamTruncated:
            return "the encrypted stream ends before its final chunk: the file was cut short. Restore it from a good copy."
        case .streamAlreadyFinished:
            return "the encrypted stream has data after its final chunk: the file was altered."
        case .invalidKeyDerivationInput(let detail):
            return "key derivation input is invalid: \(detail)."
        case .invalidEncoding(let detail):
            return "text is not valid \(detail)."
        case .invalidShares(let detail):
            return "the secret shares cannot be combined: \(detail)."
        }
    }
}
