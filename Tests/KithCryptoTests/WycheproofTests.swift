import Foundation
import KithCrypto
import Testing

// Runs every Project Wycheproof case for the four primitives Kith relies on
// through the Swift wrappers (never straight to C), in the spirit of
// swift-crypto's Wycheproof runner: one decoder per schema, one expectation
// per case, and a count so a silently skipped file fails the suite.

private struct WycheproofFile<Group: Decodable>: Decodable {
    let algorithm: String
    let numberOfTests: Int
    let testGroups: [Group]
}

private struct AEADGroup: Decodable {
    struct Case: Decodable {
        let tcId: Int
        let key, iv, aad, msg, ct, tag: String
        let result: String
        let flags: [String]
    }
    let tests: [Case]
}

private struct XDHGroup: Decodable {
    struct Case: Decodable {
        let tcId: Int
        let `public`, `private`, shared: String
        let result: String
        let flags: [String]
    }
    let tests: [Case]
}

private struct EdDSAGroup: Decodable {
    struct PublicKey: Decodable { let pk: String }
    struct Case: Decodable {
        let tcId: Int
        let msg, sig: String
        let result: String
    }
    let publicKey: PublicKey
    let tests: [Case]
}

private func load<G: Decodable>(_ name: String, as: G.Type) throws -> WycheproofFile<G> {
    try JSONDecoder().decode(WycheproofFile<G>.self, from: vectorData(name))
}

@Suite("Project Wycheproof")
struct WycheproofTests {
    enum AEADFile: String, CaseIterable, Sendable {
        case chacha = "chacha20_poly1305_test.json"
        case xchacha = "xchacha20_poly1305_test.json"
        var aead: AEAD { self == .chacha ? .chaCha20Poly1305 : .xChaCha20Poly1305 }
    }

    @Test("AEAD vectors", arguments: AEADFile.allCases)
    func aead(file: AEADFile) throws {
        let vectors = try load(file.rawValue, as: AEADGroup.self)
        let aead = file.aead
        var ran = 0
        for test in vectors.testGroups.flatMap(\.tests) {
            ran += 1
            let key = try secureKey(test.key)
            let nonce = hex(test.iv), aad = hex(test.aad), msg = hex(test.msg)
            let ct = hex(test.ct), tag = hex(test.tag)
            if nonce.count != aead.nonceLength {
                // Wrong nonce sizes must be refused before C is reached.
                #expect(test.result == "invalid", "tcId \(test.tcId)")
                #expect(throws: KithCryptoError.self, "tcId \(test.tcId)") {
                    _ = try aead.decryptDetached(ct, tag: tag, key: key, nonce: nonce, aad: aad)
                }
                #expect(throws: KithCryptoError.self, "tcId \(test.tcId)") {
                    _ = try aead.encrypt(msg, key: key, nonce: nonce, aad: aad)
                }
                continue
            }
            switch test.result {
            case "valid":
                #expect(try aead.encrypt(msg, key: key, nonce: nonce, aad: aad) == ct + tag, "tcId \(test.tcId)")
                let detached = try aead.encryptDetached(msg, key: key, nonce: nonce, aad: aad)
                #expect(detached.ciphertext == ct && detached.tag == tag, "tcId \(test.tcId)")
                #expect(bytes(try aead.decrypt(ct + tag, key: key, nonce: nonce, aad: aad)) == msg, "tcId \(test.tcId)")
                #expect(bytes(try aead.decryptDetached(ct, tag: tag, key: key, nonce: nonce, aad: aad)) == msg, "tcId \(test.tcId)")
            default:
                #expect(throws: KithCryptoError.authenticationFailed, "tcId \(test.tcId)") {
                    _ = try aead.decrypt(ct + tag, key: key, nonce: nonce, aad: aad)
                }
                #expect(throws: KithCryptoError.authenticationFailed, "tcId \(test.tcId)") {
                    _ = try aead.decryptDetached(ct, tag: tag, key: key, nonce: nonce, aad: aad)
                }
            }
        }
        #expect(ran == vectors.numberOfTests)
    }

    @Test("X25519 vectors")
    func x25519() throws {
        let vectors = try load("x25519_test.json", as: XDHGroup.self)
        var ran = 0
        for test in vectors.testGroups.flatMap(\.tests) {
            ran += 1
            let privateKey = try secureKey(test.private)
            if test.flags.contains("ZeroSharedSecret") {
                // libsodium 1.0.18 refuses an all-zero result: the correct outcome.
                #expect(test.result == "acceptable", "tcId \(test.tcId)")
                #expect(throws: KithCryptoError.weakPublicKey, "tcId \(test.tcId)") {
                    _ = try X25519.sharedSecret(privateKey: privateKey, publicKey: hex(test.public))
                }
            } else {
                let shared = try X25519.sharedSecret(privateKey: privateKey, publicKey: hex(test.public))
                #expect(bytes(shared) == hex(test.shared), "tcId \(test.tcId)")
            }
        }
        #expect(ran == vectors.numberOfTests)
    }

    @Test("Ed25519 vectors")
    func ed25519() throws {
        let vectors = try load("ed25519_test.json", as: EdDSAGroup.self)
        var ran = 0
        for group in vectors.testGroups {
            let key = try SigningPublicKey(bytes: hex(group.publicKey.pk))
            for test in group.tests {
                ran += 1
                let valid = Ed25519.verify(signature: hex(test.sig), message: hex(test.msg), publicKey: key)
                #expect(valid == (test.result == "valid"), "tcId \(test.tcId)")
            }
        }
        #expect(ran == vectors.numberOfTests)
    }

    @Test("the suite covers 1,309 cases")
    func caseCount() throws {
        let counts = try [
            load("chacha20_poly1305_test.json", as: AEADGroup.self).testGroups.flatMap(\.tests).count,
            load("xchacha20_poly1305_test.json", as: AEADGroup.self).testGroups.flatMap(\.tests).count,
            load("x25519_test.json", as: XDHGroup.self).testGroups.flatMap(\.tests).count,
            load("ed25519_test.json", as: EdDSAGroup.self).testGroups.flatMap(\.tests).count,
        ]
        let total = counts.reduce(0, +)
        print("Wycheproof: \(total) cases (ChaCha20-Poly1305 \(counts[0]), XChaCha20-Poly1305 \(counts[1]), X25519 \(counts[2]), Ed25519 \(counts[3]))")
        #expect(total == 1309)
    }
}
