import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

@Suite("Identities and enrolment")
struct IdentityTests {
    // Test-only Argon2id limits: the smallest libsodium accepts, so tests stay fast.
    static var cheap: Argon2idParameters { get throws { try Argon2idParameters(opsLimit: 1, memLimit: 8192) } }

    func passphrase(_ text: String) throws -> SecureBytes {
        var bytes = Array(text.utf8)
        return try SecureBytes(wiping: &bytes)
    }

    @Test("a keyfile round-trips, opens with its passphrase and shows its public part")
    func keyfileRoundTrip() throws {
        let identity = try UnlockedIdentity.generate()
        let file = try IdentityKeyfile.seal(
            identity, handle: Handle("sam"), vaultFingerprint: nil, passphrase: passphrase("correct horse"),
            profileName: "test", parameters: try Self.cheap)
        let parsed = try IdentityKeyfile.parse(file.fileBytes)
        #expect(parsed.identity == identity.identity)
        #expect(parsed.handle.value == "sam")
        let text = String(decoding: file.fileBytes, as: UTF8.self)
        #expect(text.hasPrefix("kith-identity v3\nuser \(identity.identity.userID)\nhandle sam\n") && text.contains("\nduress "))
        let unlocked = try parsed.unlock(passphrase: passphrase("correct horse"))
        #expect(unlocked.identity == identity.identity)
    }

    @Test("a duress passphrase opens as duress, never as the identity; a keyfile does not say whether one is set; pinning keeps it")
    func duressPassphrase() throws {
        let identity = try UnlockedIdentity.generate()
        let plain = try IdentityKeyfile.seal(
            identity, handle: Handle("sam"), vaultFingerprint: nil, passphrase: passphrase("correct horse"), profileName: "test", parameters: try Self.cheap)
        // Without one set, the duress slot is random: an attempt with any other passphrase is just wrong.
        #expect(throws: KithVaultError.self) { try plain.open(passphrase: passphrase("battery staple")) }
        let withDuress = try plain.withDuress(passphrase("battery staple"), unlocked: identity, passphrase: passphrase("correct horse"))
        #expect(withDuress.fileBytes.count == plain.fileBytes.count, "same shape, set or not")
        let parsed = try IdentityKeyfile.parse(withDuress.fileBytes)
        if case .duress = try parsed.open(passphrase: passphrase("battery staple")) {} else { Issue.record("the duress passphrase must open as duress") }
        if case .unlocked(let opened) = try parsed.open(passphrase: passphrase("correct horse")) {
            #expect(opened.identity == identity.identity)
        } else {
            Issue.record("the real passphrase must open the identity")
        }
        // unlock (for callers that know nothing of duress) says wrong passphrase for it.
        let error = #expect(throws: KithVaultError.self) { try parsed.unlock(passphrase: passphrase("battery staple")) }
        #expect(error?.code == .wrongPassphrase)
        #expect(throws: KithVaultError.self) { try parsed.open(passphrase: passphrase("wrong horse")) }
        // It must differ from the real one.
        #expect(throws: KithVaultError.self) { try plain.withDuress(passphrase("correct horse"), unlocked: identity, passphrase: passphrase("correct horse")) }
        // Pinning keeps it working; clearing removes it.
        let pinned = try parsed.pinned(to: [UInt8](repeating: 7, count: 32), unlocked: identity, passphrase: passphrase("correct horse"))
        if case .duress = try pinned.open(passphrase: passphrase("battery staple")) {} else { Issue.record("pinning must keep the duress passphrase") }
        let cleared = try pinned.withoutDuress(unlocked: identity, passphrase: passphrase("correct horse"))
        #expect(throws: KithVaultError.self) { try cleared.open(passphrase: passphrase("battery staple")) }
        // A changed duress slot stops the real passphrase opening (it is bound into the secret's associated data).
        var bytes = withDuress.fileBytes
        let duressLine = try #require(String(decoding: bytes, as: UTF8.self).range(of: "\nduress ")).upperBound
        let offset = String(decoding: bytes, as: UTF8.self).utf8.distance(from: String(decoding: bytes, as: UTF8.self).utf8.startIndex, to: duressLine) + 4
        bytes[offset] = bytes[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        if let tampered = try? IdentityKeyfile.parse(bytes) {
            #expect(throws: KithVaultError.self) { try tampered.open(passphrase: passphrase("correct horse")) }
        }
    }

    @Test("a wrong passphrase is a clear error and leaves the keyfile untouched")
    func wrongPassphrase() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("me.kithid").path
        let file = try IdentityKeyfile.seal(
            try UnlockedIdentity.generate(), handle: Handle("sam"), vaultFingerprint: nil,
            passphrase: passphrase("right horse battery"), profileName: "test", parameters: try Self.cheap)
        try file.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(throws: KithVaultError.wrongPassphrase) { _ = try IdentityKeyfile.load(path: path).unlock(passphrase: passphrase("wrong")) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // Never overwritten silently.
        #expect(throws: KithVaultError.self) { try file.write(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("any change to a keyfile's public lines stops it opening")
    func keyfileTamper() throws {
        let file = try IdentityKeyfile.seal(
            try UnlockedIdentity.generate(), handle: Handle("sam"), vaultFingerprint: nil,
            passphrase: passphrase("pw pw pw pw"), profileName: "test", parameters: try Self.cheap)
        let text = String(decoding: file.fileBytes, as: UTF8.self)
        let altered = text.replacingOccurrences(of: "handle sam", with: "handle sal")
        #expect(throws: KithVaultError.wrongPassphrase) { _ = try IdentityKeyfile.parse(Array(altered.utf8)).unlock(passphrase: passphrase("pw pw pw pw")) }
        #expect(throws: KithVaultError.self) { _ = try IdentityKeyfile.parse(Array((text + "extra\n").utf8)) }
        #expect(throws: KithVaultError.self) { _ = try IdentityKeyfile.parse(Array("kith-identity v2\n".utf8)) }
        let greedy = text.replacingOccurrences(of: "kdf argon2id test 1 8192", with: "kdf argon2id test 1 1099511627776")
        #expect(throws: KithVaultError.self) { _ = try IdentityKeyfile.parse(Array(greedy.utf8)) }
    }

    @Test("an empty or short passphrase is refused")
    func emptyPassphrase() throws {
        #expect(throws: KithVaultError.self) {
            _ = try IdentityKeyfile.seal(
                try UnlockedIdentity.generate(), handle: Handle("sam"), vaultFingerprint: nil,
                passphrase: passphrase(""), profileName: "test", parameters: try Self.cheap)
        }
        #expect(throws: KithVaultError.self) {
            _ = try IdentityKeyfile.seal(
                try UnlockedIdentity.generate(), handle: Handle("sam"), vaultFingerprint: nil,
                passphrase: passphrase("1234567"), profileName: "test", parameters: try Self.cheap)
        }
    }

    /// Refused handles and a word of what the refusal must say.
    static let refusedHandles: [(String, String)] = [
        ("", "1 to 64"), ("-lead", "start with a letter or digit"), ("a b", "a space"), ("x/y", "'/'"),
        (String(repeating: "a", count: 65), "1 to 64"),
        // A Cyrillic а in a Latin name, and Arabic with Latin: look-alike letters of two scripts.
        ("\u{0430}lex", "Cyrillic and Latin"), ("samسارة", "Arabic and Latin"),
        // Invisible and bidi characters are named by code, never printed as themselves.
        ("sam\u{202E}x", "U+202E"), ("sa\u{200B}m", "U+200B"), ("\u{0651}sam", "start with a letter"),
        // Latin letters drawn like others, an invisible Hangul filler, and a script nobody reviewed (Cherokee letters drawn like Latin).
        ("a\u{01C0}ex", "looks like another letter"), ("\u{0251}lex", "looks like another letter"), ("\u{3164}", "looks like another letter or like nothing"),
        ("\u{13DE}\u{13AC}\u{13AA}", "which handles do not use"),
    ]

    @Test("handles are validated, and each refusal says why", arguments: refusedHandles.indices)
    func badHandles(index: Int) {
        let (handle, why) = Self.refusedHandles[index]
        let error = #expect(throws: KithVaultError.self) { try Handle(handle) }
        #expect(error?.reason.contains(why) == true, "\(error?.reason ?? "")")
        #expect(error?.reason.contains("letters of one script") == true)
        #expect(error?.reason.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x200B } == false)
    }

    @Test("handles in any one script are accepted, NFKC-normalised", arguments: ["سارة", "مُحَمَّد", "דנה", "Алиса", "José", "ｊｏｓé", "سارة_٢", "léa.m-2", "مريم99", "佐々木"])
    func goodHandles(handle: String) throws {
        let made = try Handle(handle)
        #expect(made.value == handle.precomposedStringWithCompatibilityMapping)
        #expect(try Handle(made.value) == made)
    }

    @Test("a forged or altered enrolment request is refused")
    func forgedRequest() throws {
        let identity = try UnlockedIdentity.generate()
        let request = try EnrollmentRequest.make(holder: identity, handle: Handle("robin"), vaultFingerprint: nil)
        let text = String(decoding: request.fileBytes, as: UTF8.self)
        #expect(throws: Never.self) { _ = try EnrollmentRequest.parse(request.fileBytes) }
        // Someone swaps in their own handle.
        let renamed = text.replacingOccurrences(of: "handle robin", with: "handle admin")
        #expect(throws: KithVaultError.self) { _ = try EnrollmentRequest.parse(Array(renamed.utf8)) }
        // Someone swaps in their own keys but keeps the signature.
        let other = try UnlockedIdentity.generate()
        let swapped = text.replacingOccurrences(of: Base64.encode(identity.identity.signingKey.bytes), with: Base64.encode(other.identity.signingKey.bytes))
        #expect(throws: KithVaultError.self) { _ = try EnrollmentRequest.parse(Array(swapped.utf8)) }
        // Every single byte flipped is refused.
        for index in request.fileBytes.indices {
            var bytes = request.fileBytes
            bytes[index] ^= 0x01
            #expect(throws: (any Error).self) { _ = try EnrollmentRequest.parse(bytes) }
        }
    }

    @Test("enrolment adds users with readable handles; duplicates and other vaults are refused")
    func enrolment() throws {
        let fixture = try VaultFixture()
        let alex = try fixture.enroll("alex")
        let users = try alex.users()
        #expect(users.map(\.handle) == ["founder", "alex"])
        #expect(users.map(\.role) == [.admin, .user])
        let duplicate = try EnrollmentRequest.make(holder: try UnlockedIdentity.generate(), handle: Handle("ALEX"), vaultFingerprint: nil)
        #expect(throws: KithVaultError.self) { try fixture.admin.approve(duplicate, role: .user) }
        let elsewhere = try EnrollmentRequest.make(holder: try UnlockedIdentity.generate(), handle: Handle("kim"), vaultFingerprint: [UInt8](repeating: 7, count: 32))
        #expect(throws: KithVaultError.self) { try fixture.admin.approve(elsewhere, role: .user) }
        // Only admins enrol.
        let request = try EnrollmentRequest.make(holder: try UnlockedIdentity.generate(), handle: Handle("jo"), vaultFingerprint: nil)
        #expect(throws: KithVaultError.self) { try alex.approve(request, role: .admin) }
        // An identity that was never enrolled cannot open the vault.
        #expect(throws: KithVaultError.self) { _ = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: UnlockedIdentity.generate()) }
    }
}
