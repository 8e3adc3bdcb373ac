import KithCrypto
import Testing

@Suite("AEAD behaviour")
struct AEADTests {
    static let both: [AEADChoice] = [.x, .ietf]
    enum AEADChoice: Sendable, CustomStringConvertible {
        case x, ietf
        var aead: AEAD { self == .x ? .xChaCha20Poly1305 : .chaCha20Poly1305 }
        var description: String { self == .x ? "XChaCha20-Poly1305" : "ChaCha20-Poly1305" }
    }

    @Test("seal/open round trip, empty and non-empty", arguments: both, [0, 1, 1024])
    func roundTrip(choice: AEADChoice, length: Int) throws {
        let aead = choice.aead
        let key = try SecureBytes(randomCount: aead.keyLength)
        let message = try Random.bytes(length)
        let sealed = try aead.seal(message, key: key, aad: Array("context".utf8))
        #expect(sealed.count == aead.nonceLength + length + aead.tagLength)
        #expect(bytes(try aead.open(sealed, key: key, aad: Array("context".utf8))) == message)
        // Two seals of the same message differ (fresh nonce).
        #expect(try aead.seal(message, key: key) != aead.seal(message, key: key))
    }

    @Test("wrong key, wrong AAD and wrong nonce fail", arguments: both)
    func wrongInputs(choice: AEADChoice) throws {
        let aead = choice.aead
        let key = try SecureBytes(randomCount: aead.keyLength)
        let other = try SecureBytes(randomCount: aead.keyLength)
        let nonce = try Random.bytes(aead.nonceLength)
        let ct = try aead.encrypt(Array("note".utf8), key: key, nonce: nonce, aad: [1])
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try aead.decrypt(ct, key: other, nonce: nonce, aad: [1]) }
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try aead.decrypt(ct, key: key, nonce: nonce, aad: [2]) }
        #expect(throws: KithCryptoError.authenticationFailed) { _ = try aead.decrypt(ct, key: key, nonce: Random.bytes(aead.nonceLength), aad: [1]) }
    }

    @Test("every flipped bit of a short ciphertext is detected", arguments: both)
    func bitFlips(choice: AEADChoice) throws {
        let aead = choice.aead
        let key = try SecureBytes(randomCount: aead.keyLength)
        let sealed = try aead.seal(Array("short".utf8), key: key)
        var detected = 0
        for index in sealed.indices {
            for bit in 0..<8 {
                var altered = sealed
                altered[index] ^= UInt8(1 << bit)
                #expect(throws: KithCryptoError.authenticationFailed) { _ = try aead.open(altered, key: key) }
                detected += 1
            }
        }
        #expect(detected == sealed.count * 8)
    }

    @Test("truncation is detected at every length", arguments: both)
    func truncation(choice: AEADChoice) throws {
        let aead = choice.aead
        let key = try SecureBytes(randomCount: aead.keyLength)
        let sealed = try aead.seal(Array("truncate me".utf8), key: key)
        for length in 0..<sealed.count {
            #expect(throws: KithCryptoError.self) { _ = try aead.open(Array(sealed.prefix(length)), key: key) }
        }
    }

    @Test("wrong key and nonce sizes are refused before C", arguments: both)
    func sizes(choice: AEADChoice) throws {
        let aead = choice.aead
        let key = try SecureBytes(randomCount: aead.keyLength)
        let shortKey = try SecureBytes(randomCount: aead.keyLength - 1)
        for nonceLength in [0, aead.nonceLength - 1, aead.nonceLength + 1] {
            #expect(throws: KithCryptoError.self) { _ = try aead.encrypt([1], key: key, nonce: [UInt8](repeating: 0, count: nonceLength)) }
            #expect(throws: KithCryptoError.self) { _ = try aead.decryptDetached([1], tag: [UInt8](repeating: 0, count: aead.tagLength), key: key, nonce: [UInt8](repeating: 0, count: nonceLength)) }
        }
        #expect(throws: KithCryptoError.self) { _ = try aead.encrypt([1], key: shortKey, nonce: [UInt8](repeating: 0, count: aead.nonceLength)) }
        #expect(throws: KithCryptoError.self) { _ = try aead.decryptDetached([1], tag: [1, 2], key: key, nonce: [UInt8](repeating: 0, count: aead.nonceLength)) }
    }

    @Test("secret plaintext seals like public plaintext")
    func secretPlaintext() throws {
        let aead = AEAD.xChaCha20Poly1305
        let key = try SecureBytes(randomCount: 32)
        let secret = try SecureBytes(randomCount: 32)
        let nonce = try Random.bytes(aead.nonceLength)
        let fromSecret = try aead.encrypt(secret, key: key, nonce: nonce)
        #expect(fromSecret == (try aead.encrypt(bytes(secret), key: key, nonce: nonce)))
        do { let ok = try aead.decrypt(fromSecret, key: key, nonce: nonce).isEqual(to: secret); #expect(ok) }
    }
}
