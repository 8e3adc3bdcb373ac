/// A quick start-up check that libsodium computes what the standards say,
/// for `kith selftest` and bug reports. The full suites live in the tests.
public enum CryptoSelfTest {
    /// One check's outcome.
    public struct Result: Sendable {
        /// What was checked.
        public let name: String
        /// Whether it gave the expected answer.
        public let passed: Bool
    }

    /// Runs every check; never throws (a thrown error is a failed check).
    public static func run() -> [Result] {
        [
            check("libsodium initialises") {
                try CryptoLibrary.initialize(); return true
            },
            check("SHA-256 known answer (FIPS 180-2)") {
                try SHA256.hash(Array("abc".utf8)) == Hex.decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            },
            check("BLAKE2b known answer (RFC 7693)") {
                try BLAKE2b.hash(Array("abc".utf8), outputLength: 64) == Hex.decode("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
            },
            check("XChaCha20-Poly1305 round trip and tamper detection") {
                let key = try SecureBytes(randomCount: AEAD.xChaCha20Poly1305.keyLength)
                var sealed = try AEAD.xChaCha20Poly1305.seal(Array("kith".utf8), key: key, aad: [1])
                let opened = try AEAD.xChaCha20Poly1305.open(sealed, key: key, aad: [1]).withUnsafeBytes { Array($0) }
                sealed[sealed.count - 1] ^= 1
                let tamperedOpens = (try? AEAD.xChaCha20Poly1305.open(sealed, key: key, aad: [1])) != nil
                return opened == Array("kith".utf8) && !tamperedOpens
            },
            check("Ed25519 sign and verify") {
                let pair = try SigningKeyPair()
                let signature = try pair.sign([1, 2, 3])
                return pair.publicKey.isValidSignature(signature, for: [1, 2, 3]) && !pair.publicKey.isValidSignature(signature, for: [1, 2, 4])
            },
            check("sealed box to one recipient only") {
                let alice = try BoxKeyPair(), bob = try BoxKeyPair()
                let secret = try SecureBytes(randomCount: 32)
                let sealed = try SealedBox.seal(secret, to: alice.publicKey)
                let opened = try SealedBox.open(sealed, with: alice)
                return opened.isEqual(to: secret) && (try? SealedBox.open(sealed, with: bob)) == nil
            },
        ]
    }

    private static func check(_ name: String, _ body: () throws -> Bool) -> Result {
        Result(name: name, passed: (try? body()) ?? false)
    }
}
