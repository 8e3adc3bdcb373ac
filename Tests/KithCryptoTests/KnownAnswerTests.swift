import KithCrypto
import Testing

@Suite("Known answers")
struct KnownAnswerTests {
    // FIPS 180-2 appendix B, plus the empty string.
    @Test(
        "SHA-256",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ])
    func sha256(input: String, digest: String) {
        #expect(SHA256.hash(Array(input.utf8)) == hex(digest))
    }

    @Test("SHA-256 incremental equals one-shot, one million 'a'")
    func sha256Incremental() {
        var hasher = SHA256Hasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalize() == hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"))
    }

    // RFC 7693 appendix A.
    @Test("BLAKE2b-512 of abc")
    func blake2bABC() throws {
        let expected = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        #expect(try BLAKE2b.hash(Array("abc".utf8), outputLength: 64) == hex(expected))
    }

    // blake2b-kat.txt, first keyed entry: key 00..3f, empty input.
    @Test("BLAKE2b keyed, empty input")
    func blake2bKeyed() throws {
        let key = try secureKey(Hex.encode(0..<64))
        let expected = "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"
        #expect(try BLAKE2b.hash([], key: key, outputLength: 64) == hex(expected))
    }

    // CPython hashlib.blake2b(b"kith", digest_size=32, [key=bytes(range(32)),] person=b"kith-test").
    @Test("BLAKE2b with personalisation")
    func blake2bPersonal() throws {
        let key = try secureKey(Hex.encode(0..<32))
        #expect(
            try BLAKE2b.hash(Array("kith".utf8), personal: Array("kith-test".utf8))
                == hex("d077cea0b769ffe5be9cd458d0b96da476414f8f5b59a499d0a661c92ffbb1cb"))
        #expect(
            try BLAKE2b.hash(Array("kith".utf8), key: key, personal: Array("kith-test".utf8))
                == hex("ea8ce4d7f9de417ea8cb71fa0835952e9a48b6d6ed2618e1f49f3ed2a9e23dbc"))
    }

    @Test("BLAKE2b rejects bad lengths")
    func blake2bLengths() throws {
        #expect(throws: KithCryptoError.self) { _ = try BLAKE2b.hash([], outputLength: 15) }
        #expect(throws: KithCryptoError.self) { _ = try BLAKE2b.hash([], outputLength: 65) }
        #expect(throws: KithCryptoError.self) { _ = try BLAKE2b.hash([], personal: [UInt8](repeating: 1, count: 17)) }
        let shortKey = try SecureBytes(count: 15)
        #expect(throws: KithCryptoError.self) { _ = try BLAKE2b.hash([], key: shortKey) }
    }

    // libsodium test/default/kdf.exp: master key 00..1f, context "KDF test".
    @Test(
        "crypto_kdf",
        arguments: [
            (UInt64(0), 64, "a0c724404728c8bb95e5433eb6a9716171144d61efb23e74b873fcbeda51d8071b5d70aae12066dfc94ce943f145aa176c055040c3dd73b0a15e36254d450614"),
            (UInt64(1), 64, "02507f144fa9bf19010bf7c70b235b4c2663cc00e074f929602a5e2c10a780757d2a3993d06debc378a90efdac196dd841817b977d67b786804f6d3cd585bab5"),
            (UInt64(16), 16, "a529216624ef9161e4cf117272aafff2"),
            (UInt64(32), 32, "154b291f11196737f8b7f491e4ca11764e0227d34f94295408a869f007aa8618"),
        ])
    func kdf(id: UInt64, length: Int, expected: String) throws {
        let master = try secureKey(Hex.encode(0..<32))
        let subkey = try KeyDerivation.deriveSubkey(from: master, id: id, context: "KDF test", length: length)
        #expect(bytes(subkey) == hex(expected))
    }

    @Test("crypto_kdf rejects bad contexts and lengths")
    func kdfErrors() throws {
        let master = try SecureBytes(randomCount: 32)
        #expect(throws: KithCryptoError.self) { _ = try KeyDerivation.deriveSubkey(from: master, id: 0, context: "short") }
        #expect(throws: KithCryptoError.self) { _ = try KeyDerivation.deriveSubkey(from: master, id: 0, context: "KDF test", length: 15) }
        #expect(throws: KithCryptoError.self) { _ = try KeyDerivation.deriveSubkey(from: master, id: 0, context: "KDF test", length: 65) }
        let shortMaster = try SecureBytes(count: 16)
        #expect(throws: KithCryptoError.self) { _ = try KeyDerivation.deriveSubkey(from: shortMaster, id: 0, context: "KDF test") }
    }

    // libsodium test/default/pwhash_argon2id.exp, tv() cases 0 and 4 (the C
    // test reads only the first 16 bytes of each salt).
    @Test(
        "Argon2id",
        arguments: [
            (
                "a347ae92bce9f80f6f595a4480fc9c2fe7e7d7148d371e9487d75f5c23008ffae065577a928febd9b1973a5a95073acdbeb6a030cfc0d79caa2dc5cd011cef02c08da232d76d52dfbca38ca8dcbd665b17d1665f7cf5fe59772ec909733b24de97d6f58d220b20c60d7c07ec1fd93c52c31020300c6c1facd77937a597c7a6",
                "5541fbc995d5c197ba290346d2c559de", 155, UInt64(5), UInt64(7256678),
                "18acec5d6507739f203d1f5d9f1d862f7c2cdac4f19d2bdff64487e60d969e3ced615337b9eec6ac4461c6ca07f0939741e57c24d0005c7ea171a0ee1e7348249d135b38f222e4dad7b9a033ed83f5ca27277393e316582033c74affe2566a2bea47f91f0fd9fe49ece7e1f79f3ad6e9b23e0277c8ecc4b313225748dd2a80f5679534a0700e246a79a49b3f74eb89ec6205fe1eeb941c73b1fcf1"
            ),
            (
                "4a857e2ee8aa9b6056f2424e84d24a72473378906ee04a46cb05311502d5250b82ad86b83c8f20a23dbb74f6da60b0b6ecffd67134d45946ac8ebfb3064294bc097d43ced68642bfb8bbbdd0f50b30118f5e",
                "39d82eef32010b8b79cc5ba88ed539fb", 190, UInt64(3), UInt64(1432947),
                "08d8cd330c57e1b4643241d05bb468ba4ee4e932cd0858816be9ef15360b27bbd06a87130ee92222be267a29b81f5ae8fe8613324cfc4832dc49387fd0602f1c57b4d0f3855db94fb7e12eb05f9a484aed4a4307abf586cd3d55c809bc081541e00b682772fb2066504ff935b8ebc551a2083882f874bc0fae68e56848ae34c91097c3bf0cca8e75c0797eef3efde3f75e005815018db3cf7c109a812264c4de69dcb22322dbbcfa447f5b00ecd1b04a7be1569c8e556adb7bba48adf81d"
            ),
        ])
    func argon2id(passwordHex: String, saltHex: String, length: Int, ops: UInt64, mem: UInt64, expected: String) throws {
        let passphrase = try secureKey(passwordHex)
        let parameters = try Argon2idParameters(opsLimit: ops, memLimit: mem)
        let key = try Argon2id.deriveKey(length: length, passphrase: passphrase, salt: hex(saltHex), parameters: parameters)
        #expect(bytes(key) == hex(expected))
    }

    @Test("Argon2id profiles and parameter bounds")
    func argon2idProfiles() throws {
        let interactive = try Argon2idProfile.interactive.parameters
        let moderate = try Argon2idProfile.moderate.parameters
        let sensitive = try Argon2idProfile.sensitive.parameters
        #expect(interactive.memLimit == 64 << 20 && interactive.opsLimit == 2)
        #expect(moderate.memLimit == 256 << 20 && moderate.opsLimit == 3)
        #expect(sensitive.memLimit == 1 << 30 && sensitive.opsLimit == 4)
        #expect(throws: KithCryptoError.self) { _ = try Argon2idParameters(opsLimit: 0, memLimit: 1 << 20) }
        #expect(throws: KithCryptoError.self) { _ = try Argon2idParameters(opsLimit: 3, memLimit: 1 << 40) }
        #expect(throws: KithCryptoError.self) { _ = try Argon2idParameters(opsLimit: 1000, memLimit: 1 << 20) }
        let passphrase = try SecureBytes(count: 0)
        let cheap = try Argon2idParameters(opsLimit: 1, memLimit: 8192)
        #expect(throws: KithCryptoError.self) { _ = try Argon2id.deriveKey(length: 32, passphrase: passphrase, salt: [1, 2, 3], parameters: cheap) }
        #expect(throws: KithCryptoError.self) { _ = try Argon2id.deriveKey(length: 8, passphrase: passphrase, salt: [UInt8](repeating: 0, count: 16), parameters: cheap) }
        // An empty passphrase is legal input for the primitive (policy lives above it).
        let key = try Argon2id.deriveKey(length: 32, passphrase: passphrase, salt: [UInt8](repeating: 0, count: 16), parameters: cheap)
        do { let ok = try key.count == 32; #expect(ok) }
    }
}
