internal import CSodium

/// An Ed25519 public (verification) key: public data, freely copyable.
public struct SigningPublicKey: Hashable, Sendable {
    /// The 32 raw key bytes.
    public let bytes: [UInt8]

    /// Wraps raw key bytes; throws unless they are `Ed25519.publicKeyLength` long.
    public init(bytes: [UInt8]) throws {
        try Sodium.ensureReady()
        try Sodium.check("Ed25519 public key", bytes.count, equals: Ed25519.publicKeyLength)
        self.bytes = bytes
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: message, publicKey: self)
    }
}

/// An Ed25519 key pair. The secret half lives in `SecureBytes`.
public struct SigningKeyPair: ~Copyable, Sendable {
    /// The public half.
    public let publicKey: SigningPublicKey
    // libsodium's 64-byte form: seed || public key.
    private let secretKey: SecureBytes

    /// A fresh random key pair.
    public init() throws {
        try self.init(seed: SecureBytes(randomCount: Ed25519.seedLength))
    }

    /// The key pair determined by a 32-byte seed (how keyfiles store it).
    public init(seed: borrowing SecureBytes) throws {
        try Sodium.ensureReady()
        try Sodium.check("Ed25519 seed", seed.count, equals: Ed25519.seedLength)
        var secret = try SecureBytes(count: Int(crypto_sign_secretkeybytes()))
        var publicBytes = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
        let status = seed.withUnsafeBytes { s in
            secret.withUnsafeMutableBytes { sk in
                publicBytes.withUnsafeMutableBytes { pk in
                    crypto_sign_seed_keypair(
                        pk.bytePointer,
                        sk.bytePointer,
                        s.bytePointer)
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.invalidLength(what: "Ed25519 seed", expected: "\(Ed25519.seedLength)", actual: seed.count) }
        self.publicKey = try SigningPublicKey(bytes: publicBytes)
        self.secretKey = secret
    }

    /// The 32-byte seed this key pair derives from (for sealing into a keyfile).
    public func seed() throws -> SecureBytes {
        var seed = try SecureBytes(count: Ed25519.seedLength)
        let status = secretKey.withUnsafeBytes { sk in
            seed.withUnsafeMutableBytes { s in
                crypto_sign_ed25519_sk_to_seed(
                    s.bytePointer,
                    sk.bytePointer)
            }
        }
        guard status == 0 else { throw KithCryptoError.libraryUnavailable }
        return seed
    }

    /// A detached 64-byte signature of `message`.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Ed25519.signatureLength)
        let status = secretKey.withUnsafeBytes { sk in
            message.withUnsafeBytes { m in
                signature.withUnsafeMutableBytes { sig in
                    crypto_sign_detached(
                        sig.bytePointer, nil,
                        m.bytePointer, UInt64(m.count),
                        sk.bytePointer)
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.libraryUnavailable }
        return signature
    }
}

/// Ed25519 constants and verification.
public enum Ed25519 {
    /// Public key length (`crypto_sign_publickeybytes`).
    public static var publicKeyLength: Int { Int(crypto_sign_publickeybytes()) }
    /// Seed length (`crypto_sign_seedbytes`).
    public static var seedLength: Int { Int(crypto_sign_seedbytes()) }
    /// Signature length (`crypto_sign_bytes`).
    public static var signatureLength: Int { Int(crypto_sign_bytes()) }

    /// Verifies a detached signature. A signature that is not exactly 64
    /// bytes is rejected before any pointer reaches C (libsodium would read
    /// 64 bytes regardless).
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: SigningPublicKey) -> Bool {
        guard (try? Sodium.ensureReady()) != nil,
            signature.count == signatureLength,
            publicKey.bytes.count == publicKeyLength
        else { return false }
        return signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { m in
                publicKey.bytes.withUnsafeBytes { pk in
                    crypto_sign_verify_detached(
                        sig.bytePointer,
                        m.bytePointer, UInt64(m.count),
                        pk.bytePointer) == 0
                }
            }
        }
    }

    /// Verifies a detached signature, throwing `invalidSignature` if it does not hold.
    public static func check(signature: [UInt8], message: [UInt8], publicKey: SigningPublicKey) throws {
        guard verify(signature: signature, message: message, publicKey: publicKey) else {
            throw KithCryptoError.invalidSignature
        }
    }
}
