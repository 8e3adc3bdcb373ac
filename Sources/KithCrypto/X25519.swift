internal import CSodium

/// An X25519 public key (for sealed boxes and key agreement): public data.
public struct BoxPublicKey: Hashable, Sendable {
    /// The 32 raw key bytes.
    public let bytes: [UInt8]

    /// Wraps raw key bytes; throws unless they are 32 bytes long.
    public init(bytes: [UInt8]) throws {
        try Sodium.ensureReady()
        try Sodium.check("X25519 public key", bytes.count, equals: X25519.publicKeyLength)
        self.bytes = bytes
    }
}

/// An X25519 key pair for `crypto_box` and `crypto_box_seal`.
public struct BoxKeyPair: ~Copyable, Sendable {
    /// The public half.
    public let publicKey: BoxPublicKey
    /// The 32-byte secret scalar.
    let secretKey: SecureBytes

    /// A fresh random key pair.
    public init() throws {
        try self.init(secretKey: SecureBytes(randomCount: X25519.secretKeyLength))
    }

    /// The key pair whose secret is `secretKey` (how keyfiles store it).
    public init(secretKey: consuming SecureBytes) throws {
        try Sodium.ensureReady()
        try Sodium.check("X25519 secret key", secretKey.count, equals: X25519.secretKeyLength)
        var publicBytes = [UInt8](repeating: 0, count: X25519.publicKeyLength)
        let status = secretKey.withUnsafeBytes { sk in
            publicBytes.withUnsafeMutableBytes { pk in
                crypto_scalarmult_base(
                    pk.bytePointer,
                    sk.bytePointer)
            }
        }
        guard status == 0 else { throw KithCryptoError.weakPublicKey }
        self.publicKey = try BoxPublicKey(bytes: publicBytes)
        self.secretKey = secretKey
    }

    /// A copy of the secret scalar (for sealing into a keyfile).
    public func secretKeyCopy() throws -> SecureBytes {
        try secretKey.duplicate()
    }
}

/// Raw X25519 (`crypto_scalarmult`).
public enum X25519 {
    /// Public key length (`crypto_box_publickeybytes`).
    public static var publicKeyLength: Int { Int(crypto_box_publickeybytes()) }
    /// Secret key length (`crypto_box_secretkeybytes`).
    public static var secretKeyLength: Int { Int(crypto_box_secretkeybytes()) }

    /// The shared point of `privateKey` and `publicKey`. Throws
    /// `weakPublicKey` when the result is all zeros (a low-order peer key).
    /// Hash the result before using it as a key.
    public static func sharedSecret(privateKey: borrowing SecureBytes, publicKey: [UInt8]) throws -> SecureBytes {
        try Sodium.ensureReady()
        try Sodium.check("X25519 private key", privateKey.count, equals: Int(crypto_scalarmult_scalarbytes()))
        try Sodium.check("X25519 public key", publicKey.count, equals: Int(crypto_scalarmult_bytes()))
        var shared = try SecureBytes(count: Int(crypto_scalarmult_bytes()))
        let status = privateKey.withUnsafeBytes { sk in
            publicKey.withUnsafeBytes { pk in
                shared.withUnsafeMutableBytes { q in
                    crypto_scalarmult(
                        q.bytePointer,
                        sk.bytePointer,
                        pk.bytePointer)
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.weakPublicKey }
        return shared
    }
}

/// Anonymous public-key encryption (`crypto_box_seal`): anyone can seal to a
/// public key; only the holder of the secret key can open. Kith seals group
/// keys to users this way.
public enum SealedBox {
    /// Bytes a sealed box adds to its message (`crypto_box_sealbytes`).
    public static var overhead: Int { Int(crypto_box_sealbytes()) }

    /// Seals a secret to `recipient`.
    public static func seal(_ message: borrowing SecureBytes, to recipient: BoxPublicKey) throws -> [UInt8] {
        try message.withUnsafeBytes { try seal(raw: $0, to: recipient) }
    }

    /// Seals public bytes to `recipient`.
    public static func seal(_ message: [UInt8], to recipient: BoxPublicKey) throws -> [UInt8] {
        try message.withUnsafeBytes { try seal(raw: $0, to: recipient) }
    }

    static func seal(raw m: UnsafeRawBufferPointer, to recipient: BoxPublicKey) throws -> [UInt8] {
        try Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: m.count + overhead)
        let status = recipient.bytes.withUnsafeBytes { pk in
            out.withUnsafeMutableBytes { c in
                crypto_box_seal(
                    c.bytePointer,
                    m.bytePointer, UInt64(m.count),
                    pk.bytePointer)
            }
        }
        guard status == 0 else { throw KithCryptoError.weakPublicKey }
        return out
    }

    /// Opens a sealed box addressed to `recipient`; throws
    /// `authenticationFailed` if it was altered or sealed to someone else.
    public static func open(_ sealed: [UInt8], with recipient: borrowing BoxKeyPair) throws -> SecureBytes {
        try Sodium.ensureReady()
        guard sealed.count >= overhead else {
            throw KithCryptoError.invalidLength(what: "sealed box", expected: "at least \(overhead)", actual: sealed.count)
        }
        var message = try SecureBytes(count: sealed.count - overhead)
        let status = recipient.secretKey.withUnsafeBytes { sk in
            recipient.publicKey.bytes.withUnsafeBytes { pk in
                sealed.withUnsafeBytes { c in
                    message.withUnsafeMutableBytes { m in
                        crypto_box_seal_open(
                            m.bytePointer,
                            c.bytePointer, UInt64(c.count),
                            pk.bytePointer,
                            sk.bytePointer)
                    }
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.authenticationFailed }
        return message
    }
}

/// Authenticated public-key encryption (`crypto_box_easy`): the recipient
/// knows which key pair sealed the message.
public enum Box {
    /// Nonce length (`crypto_box_noncebytes`).
    public static var nonceLength: Int { Int(crypto_box_noncebytes()) }
    /// Tag length (`crypto_box_macbytes`).
    public static var tagLength: Int { Int(crypto_box_macbytes()) }

    /// Encrypts from `sender` to `recipient` under a random nonce; returns `nonce || ciphertext || tag`.
    public static func seal(_ message: [UInt8], to recipient: BoxPublicKey, from sender: borrowing BoxKeyPair) throws -> [UInt8] {
        try Sodium.ensureReady()
        let nonce = try Random.bytes(nonceLength)
        var out = [UInt8](repeating: 0, count: message.count + tagLength)
        let status = sender.secretKey.withUnsafeBytes { sk in
            recipient.bytes.withUnsafeBytes { pk in
                message.withUnsafeBytes { m in
                    nonce.withUnsafeBytes { n in
                        out.withUnsafeMutableBytes { c in
                            crypto_box_easy(
                                c.bytePointer,
                                m.bytePointer, UInt64(m.count),
                                n.bytePointer,
                                pk.bytePointer,
                                sk.bytePointer)
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.weakPublicKey }
        return nonce + out
    }

    /// Opens `nonce || ciphertext || tag` sent by `sender` to `recipient`.
    public static func open(_ sealed: [UInt8], from sender: BoxPublicKey, to recipient: borrowing BoxKeyPair) throws -> SecureBytes {
        try Sodium.ensureReady()
        guard sealed.count >= nonceLength + tagLength else {
            throw KithCryptoError.invalidLength(what: "box", expected: "at least \(nonceLength + tagLength)", actual: sealed.count)
        }
        var message = try SecureBytes(count: sealed.count - nonceLength - tagLength)
        let status = recipient.secretKey.withUnsafeBytes { sk in
            sender.bytes.withUnsafeBytes { pk in
                sealed.withUnsafeBytes { all in
                    message.withUnsafeMutableBytes { m in
                        let n = all.bytePointer
                        return crypto_box_open_easy(
                            m.bytePointer,
                            n + nonceLength, UInt64(all.count - nonceLength),
                            n,
                            pk.bytePointer,
                            sk.bytePointer)
                    }
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.authenticationFailed }
        return message
    }
}
