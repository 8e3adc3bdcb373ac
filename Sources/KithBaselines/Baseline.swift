internal import CSodium
import KithCrypto

/// Raw libsodium loops for `kith-bench` baselines: the most the library can
/// do on the same counts and sizes, with no guarded allocation, no
/// encoding and no storage. Keys here are random throwaways made inside
/// each call; nothing secret goes in or comes out, only seconds.
public enum Baseline {
    static func seconds(_ body: () -> Void) -> Double {
        let elapsed = ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func random(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.bytePointer, $0.count) }
        return bytes
    }

    /// Seconds for `count` rounds of XChaCha20-Poly1305: each opens a
    /// message of each length in `lengths` under one key and seals it again
    /// under another, with a fresh nonce and 80 bytes of associated data.
    public static func aeadOpenSeal(count: Int, lengths: [Int]) throws -> Double {
        try Sodium.ensureReady()
        let keyA = random(32), keyB = random(32), aad = random(80), nonce = random(24)
        let abytes = Int(crypto_aead_xchacha20poly1305_ietf_abytes())
        let sealed: [[UInt8]] = lengths.map { length in
            let plain = random(length)
            var out = [UInt8](repeating: 0, count: length + abytes)
            var outLength: UInt64 = 0
            crypto_aead_xchacha20poly1305_ietf_encrypt(&out, &outLength, plain, UInt64(length), aad, UInt64(aad.count), nil, nonce, keyA)
            return out
        }
        var plain = [UInt8](repeating: 0, count: (lengths.max() ?? 0) + abytes)
        var out = [UInt8](repeating: 0, count: (lengths.max() ?? 0) + abytes)
        var freshNonce = nonce
        var failures = 0
        let time = seconds {
            for _ in 0..<count {
                for message in sealed {
                    var plainLength: UInt64 = 0, outLength: UInt64 = 0
                    if crypto_aead_xchacha20poly1305_ietf_decrypt(&plain, &plainLength, nil, message, UInt64(message.count), aad, UInt64(aad.count), nonce, keyA) != 0 {
                        failures += 1
                    }
                    randombytes_buf(&freshNonce, freshNonce.count)
                    crypto_aead_xchacha20poly1305_ietf_encrypt(&out, &outLength, plain, plainLength, aad, UInt64(aad.count), nil, freshNonce, keyB)
                }
            }
        }
        guard failures == 0 else { throw KithCryptoError.authenticationFailed }
        return time
    }

    /// Seconds for `count` `crypto_box_seal` calls of a 32-byte key, each to
    /// its own recipient.
    public static func sealedBoxSeals(count: Int) throws -> Double {
        try Sodium.ensureReady()
        let publicLength = Int(crypto_box_publickeybytes()), secretLength = Int(crypto_box_secretkeybytes())
        let recipients: [[UInt8]] = (0..<count).map { _ in
            var publicKey = [UInt8](repeating: 0, count: publicLength), secretKey = [UInt8](repeating: 0, count: secretLength)
            crypto_box_keypair(&publicKey, &secretKey)
            return publicKey
        }
        let key = random(32)
        var out = [UInt8](repeating: 0, count: 32 + Int(crypto_box_sealbytes()))
        return seconds {
            for recipient in recipients { crypto_box_seal(&out, key, 32, recipient) }
        }
    }

    /// Seconds for `count` single-threaded `crypto_sign_verify_detached`
    /// calls on messages of `messageLength` bytes (one signature per message).
    public static func ed25519Verifies(count: Int, messageLength: Int) throws -> Double {
        try Sodium.ensureReady()
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_publickeybytes()))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_secretkeybytes()))
        crypto_sign_keypair(&publicKey, &secretKey)
        defer { sodium_memzero(&secretKey, secretKey.count) }
        let distinct = 64
        let messages = (0..<distinct).map { _ in random(messageLength) }
        let signatures: [[UInt8]] = messages.map { message in
            var signature = [UInt8](repeating: 0, count: Int(crypto_sign_bytes()))
            crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
            return signature
        }
        var failures = 0
        let time = seconds {
            for index in 0..<count {
                let message = messages[index % distinct]
                if crypto_sign_verify_detached(signatures[index % distinct], message, UInt64(message.count), publicKey) != 0 { failures += 1 }
            }
        }
        guard failures == 0 else { throw KithCryptoError.invalidSignature }
        return time
    }

    /// Seconds for `count` single-threaded SHA-256 hashes of a Merkle
    /// node's input (0x01 || 32-byte left || 32-byte right).
    public static func sha256Nodes(count: Int) throws -> Double {
        try Sodium.ensureReady()
        var node = random(65)
        node[0] = 1
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_bytes()))
        return seconds {
            for _ in 0..<count {
                crypto_hash_sha256(&out, node, 65)
                // Chain the output in, so the work cannot be skipped.
                node[1] = out[0]
            }
        }
    }

    /// Seconds for `count` rounds of XChaCha20-Poly1305 decryption: each
    /// opens one message of each length in `lengths` (plaintext lengths),
    /// with 80 bytes of associated data.
    public static func aeadOpens(count: Int, lengths: [Int]) throws -> Double {
        try Sodium.ensureReady()
        let key = random(32), aad = random(80), nonce = random(24)
        let abytes = Int(crypto_aead_xchacha20poly1305_ietf_abytes())
        let sealed: [[UInt8]] = lengths.map { length in
            let plain = random(length)
            var out = [UInt8](repeating: 0, count: length + abytes)
            var outLength: UInt64 = 0
            crypto_aead_xchacha20poly1305_ietf_encrypt(&out, &outLength, plain, UInt64(length), aad, UInt64(aad.count), nil, nonce, key)
            return out
        }
        var plain = [UInt8](repeating: 0, count: (lengths.max() ?? 0) + abytes)
        var failures = 0
        let time = seconds {
            for _ in 0..<count {
                for message in sealed {
                    var plainLength: UInt64 = 0
                    if crypto_aead_xchacha20poly1305_ietf_decrypt(&plain, &plainLength, nil, message, UInt64(message.count), aad, UInt64(aad.count), nonce, key) != 0 {
                        failures += 1
                    }
                }
            }
        }
        guard failures == 0 else { throw KithCryptoError.authenticationFailed }
        return time
    }
}
