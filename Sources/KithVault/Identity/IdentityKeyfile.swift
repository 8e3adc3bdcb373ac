import Foundation
import KithCrypto

/// An identity keyfile: a small text file whose public lines can be read by
/// anyone (`cat` shows who it is) and whose last line is the secret keys,
/// sealed with XChaCha20-Poly1305 under an Argon2id key from the passphrase.
/// Every public line is the associated data of that seal, so none can be
/// changed without the file failing to open.
///
/// ```
/// kith-identity v1
/// user <32 hex digits>
/// handle <handle>
/// vault <64 hex digits, or ->
/// sign <base64 Ed25519 public key>
/// box <base64 X25519 public key>
/// kdf argon2id <profile> <opslimit> <memlimit>
/// salt <base64>
/// duress <base64 of nonce || ciphertext || tag>      (v2 only)
/// secret <base64 of nonce || ciphertext || tag>
/// ```
///
/// Version 2 (every keyfile made now) adds a duress slot: 32 random bytes
/// sealed under a duress key, which is the Argon2id key of a duress
/// passphrase with the same salt, or a random key when none is set. The
/// duress key also travels inside the sealed secret, so every rewrite
/// (pinning, setting, clearing) seals both lines afresh under the same
/// salt: two copies of a file never show which rewrite happened between
/// them. One Argon2id derivation of whatever is typed is tried against
/// both, so the time and the prompt are the same either way. Version 1
/// files (no slot) still open.
///
/// Version 3 (every keyfile made now, and every passphrase change) is
/// version 2 with the passphrase, and the duress passphrase, taken in
/// Unicode NFKC (`PassphraseText`) before Argon2id reads them. A version 1
/// or 2 file keeps taking the bytes exactly as typed, through every
/// rewrite, so it opens as it always did.
public struct IdentityKeyfile: Sendable {
    /// The user's public identity.
    public let identity: PublicIdentity
    /// The user's handle (on the user's own machine, not in the store).
    public let handle: Handle
    /// The vault this identity was made for, if known (hash of its genesis entry).
    public let vaultFingerprint: [UInt8]?
    /// The Argon2id profile name and parameters sealing the secret.
    public let kdfProfile: String
    /// The Argon2id parameters sealing the secret.
    public let kdfParameters: Argon2idParameters
    let salt: [UInt8]
    let sealedSecret: [UInt8]
    /// The duress slot (v2 and v3); nil in a version 1 file.
    let duressSlot: [UInt8]?
    /// Whether passphrases are taken in NFKC (version 3).
    public let normalisesPassphrase: Bool

    static let magic = "kith-identity v1"
    static let magicV2 = "kith-identity v2"
    static let magicV3 = "kith-identity v3"
    /// nonce || 32 bytes || tag.
    static let duressSlotLength = AEAD.xChaCha20Poly1305.nonceLength + 32 + AEAD.xChaCha20Poly1305.tagLength

    /// The text before the `secret` line: the associated data of the seal.
    var publicText: String {
        [
            duressSlot == nil ? Self.magic : normalisesPassphrase ? Self.magicV3 : Self.magicV2,
            "user \(identity.userID)",
            "handle \(handle.value)",
            "vault \(vaultFingerprint.map { Hex.encode($0) } ?? "-")",
            "sign \(Base64.encode(identity.signingKey.bytes))",
            "box \(Base64.encode(identity.boxKey.bytes))",
            "kdf argon2id \(kdfProfile) \(kdfParameters.opsLimit) \(kdfParameters.memLimit)",
            "salt \(Base64.encode(salt))",
        ].joined(separator: "\n") + "\n" + (duressSlot.map { "duress \(Base64.encode($0))\n" } ?? "")
    }

    /// The whole file.
    public var fileBytes: [UInt8] {
        Array((publicText + "secret \(Base64.encode(sealedSecret))\n").utf8)
    }

    /// Seals `unlocked` under `passphrase` into a new keyfile.
    public static func seal(
        _ unlocked: UnlockedIdentity, handle: Handle, vaultFingerprint: [UInt8]?,
        passphrase: borrowing SecureBytes, profile: Argon2idProfile
    ) throws -> IdentityKeyfile {
        try seal(
            unlocked, handle: handle, vaultFingerprint: vaultFingerprint, passphrase: passphrase,
            profileName: profile.rawValue, parameters: profile.parameters)
    }

    /// Seals with explicit Argon2id parameters (tests use cheap ones; the
    /// command line offers only the named profiles).
    public static func seal(
        _ unlocked: UnlockedIdentity, handle: Handle, vaultFingerprint: [UInt8]?,
        passphrase: borrowing SecureBytes, profileName: String, parameters: Argon2idParameters
    ) throws -> IdentityKeyfile {
        let normalised = try PassphraseText.normalised(passphrase)
        try checkLength(normalised)
        let salt = try Random.bytes(Argon2id.saltLength)
        let key = try Argon2id.deriveKey(length: 32, passphrase: normalised, salt: salt, parameters: parameters)
        return try sealed(
            unlocked, key: key, handle: handle, vaultFingerprint: vaultFingerprint, profileName: profileName, parameters: parameters, salt: salt,
            duressKey: SecureBytes(randomCount: 32), normalises: true)
    }

    /// A version 2 file (passphrase bytes as typed, no NFKC), as Kith made
    /// before version 3: for the tests that old keyfiles still open.
    static func sealVersion2ForTesting(
        _ unlocked: UnlockedIdentity, handle: Handle, passphrase: borrowing SecureBytes, parameters: Argon2idParameters
    ) throws -> IdentityKeyfile {
        let salt = try Random.bytes(Argon2id.saltLength)
        let key = try Argon2id.deriveKey(length: 32, passphrase: passphrase, salt: salt, parameters: parameters)
        return try sealed(
            unlocked, key: key, handle: handle, vaultFingerprint: nil, profileName: "test-only", parameters: parameters, salt: salt,
            duressKey: SecureBytes(randomCount: 32), normalises: false)
    }

    /// Argon2id slows guessing; it cannot save a very short passphrase.
    private static func checkLength(_ passphrase: borrowing SecureBytes) throws {
        guard passphrase.count >= 8 else {
            throw KithVaultError.invalidInput("the passphrase is shorter than 8 characters; choose several words that you can remember")
        }
    }

    /// What Argon2id reads for `typed` in this file: NFKC in version 3, the bytes as typed before.
    private func derivationInput(_ typed: borrowing SecureBytes) throws -> SecureBytes {
        normalisesPassphrase ? try PassphraseText.normalised(typed) : try typed.duplicate()
    }

    /// The key of `typed` under this file's salt and parameters.
    private func key(of typed: borrowing SecureBytes) throws -> SecureBytes {
        try Argon2id.deriveKey(length: 32, passphrase: derivationInput(typed), salt: salt, parameters: kdfParameters)
    }

    /// The version 2 file with `unlocked` (and `duressKey`) sealed under
    /// `key` (the passphrase's, with `salt`), and a fresh duress slot
    /// sealed under `duressKey`.
    private static func sealed(
        _ unlocked: UnlockedIdentity, key: borrowing SecureBytes, handle: Handle, vaultFingerprint: [UInt8]?, profileName: String,
        parameters: Argon2idParameters, salt: [UInt8], duressKey: borrowing SecureBytes, normalises: Bool
    ) throws -> IdentityKeyfile {
        let slot = try AEAD.xChaCha20Poly1305.seal(SecureBytes(randomCount: 32), key: duressKey, aad: duressAssociatedData(unlocked.identity.userID))
        let shell = IdentityKeyfile(
            identity: unlocked.identity, handle: handle, vaultFingerprint: vaultFingerprint, kdfProfile: profileName, kdfParameters: parameters,
            salt: salt, sealedSecret: [], duressSlot: slot, normalises: normalises)
        let material = try SecureBytes.concatenate(unlocked.secretMaterial(), duressKey)
        let secret = try AEAD.xChaCha20Poly1305.seal(material, key: key, aad: shell.associatedData)
        return IdentityKeyfile(
            identity: unlocked.identity, handle: handle, vaultFingerprint: vaultFingerprint, kdfProfile: profileName, kdfParameters: parameters,
            salt: salt, sealedSecret: secret, duressSlot: slot, normalises: normalises)
    }

    private init(
        identity: PublicIdentity, handle: Handle, vaultFingerprint: [UInt8]?, kdfProfile: String,
        kdfParameters: Argon2idParameters, salt: [UInt8], sealedSecret: [UInt8], duressSlot: [UInt8]?, normalises: Bool
    ) {
        self.normalisesPassphrase = normalises
        self.identity = identity
        self.handle = handle
        self.vaultFingerprint = vaultFingerprint
        self.kdfProfile = kdfProfile
        self.kdfParameters = kdfParameters
        self.salt = salt
        self.sealedSecret = sealedSecret
        self.duressSlot = duressSlot
    }

    private var associatedData: [UInt8] {
        Array(AEADContext.keyfile.utf8) + [0] + Array(publicText.utf8)
    }

    /// What a typed passphrase opened.
    public enum Opening: ~Copyable {
        /// The real passphrase: the identity.
        case unlocked(UnlockedIdentity)
        /// The duress passphrase: the caller wipes, and says what a wrong passphrase says.
        case duress
    }

    /// Opens the secret part; throws `wrongPassphrase` if it does not open
    /// (and for the duress passphrase too: only `open` tells them apart).
    public func unlock(passphrase: borrowing SecureBytes) throws -> UnlockedIdentity {
        switch try open(passphrase: passphrase) {
        case .unlocked(let unlocked): return unlocked
        case .duress: throw KithVaultError.wrongPassphrase
        }
    }

    /// Opens with what was typed: the identity, or `duress` when it is this
    /// file's duress passphrase. One Argon2id derivation whichever it is;
    /// throws `wrongPassphrase` when it is neither.
    public func open(passphrase: borrowing SecureBytes) throws -> Opening {
        let key = try self.key(of: passphrase)
        if let unlocked = try unlocked(key: key) { return .unlocked(unlocked) }
        if let duressSlot, (try? AEAD.xChaCha20Poly1305.open(duressSlot, key: key, aad: Self.duressAssociatedData(identity.userID))) != nil {
            return .duress
        }
        throw KithVaultError.wrongPassphrase
    }

    /// The identity sealed under `key`, or nil when `key` does not open it.
    private func unlocked(key: borrowing SecureBytes) throws -> UnlockedIdentity? {
        guard let plain = try? AEAD.xChaCha20Poly1305.open(sealedSecret, key: key, aad: associatedData) else { return nil }
        // Version 2 keeps the duress key after the keys.
        let keysLength = Ed25519.seedLength + X25519.secretKeyLength
        guard plain.count == keysLength + (duressSlot == nil ? 0 : 32) else { throw KithVaultError.integrity("the keyfile's secret part has the wrong length") }
        let material = try plain.copy(range: 0..<keysLength)
        let unlocked = try UnlockedIdentity.fromSecretMaterial(material, userID: identity.userID)
        // The public lines must describe the keys inside, or the file was assembled from two identities.
        guard unlocked.identity == identity else {
            throw KithVaultError.integrity("the keyfile's public keys do not match its secret keys")
        }
        return unlocked
    }

    private static func duressAssociatedData(_ user: UserID) -> [UInt8] { Array(AEADContext.keyfileDuress.utf8) + [0] + user.bytes }

    /// The duress key inside a version 2 file's secret (a random one for a
    /// version 1 file, which has none).
    private func duressKey(key: borrowing SecureBytes) throws -> SecureBytes {
        guard duressSlot != nil else { return try SecureBytes(randomCount: 32) }
        let plain: SecureBytes
        do { plain = try AEAD.xChaCha20Poly1305.open(sealedSecret, key: key, aad: associatedData) } catch { throw KithVaultError.wrongPassphrase }
        guard plain.count == Ed25519.seedLength + X25519.secretKeyLength + 32 else { throw KithVaultError.integrity("the keyfile's secret part has the wrong length") }
        return try plain.copy(range: (plain.count - 32)..<plain.count)
    }

    /// A keyfile of the same identity and public lines that no passphrase
    /// opens (random secret and slot): left in the place of one the duress
    /// passphrase wiped, so every later attempt is just a wrong passphrase.
    public func dud() throws -> IdentityKeyfile {
        let sealedLength = AEAD.xChaCha20Poly1305.nonceLength + Ed25519.seedLength + X25519.secretKeyLength + 32 + AEAD.xChaCha20Poly1305.tagLength
        return IdentityKeyfile(
            identity: identity, handle: handle, vaultFingerprint: vaultFingerprint, kdfProfile: kdfProfile, kdfParameters: kdfParameters,
            salt: salt, sealedSecret: try Random.bytes(sealedLength), duressSlot: try Random.bytes(Self.duressSlotLength), normalises: normalisesPassphrase)
    }

    /// The same identity with `duress` as its duress passphrase (checked to
    /// differ from `passphrase`, the real one), sealed again under the same
    /// salt, as every rewrite is.
    public func withDuress(_ duress: borrowing SecureBytes, unlocked: UnlockedIdentity, passphrase: borrowing SecureBytes) throws -> IdentityKeyfile {
        let duressInput = try derivationInput(duress)
        guard duressInput.count >= 8 else { throw KithVaultError.invalidInput("the duress passphrase is shorter than 8 characters") }
        // Compared as Argon2id reads them: two spellings of one passphrase are one passphrase.
        guard try !duressInput.isEqual(to: derivationInput(passphrase)) else {
            throw KithVaultError.invalidInput("the duress passphrase must differ from your real passphrase")
        }
        let realKey = try key(of: passphrase)
        let duressKey = try key(of: duress)
        return try Self.sealed(
            unlocked, key: realKey, handle: handle, vaultFingerprint: vaultFingerprint, profileName: kdfProfile, parameters: kdfParameters, salt: salt,
            duressKey: duressKey, normalises: normalisesPassphrase)
    }

    /// The same identity with no duress passphrase (a random duress key, so the file looks the same as with one).
    public func withoutDuress(unlocked: UnlockedIdentity, passphrase: borrowing SecureBytes) throws -> IdentityKeyfile {
        let realKey = try key(of: passphrase)
        return try Self.sealed(
            unlocked, key: realKey, handle: handle, vaultFingerprint: vaultFingerprint, profileName: kdfProfile, parameters: kdfParameters, salt: salt,
            duressKey: SecureBytes(randomCount: 32), normalises: normalisesPassphrase)
    }

    /// What a passphrase change did besides the passphrase.
    public enum PassphraseChange: Sendable, Equatable {
        /// Same Argon2id profile: the salt and the duress key (and so a
        /// duress passphrase, if one is set) are kept.
        case duressKept
        /// A new profile: a new salt, so a duress passphrase, if one was
        /// set, no longer works and must be set again.
        case duressCleared
    }

    /// The same identity sealed under `new` (a version 3 file: NFKC), after
    /// `old` opened it. The duress passphrase, like any other that is not
    /// the real one, is `wrongPassphrase` here: a caller that must wipe on
    /// it opens the file through its own duress check first (the CLI's
    /// DeviceGuard does). With `parameters` other than the file's, the new
    /// Argon2id parameters and a new salt.
    public func changingPassphrase(
        old: borrowing SecureBytes, new: borrowing SecureBytes, profileName: String? = nil, parameters: Argon2idParameters? = nil
    ) throws -> (keyfile: IdentityKeyfile, change: PassphraseChange) {
        let oldKey = try key(of: old)
        guard let unlocked = try unlocked(key: oldKey) else { throw KithVaultError.wrongPassphrase }
        let duressKey = try duressKey(key: oldKey)
        let newInput = try PassphraseText.normalised(new)
        try Self.checkLength(newInput)
        // Compared as NFKC whatever this file's version: the same words in another spelling are not a new passphrase.
        if let oldInput = try? PassphraseText.normalised(old), newInput.isEqual(to: oldInput) {
            throw KithVaultError.invalidInput("the new passphrase is the one you have now; choose another")
        }
        let newParameters = parameters ?? kdfParameters
        // A version 1 or 2 file's duress key was derived from the bytes as typed; under NFKC it could stop
        // matching what is typed, or match the new passphrase. So it goes, as with a new profile.
        let sameProfile = newParameters == kdfParameters && normalisesPassphrase
        let newSalt = sameProfile ? salt : try Random.bytes(Argon2id.saltLength)
        let newKey = try Argon2id.deriveKey(length: 32, passphrase: newInput, salt: newSalt, parameters: newParameters)
        // Typing the new passphrase must never be taken for the duress one.
        if sameProfile, newKey.isEqual(to: duressKey) {
            throw KithVaultError.invalidInput("the new passphrase is your duress passphrase; choose another (or clear the duress passphrase first)")
        }
        let keptDuress = sameProfile ? try duressKey.duplicate() : try SecureBytes(randomCount: 32)
        let file = try Self.sealed(
            unlocked, key: newKey, handle: handle, vaultFingerprint: vaultFingerprint, profileName: profileName ?? kdfProfile, parameters: newParameters,
            salt: newSalt, duressKey: keptDuress, normalises: true)
        return (file, sameProfile ? .duressKept : .duressCleared)
    }

    /// Parses a keyfile strictly: exact lines in exact order, nothing else.
    public static func parse(_ bytes: [UInt8]) throws -> IdentityKeyfile {
        guard let text = String(validating: bytes, as: UTF8.self), text.hasSuffix("\n") else {
            throw KithVaultError.integrity("this is not a Kith identity keyfile")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let version3 = lines.first == Substring(magicV3)
        let version2 = lines.first == Substring(magicV2) || version3
        let keys = ["user", "handle", "vault", "sign", "box", "kdf", "salt"] + (version2 ? ["duress"] : []) + ["secret"]
        guard lines.count == keys.count + 1, lines[0] == magic || version2 else {
            throw KithVaultError.integrity("this is not a Kith identity keyfile (or it is from a newer version of Kith)")
        }
        var values: [String: Substring] = [:]
        for (index, key) in keys.enumerated() {
            let line = lines[index + 1]
            guard line.hasPrefix(key + " ") else { throw KithVaultError.integrity("keyfile line \(index + 2) should start with '\(key)'") }
            values[key] = line.dropFirst(key.count + 1)
        }
        func value(_ key: String) -> Substring { values[key] ?? "" }
        let userID = try Identifier(parsing: String(value("user")))
        let handle = try Handle(String(value("handle")))
        let vault: [UInt8]?
        if value("vault") == "-" {
            vault = nil
        } else {
            guard let decoded = try? Hex.decode(String(value("vault"))), decoded.count == 32 || decoded.count == 20 else {
                throw KithVaultError.integrity("keyfile vault fingerprint is malformed")
            }
            vault = decoded
        }
        let signing = try SigningPublicKey(bytes: Base64.decode(value("sign"), what: "keyfile signing key"))
        let box = try BoxPublicKey(bytes: Base64.decode(value("box"), what: "keyfile box key"))
        let kdf = value("kdf").split(separator: " ")
        guard kdf.count == 4, kdf[0] == "argon2id", let ops = UInt64(kdf[2]), let mem = UInt64(kdf[3]) else {
            throw KithVaultError.integrity("keyfile kdf line is malformed")
        }
        let parameters: Argon2idParameters
        do { parameters = try Argon2idParameters(opsLimit: ops, memLimit: mem) } catch {
            throw KithVaultError.integrity("keyfile asks for Argon2id limits Kith does not accept (\(ops) passes, \(mem) bytes)")
        }
        let salt = try Base64.decode(value("salt"), what: "keyfile salt")
        guard salt.count == Argon2id.saltLength else { throw KithVaultError.integrity("keyfile salt has the wrong length") }
        let sealed = try Base64.decode(value("secret"), what: "keyfile secret")
        let duress = version2 ? try Base64.decode(value("duress"), what: "keyfile duress slot") : nil
        if let duress, duress.count != duressSlotLength { throw KithVaultError.integrity("keyfile duress slot has the wrong length") }
        let file = IdentityKeyfile(
            identity: PublicIdentity(userID: userID, signingKey: signing, boxKey: box), handle: handle,
            vaultFingerprint: vault, kdfProfile: String(kdf[1]), kdfParameters: parameters, salt: salt, sealedSecret: sealed, duressSlot: duress,
            normalises: version3)
        // Canonical form only: the file must be exactly what we would write.
        guard file.fileBytes == bytes else { throw KithVaultError.integrity("keyfile is not in canonical form") }
        return file
    }

    /// Reads and parses the keyfile at `path`.
    public static func load(path: String) throws -> IdentityKeyfile {
        try parse(AtomicFile.read(path, what: "identity keyfile"))
    }

    /// Writes the keyfile to `path`, mode 0600, atomically; never replaces
    /// an existing file.
    public func write(to path: String) throws {
        try AtomicFile.write(fileBytes, to: path, mode: 0o600, replace: false)
    }

    /// The same identity sealed again with `fingerprint` bound into it:
    /// pins the keyfile to the vault it was first used with. A version 2
    /// file keeps its salt and duress key (a duress passphrase, if set,
    /// keeps working; both sealed lines are sealed afresh); a version 1
    /// file becomes version 2 with a random duress key.
    public func pinned(to fingerprint: [UInt8], unlocked: UnlockedIdentity, passphrase: borrowing SecureBytes) throws -> IdentityKeyfile {
        let realKey = try key(of: passphrase)
        let duressKey = try duressKey(key: realKey)
        return try Self.sealed(
            unlocked, key: realKey, handle: handle, vaultFingerprint: fingerprint, profileName: kdfProfile, parameters: kdfParameters, salt: salt,
            duressKey: duressKey, normalises: normalisesPassphrase)
    }

    /// Replaces the keyfile at `path` atomically (pinning, duress settings,
    /// a passphrase change): a crash leaves the old file or the new one.
    public func replace(at path: String) throws {
        try AtomicFile.write(fileBytes, to: path, mode: 0o600, replace: true)
    }

    /// `replace(at:)` stopped after `step`, as a kill there would (tests).
    func replace(at path: String, stoppingAfter step: AtomicFile.Step) throws {
        try AtomicFile.write(fileBytes, to: path, mode: 0o600, replace: true, stoppingAfter: step)
    }
}
