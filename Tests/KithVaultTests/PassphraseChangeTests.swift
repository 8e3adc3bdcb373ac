import Foundation
import KithCrypto
import Testing

@testable import KithVault

/// Changing a passphrase (issue 20, item 2): atomic, whatever step a kill
/// interrupts; NFKC for new keyfiles, exact bytes for old ones; a duress
/// passphrase kept or, with a new profile, said to be cleared.
@Suite("Passphrase change")
struct PassphraseChangeTests {
    static func secret(_ text: String) throws -> SecureBytes {
        var bytes = Array(text.utf8)
        return try SecureBytes(wiping: &bytes)
    }

    static var cheap: Argon2idParameters { get throws { try Argon2idParameters(opsLimit: 1, memLimit: 8192) } }

    static func keyfile(_ passphrase: String) throws -> (IdentityKeyfile, UnlockedIdentity) {
        let identity = try UnlockedIdentity.generate()
        let file = try IdentityKeyfile.seal(identity, handle: Handle("lin"), vaultFingerprint: nil, passphrase: secret(passphrase), profileName: "test-only", parameters: cheap)
        return (file, identity)
    }

    static func opens(_ file: IdentityKeyfile, _ passphrase: String) -> Bool {
        (try? file.unlock(passphrase: secret(passphrase))) != nil
    }

    @Test("the new passphrase opens the file and the old does not; an old copy still opens with the old; the duress passphrase is kept")
    func change() throws {
        let (plain, identity) = try Self.keyfile("the old passphrase")
        let file = try plain.withDuress(Self.secret("the duress words"), unlocked: identity, passphrase: Self.secret("the old passphrase"))
        let (changed, what) = try file.changingPassphrase(old: Self.secret("the old passphrase"), new: Self.secret("a brand new one"))
        #expect(what == .duressKept && changed.normalisesPassphrase && changed.identity == identity.identity)
        #expect(Self.opens(changed, "a brand new one") && !Self.opens(changed, "the old passphrase"))
        #expect(Self.opens(file, "the old passphrase"), "a copy made before keeps its old passphrase")
        guard case .duress = try changed.open(passphrase: Self.secret("the duress words")) else {
            Issue.record("the duress passphrase no longer works after a change")
            return
        }
        // A stronger profile: a new salt, so the duress passphrase is said to be cleared, and is.
        let stronger = try Argon2idParameters(opsLimit: 2, memLimit: 8192)
        let (moved, cleared) = try changed.changingPassphrase(
            old: Self.secret("a brand new one"), new: Self.secret("another new one"), profileName: "test-stronger", parameters: stronger)
        #expect(cleared == .duressCleared && moved.kdfParameters == stronger && moved.kdfProfile == "test-stronger")
        #expect(Self.opens(moved, "another new one"))
        #expect(throws: KithVaultError.self) { try moved.open(passphrase: Self.secret("the duress words")) }
    }

    @Test("refused: a wrong or duress old passphrase, a new one that is the old (in any spelling), the duress one, or too short")
    func refusals() throws {
        let (plain, identity) = try Self.keyfile("the old passphrase")
        let file = try plain.withDuress(Self.secret("the duress words"), unlocked: identity, passphrase: Self.secret("the old passphrase"))
        let wrong = #expect(throws: KithVaultError.self) { try file.changingPassphrase(old: Self.secret("not it at all"), new: Self.secret("a brand new one")) }
        #expect(wrong?.code == .wrongPassphrase)
        let duress = #expect(throws: KithVaultError.self) { try file.changingPassphrase(old: Self.secret("the duress words"), new: Self.secret("a brand new one")) }
        #expect(duress?.code == .wrongPassphrase)
        for (new, says) in [("the old passphrase", "the one you have now"), ("the duress words", "your duress passphrase"), ("short", "shorter than 8")] {
            let error = #expect(throws: KithVaultError.self) { try file.changingPassphrase(old: Self.secret("the old passphrase"), new: Self.secret(new)) }
            #expect(error?.code == .invalidInput && error?.reason.contains(says) == true, "\(new): \(error?.reason ?? "")")
        }
    }

    @Test("killed at every step of writing it, the keyfile on disk opens with the old passphrase or the new one", arguments: AtomicFile.Step.allCases)
    func killed(at step: AtomicFile.Step) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kith-passphrase-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lin.kithid").path
        let (file, _) = try Self.keyfile("the old passphrase")
        try file.write(to: path)
        let (changed, _) = try file.changingPassphrase(old: Self.secret("the old passphrase"), new: Self.secret("a brand new one"))
        #expect(throws: AtomicFile.Stopped.self) { try changed.replace(at: path, stoppingAfter: step) }
        let onDisk = try IdentityKeyfile.load(path: path)
        let old = Self.opens(onDisk, "the old passphrase"), new = Self.opens(onDisk, "a brand new one")
        #expect(old != new, "exactly one of them opens it (old: \(old), new: \(new))")
        #expect(new == (step == .published), "the new file is in place exactly once it was published")
    }

    @Test("a new keyfile takes its passphrase in NFKC: an Arabic passphrase typed composed or not, or with a ligature, opens it")
    func normalised() throws {
        // آ as one letter (U+0622) or alef with a madda (U+0627 U+0653); لا as one ligature (U+FEFB) or two letters.
        let composed = "كلمة سر آمنة لا تنسى", decomposed = "كلمة سر \u{0627}\u{0653}منة \u{FEFB} تنسى"
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        let (file, _) = try Self.keyfile(decomposed)
        #expect(Self.opens(file, composed) && Self.opens(file, decomposed))
        // Changing to a passphrase typed the other way: the new file opens with both spellings too.
        let (changed, _) = try file.changingPassphrase(old: Self.secret(composed), new: Self.secret("\u{FF11}\u{FF12}\u{FF13} سلام عليكم"))
        #expect(Self.opens(changed, "123 سلام عليكم"))
    }

    @Test("a passphrase that is not UTF-8 cannot be put in NFKC: a version 3 file refuses it by name, a version 2 file takes its bytes")
    func notUTF8() throws {
        let (file, identity) = try Self.keyfile("the real passphrase")
        var raw: [UInt8] = [0x66, 0x6F, 0xFF, 0xFE, 0x6F, 0x6F, 0x6F, 0x6F, 0x6F]
        let bytes = try SecureBytes(wiping: &raw)
        let error = #expect(throws: KithVaultError.self) { try file.open(passphrase: bytes) }
        #expect(error?.code == .invalidInput && error?.reason.contains("not UTF-8") == true, "\(error?.reason ?? "")")
        let old = try IdentityKeyfile.sealVersion2ForTesting(identity, handle: Handle("lin"), passphrase: bytes, parameters: Self.cheap)
        #expect((try? old.unlock(passphrase: bytes)) != nil)
    }

    @Test("a keyfile made before version 3 keeps taking its passphrase exactly as typed, and a change makes it version 3")
    func oldKeyfiles() throws {
        let decomposed = "كلمة سر \u{0627}\u{0653}منة", composed = "كلمة سر آمنة"
        let identity = try UnlockedIdentity.generate()
        let old = try IdentityKeyfile.sealVersion2ForTesting(identity, handle: Handle("lin"), passphrase: Self.secret(decomposed), parameters: Self.cheap)
        let parsed = try IdentityKeyfile.parse(old.fileBytes)
        #expect(!parsed.normalisesPassphrase && String(decoding: parsed.fileBytes, as: UTF8.self).hasPrefix("kith-identity v2\n"))
        #expect(Self.opens(parsed, decomposed) && !Self.opens(parsed, composed))
        // Pinning keeps it version 2, so the bytes it was made with keep working.
        let pinned = try parsed.pinned(to: [UInt8](repeating: 7, count: 32), unlocked: identity, passphrase: Self.secret(decomposed))
        #expect(!pinned.normalisesPassphrase && Self.opens(pinned, decomposed))
        let (changed, what) = try pinned.changingPassphrase(old: Self.secret(decomposed), new: Self.secret(decomposed + " جديدة"))
        #expect(changed.normalisesPassphrase && String(decoding: changed.fileBytes, as: UTF8.self).hasPrefix("kith-identity v3\n"))
        #expect(Self.opens(changed, composed + " جديدة") && changed.vaultFingerprint == pinned.vaultFingerprint)
        #expect(what == .duressCleared, "a version 2 file's duress key was made from raw bytes; it cannot be kept under NFKC")
        // The old passphrase in its other spelling is not a new one.
        let same = #expect(throws: KithVaultError.self) { try pinned.changingPassphrase(old: Self.secret(decomposed), new: Self.secret(composed)) }
        #expect(same?.reason.contains("the one you have now") == true, "\(same?.reason ?? "")")
    }

    @Test("a version 2 file's non-ASCII duress passphrase never opens the identity after a change, even chosen as the new passphrase")
    func oldDuressNeverOpens() throws {
        let identity = try UnlockedIdentity.generate()
        let duressDecomposed = "اخرج \u{0627}\u{0653}لان", duressComposed = "اخرج آلان"
        let old = try IdentityKeyfile.sealVersion2ForTesting(identity, handle: Handle("lin"), passphrase: Self.secret("the real passphrase"), parameters: Self.cheap)
            .withDuress(Self.secret(duressDecomposed), unlocked: identity, passphrase: Self.secret("the real passphrase"))
        guard case .duress = try old.open(passphrase: Self.secret(duressDecomposed)) else {
            Issue.record("the version 2 duress passphrase did not work before the change")
            return
        }
        // The user picks the duress words, in their other spelling, as the new passphrase: it must be just a passphrase now.
        let (changed, what) = try old.changingPassphrase(old: Self.secret("the real passphrase"), new: Self.secret(duressComposed))
        #expect(what == .duressCleared)
        #expect(Self.opens(changed, duressComposed) && Self.opens(changed, duressDecomposed))
        let (other, _) = try old.changingPassphrase(old: Self.secret("the real passphrase"), new: Self.secret("something else entirely"))
        #expect(throws: KithVaultError.self) { try other.open(passphrase: Self.secret(duressDecomposed)) }
    }
}
