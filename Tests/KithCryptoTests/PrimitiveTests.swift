import KithCrypto
import Testing

@Suite("Secure memory")
struct SecureBytesTests {
    @Test("zeroed on allocation, random when asked, compared in constant time")
    func basics() throws {
        let zeros = try SecureBytes(count: 32)
        #expect(bytes(zeros) == [UInt8](repeating: 0, count: 32))
        let a = try SecureBytes(randomCount: 32)
        let b = try SecureBytes(randomCount: 32)
        do { let ok = try !a.isEqual(to: b); #expect(ok) }
        do { let ok = try a.isEqual(to: a.duplicate()); #expect(ok) }
        do { let ok = try !a.isEqual(to: a.copy(range: 0..<31)); #expect(ok) }
        let empty = try SecureBytes(count: 0)
        do { let ok = try empty.count == 0 && empty.isEqual(to: SecureBytes(count: 0)); #expect(ok) }
        #expect(throws: KithCryptoError.self) { _ = try SecureBytes(count: -1) }
        #expect(throws: KithCryptoError.self) { _ = try a.copy(range: 0..<33) }
    }

    @Test("wiping: the source array is zeroed after the move")
    func wiping() throws {
        var source: [UInt8] = [1, 2, 3, 4]
        let secret = try SecureBytes(wiping: &source)
        #expect(source == [0, 0, 0, 0])
        #expect(bytes(secret) == [1, 2, 3, 4])
    }
}

@Suite("Signatures and public-key boxes")
struct PublicKeyTests {
    @Test("Ed25519 sign/verify, seed round trip, tampering and bad lengths")
    func ed25519() throws {
        let pair = try SigningKeyPair()
        let message = Array("record v1".utf8)
        let signature = try pair.sign(message)
        #expect(signature.count == Ed25519.signatureLength)
        #expect(pair.publicKey.isValidSignature(signature, for: message))
        #expect(!pair.publicKey.isValidSignature(signature, for: Array("record v2".utf8)))
        var altered = signature
        altered[10] ^= 1
        #expect(!pair.publicKey.isValidSignature(altered, for: message))
        // Short and long signatures are refused without calling C.
        #expect(!pair.publicKey.isValidSignature(Array(signature.prefix(63)), for: message))
        #expect(!pair.publicKey.isValidSignature(signature + [0], for: message))
        #expect(throws: KithCryptoError.invalidSignature) { _ = try Ed25519.check(signature: [], message: message, publicKey: pair.publicKey) }
        let restored = try SigningKeyPair(seed: pair.seed())
        #expect(restored.publicKey == pair.publicKey)
        #expect(throws: KithCryptoError.self) { _ = try SigningPublicKey(bytes: [1, 2, 3]) }
        #expect(throws: KithCryptoError.self) { _ = try SigningKeyPair(seed: SecureBytes(count: 31)) }
    }

    @Test("sealed boxes open only for their recipient")
    func sealedBox() throws {
        let alice = try BoxKeyPair()
        let mallory = try BoxKeyPair()
        let groupKey = try SecureBytes(randomCount: 32)
        let sealed = try SealedBox.seal(groupKey, to: alice.publicKey)
        #expect(sealed.count == 32 + SealedBox.overhead)
        do { let ok = try SealedBox.open(sealed, with: alice).isEqual(to: groupKey); #expect(ok) }
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try SealedBox.open(sealed, with: mallory) }
        var altered = sealed
        altered[altered.count - 1] ^= 0x80
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try SealedBox.open(altered, with: alice) }
        #expect(throws: KithCryptoError.self) { _ = try SealedBox.open(Array(sealed.prefix(10)), with: alice) }
        let restored = try BoxKeyPair(secretKey: alice.secretKeyCopy())
        #expect(restored.publicKey == alice.publicKey)
    }

    @Test("authenticated boxes bind sender and recipient")
    func box() throws {
        let alice = try BoxKeyPair(), bob = try BoxKeyPair(), eve = try BoxKeyPair()
        let sealed = try Box.seal(Array("hi bob".utf8), to: bob.publicKey, from: alice)
        #expect(bytes(try Box.open(sealed, from: alice.publicKey, to: bob)) == Array("hi bob".utf8))
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try Box.open(sealed, from: eve.publicKey, to: bob) }
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try Box.open(sealed, from: alice.publicKey, to: eve) }
        #expect(throws: KithCryptoError.self) { _ = try Box.open([1, 2, 3], from: alice.publicKey, to: bob) }
    }

    @Test("X25519 agreement is symmetric; a low-order point is refused")
    func x25519() throws {
        let a = try SecureBytes(randomCount: 32), b = try SecureBytes(randomCount: 32)
        let pa = try BoxKeyPair(secretKey: a.duplicate()).publicKey
        let pb = try BoxKeyPair(secretKey: b.duplicate()).publicKey
        do { let ok = try X25519.sharedSecret(privateKey: a, publicKey: pb.bytes).isEqual(to: X25519.sharedSecret(privateKey: b, publicKey: pa.bytes)); #expect(ok) }
        #expect(throws: KithCryptoError.weakPublicKey) { _ = try X25519.sharedSecret(privateKey: a, publicKey: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: KithCryptoError.self) { _ = try X25519.sharedSecret(privateKey: a, publicKey: [9]) }
    }
}

@Suite("Padding")
struct PaddingTests {
    @Test("pad/unpad round trip and edge cases", arguments: [0, 1, 15, 16, 17, 255, 256])
    func roundTrip(length: Int) throws {
        let data = try SecureBytes(randomCount: length)
        let padded = try Padding.pad(data, blockSize: 16)
        // Padding always adds at least one byte: an exact block grows by a block.
        do { let ok = try padded.count == Padding.paddedLength(length, blockSize: 16); #expect(ok) }
        do { let ok = try padded.count % 16 == 0 && padded.count > length; #expect(ok) }
        do { let ok = try Padding.unpad(padded, blockSize: 16).isEqual(to: data); #expect(ok) }
    }

    @Test("invalid padding is refused")
    func invalid() throws {
        #expect(throws: KithCryptoError.invalidPadding) { _ = try Padding.unpad(SecureBytes(count: 16), blockSize: 16) }
        #expect(throws: KithCryptoError.invalidPadding) { _ = try Padding.unpad(SecureBytes(count: 0), blockSize: 16) }
        #expect(throws: KithCryptoError.invalidPadding) { _ = try Padding.unpad(SecureBytes(count: 15), blockSize: 16) }
        #expect(throws: KithCryptoError.self) { _ = try Padding.pad(SecureBytes(count: 3), blockSize: 0) }
    }
}

@Suite("Secret streams")
struct SecretStreamTests {
    private func makeStream(_ chunks: [[UInt8]], key: borrowing SecureBytes) throws -> (header: [UInt8], chunks: [[UInt8]]) {
        var pusher = try SecretStreamPusher(key: key)
        var out: [[UInt8]] = []
        for (index, chunk) in chunks.enumerated() {
            out.append(try pusher.push(chunk, final: index == chunks.count - 1))
        }
        return (pusher.header, out)
    }

    @Test("round trip")
    func roundTrip() throws {
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        let plain: [[UInt8]] = [Array("one".utf8), [], Array("three".utf8)]
        let stream = try makeStream(plain, key: key)
        var puller = try SecretStreamPuller(key: key, header: stream.header)
        for (index, chunk) in stream.chunks.enumerated() {
            #expect(bytes(try puller.pull(chunk)) == plain[index])
        }
        try puller.finish()
        do { let ok = try puller.isFinished; #expect(ok) }
    }

    @Test("a stream cut before its final chunk is an error")
    func truncated() throws {
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        let stream = try makeStream([[1], [2], [3]], key: key)
        var puller = try SecretStreamPuller(key: key, header: stream.header)
        _ = try puller.pull(stream.chunks[0])
        _ = try puller.pull(stream.chunks[1])
        #expect(throws: KithCryptoError.streamTruncated) { _ = try puller.finish() }
    }

    @Test("reordered, dropped, altered and extra chunks are errors")
    func reordering() throws {
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        let stream = try makeStream([[1], [2], [3]], key: key)
        var reordered = try SecretStreamPuller(key: key, header: stream.header)
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try reordered.pull(stream.chunks[1]) }
        var dropped = try SecretStreamPuller(key: key, header: stream.header)
        _ = try dropped.pull(stream.chunks[0])
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try dropped.pull(stream.chunks[2]) }
        var altered = try SecretStreamPuller(key: key, header: stream.header)
        var bad = stream.chunks[0]
        bad[bad.count - 1] ^= 1
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try altered.pull(bad) }
        var extra = try SecretStreamPuller(key: key, header: stream.header)
        for chunk in stream.chunks { _ = try extra.pull(chunk) }
        #expect(throws: KithCryptoError.streamAlreadyFinished) { _ = try extra.pull(stream.chunks[2]) }
        let otherKey = try SecureBytes(randomCount: SecretStream.keyLength)
        var foreign = try SecretStreamPuller(key: otherKey, header: stream.header)
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try foreign.pull(stream.chunks[0]) }
        #expect(throws: KithCryptoError.self) { _ = try SecretStreamPuller(key: key, header: [1, 2]) }
    }

    @Test("nothing can be pushed after the final chunk")
    func pushAfterFinal() throws {
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        var pusher = try SecretStreamPusher(key: key)
        _ = try pusher.push([1], final: true)
        #expect(throws: KithCryptoError.streamAlreadyFinished) { _ = try pusher.push([2], final: false) }
    }
}

@Suite("Hex")
struct HexTests {
    @Test("round trip and errors")
    func hexCodec() throws {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(try Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(throws: KithCryptoError.self) { _ = try Hex.decode("abc") }
        #expect(throws: KithCryptoError.self) { _ = try Hex.decode("zz") }
    }
}
