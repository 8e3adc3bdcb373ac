internal import CSodium

/// An IETF ChaCha20-Poly1305 family AEAD: `xChaCha20Poly1305` (24-byte
/// nonces, safe to pick at random; what Kith uses) or `chaCha20Poly1305`
/// (12-byte nonces; kept for interoperability and test vectors).
///
/// Forms:
/// - `seal`/`open`: random nonce, output `nonce || ciphertext || tag`.
/// - `encrypt`/`decrypt`: caller's nonce, output `ciphertext || tag`.
/// - `encryptDetached`/`decryptDetached`: ciphertext and tag apart.
///
/// Plaintext comes back as `SecureBytes`; every length is checked before a
/// pointer reaches C.
public struct AEAD: Sendable {
    enum Kind: Sendable { case ietf, xietf }
    let kind: Kind

    /// XChaCha20-Poly1305 IETF (`crypto_aead_xchacha20poly1305_ietf_*`).
    public static let xChaCha20Poly1305 = AEAD(kind: .xietf)
    /// ChaCha20-Poly1305 IETF, RFC 8439 (`crypto_aead_chacha20poly1305_ietf_*`).
    public static let chaCha20Poly1305 = AEAD(kind: .ietf)

    /// Key length in bytes.
    public var keyLength: Int {
        Int(kind == .xietf ? crypto_aead_xchacha20poly1305_ietf_keybytes() : crypto_aead_chacha20poly1305_ietf_keybytes())
    }
    /// Nonce length in bytes.
    public var nonceLength: Int {
        Int(kind == .xietf ? crypto_aead_xchacha20poly1305_ietf_npubbytes() : crypto_aead_chacha20poly1305_ietf_npubbytes())
    }
    /// Authentication tag length in bytes.
    public var tagLength: Int {
        Int(kind == .xietf ? crypto_aead_xchacha20poly1305_ietf_abytes() : crypto_aead_chacha20poly1305_ietf_abytes())
    }

    private var name: String { kind == .xietf ? "XChaCha20-Poly1305" : "ChaCha20-Poly1305" }

    // MARK: Random-nonce combined form

    /// Encrypts under a fresh random nonce; returns `nonce || ciphertext || tag`.
    public func seal(_ plaintext: [UInt8], key: borrowing SecureBytes, aad: [UInt8] = []) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try seal(raw: $0, key: key, aad: aad) }
    }

    /// Encrypts secret plaintext under a fresh random nonce; returns `nonce || ciphertext || tag`.
    public func seal(_ plaintext: borrowing SecureBytes, key: borrowing SecureBytes, aad: [UInt8] = []) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try seal(raw: $0, key: key, aad: aad) }
    }

    /// Opens `nonce || ciphertext || tag` made by `seal`.
    public func open(_ sealed: [UInt8], key: borrowing SecureBytes, aad: [UInt8] = []) throws -> SecureBytes {
        guard sealed.count >= nonceLength + tagLength else {
            throw KithCryptoError.invalidLength(what: "\(name) sealed message", expected: "at least \(nonceLength + tagLength)", actual: sealed.count)
        }
        let nonce = Array(sealed[0..<nonceLength])
        return try decrypt(bytes: sealed, range: nonceLength..<sealed.count, key: key, nonce: nonce, aad: aad)
    }

    func seal(raw plaintext: UnsafeRawBufferPointer, key: borrowing SecureBytes, aad: [UInt8]) throws -> [UInt8] {
        let nonce = try Random.bytes(nonceLength)
        return try nonce + encrypt(raw: plaintext, key: key, nonce: nonce, aad: aad)
    }

    // MARK: Caller's nonce, combined ciphertext || tag

    /// Encrypts with the caller's nonce; returns `ciphertext || tag`.
    /// Never reuse a nonce with the same key.
    public func encrypt(_ plaintext: [UInt8], key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try encrypt(raw: $0, key: key, nonce: nonce, aad: aad) }
    }

    /// Encrypts secret plaintext with the caller's nonce; returns `ciphertext || tag`.
    public func encrypt(_ plaintext: borrowing SecureBytes, key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try encrypt(raw: $0, key: key, nonce: nonce, aad: aad) }
    }

    /// Decrypts `ciphertext || tag`; throws `authenticationFailed` if anything was altered.
    public func decrypt(_ ciphertextAndTag: [UInt8], key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8] = []) throws -> SecureBytes {
        try decrypt(bytes: ciphertextAndTag, range: 0..<ciphertextAndTag.count, key: key, nonce: nonce, aad: aad)
    }

    func encrypt(raw m: UnsafeRawBufferPointer, key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try checkKeyAndNonce(key.count, nonce.count)
        var out = [UInt8](repeating: 0, count: m.count + tagLength)
        var written: UInt64 = 0
        let status = key.withUnsafeBytes { k in
            nonce.withUnsafeBytes { n in
                aad.withUnsafeBytes { a in
                    out.withUnsafeMutableBytes { c in
                        let cp = c.bytePointer
                        let mp = m.bytePointer
                        let ap = a.bytePointer
                        let np = n.bytePointer
                        let kp = k.bytePointer
                        switch kind {
                        case .xietf:
                            return crypto_aead_xchacha20poly1305_ietf_encrypt(cp, &written, mp, UInt64(m.count), ap, UInt64(a.count), nil, np, kp)
                        case .ietf:
                            return crypto_aead_chacha20poly1305_ietf_encrypt(cp, &written, mp, UInt64(m.count), ap, UInt64(a.count), nil, np, kp)
                        }
                    }
                }
            }
        }
        guard status == 0, Int(written) == out.count else { throw KithCryptoError.authenticationFailed }
        return out
    }

    func decrypt(bytes: [UInt8], range: Range<Int>, key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8]) throws -> SecureBytes {
        try checkKeyAndNonce(key.count, nonce.count)
        guard range.count >= tagLength else {
            throw KithCryptoError.invalidLength(what: "\(name) ciphertext", expected: "at least \(tagLength) (the tag)", actual: range.count)
        }
        var plaintext = try SecureBytes(count: range.count - tagLength)
        var written: UInt64 = 0
        let status = key.withUnsafeBytes { k in
            nonce.withUnsafeBytes { n in
                aad.withUnsafeBytes { a in
                    plaintext.withUnsafeMutableBytes { m in
                        bytes.withUnsafeBytes { all in
                            let c = UnsafeRawBufferPointer(rebasing: all[range])
                            let mp = m.bytePointer
                            let cp = c.bytePointer
                            let ap = a.bytePointer
                            let np = n.bytePointer
                            let kp = k.bytePointer
                            switch kind {
                            case .xietf:
                                return crypto_aead_xchacha20poly1305_ietf_decrypt(mp, &written, nil, cp, UInt64(c.count), ap, UInt64(a.count), np, kp)
                            case .ietf:
                                return crypto_aead_chacha20poly1305_ietf_decrypt(mp, &written, nil, cp, UInt64(c.count), ap, UInt64(a.count), np, kp)
                            }
                        }
                    }
                }
            }
        }
        guard status == 0, Int(written) == plaintext.count else { throw KithCryptoError.authenticationFailed }
        return plaintext
    }

    // MARK: Detached

    /// Encrypts with the caller's nonce; returns the ciphertext and the tag apart.
    public func encryptDetached(_ plaintext: [UInt8], key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8] = []) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        try checkKeyAndNonce(key.count, nonce.count)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: tagLength)
        var tagWritten: UInt64 = 0
        let status = key.withUnsafeBytes { k in
            nonce.withUnsafeBytes { n in
                aad.withUnsafeBytes { a in
                    plaintext.withUnsafeBytes { m in
                        ciphertext.withUnsafeMutableBytes { c in
                            tag.withUnsafeMutableBytes { t in
                                let cp = c.bytePointer
                                let tp = t.bytePointer
                                let mp = m.bytePointer
                                let ap = a.bytePointer
                                let np = n.bytePointer
                                let kp = k.bytePointer
                                switch kind {
                                case .xietf:
                                    return crypto_aead_xchacha20poly1305_ietf_encrypt_detached(cp, tp, &tagWritten, mp, UInt64(m.count), ap, UInt64(a.count), nil, np, kp)
                                case .ietf:
                                    return crypto_aead_chacha20poly1305_ietf_encrypt_detached(cp, tp, &tagWritten, mp, UInt64(m.count), ap, UInt64(a.count), nil, np, kp)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.authenticationFailed }
        return (ciphertext, tag)
    }

    /// Decrypts a detached ciphertext and tag; throws `authenticationFailed` if anything was altered.
    public func decryptDetached(_ ciphertext: [UInt8], tag: [UInt8], key: borrowing SecureBytes, nonce: [UInt8], aad: [UInt8] = []) throws -> SecureBytes {
        try checkKeyAndNonce(key.count, nonce.count)
        try Sodium.check("\(name) tag", tag.count, equals: tagLength)
        var plaintext = try SecureBytes(count: ciphertext.count)
        let status = key.withUnsafeBytes { k in
            nonce.withUnsafeBytes { n in
                aad.withUnsafeBytes { a in
                    ciphertext.withUnsafeBytes { c in
                        tag.withUnsafeBytes { t in
                            plaintext.withUnsafeMutableBytes { m in
                                let mp = m.bytePointer
                                let cp = c.bytePointer
                                let tp = t.bytePointer
                                let ap = a.bytePointer
                                let np = n.bytePointer
                                let kp = k.bytePointer
                                switch kind {
                                case .xietf:
                                    return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(mp, nil, cp, UInt64(c.count), tp, ap, UInt64(a.count), np, kp)
                                case .ietf:
                                    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(mp, nil, cp, UInt64(c.count), tp, ap, UInt64(a.count), np, kp)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.authenticationFailed }
        return plaintext
    }

    private func checkKeyAndNonce(_ keyCount: Int, _ nonceCount: Int) throws {
        try Sodium.ensureReady()
        try Sodium.check("\(name) key", keyCount, equals: keyLength)
        try Sodium.check("\(name) nonce", nonceCount, equals: nonceLength)
    }
}
