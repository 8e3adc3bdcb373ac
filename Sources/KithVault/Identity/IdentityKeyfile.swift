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
/// secret <base64 of nonce || ciphertext || tag>
/// ```
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

    static let magic = "kith-identity v1"

    /// The text before the `secret` line: the associated data of the seal.
    var publicText: String {
        [
            Self.magic,
            "user \(identity.userID)",
            "handle \(handle.value)",
            "vault \(vaultFingerprint.map { Hex.encode($0) } ?? "-")",
            "sign \(Base64.encode(identity.signingKey.bytes))",
            "box \(Base64.encode(identity.boxKey.bytes))",
            "kdf argon2id \(kdfProfile) \(kdfParameters.opsLimit) \(kdfParameters.memLimit)",
            "salt \(Base64.encode(salt))",
        ].joined(separator: "\n") + "\n"
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
        // Argon2id slows guessing; it cannot save a very short passphrase.
        guard passphrase.count >= 8 else {
            throw KithVaultError.invalidInput("the passphrase is shorter than 8 characters; choose several words that you can remember")
        }
        var file = IdentityKeyfile(
            identity: unlocked.identity, handle: handle, vaultFingerprint: vaultFingerprint,
            kdfProfile: profileName, kdfParameters: parameters, salt: try Random.bytes(Argon2id.saltLength), sealedSecret: [])
        let key = try Argon2id.deriveKey(length: 32, passphrase: passphrase, salt: file.salt, parameters: parameters)
        let material = try unlocked.secretMaterial()
        let sealed = try AEAD.xChaCha20Poly1305.seal(material, key: key, aad: file.associatedData)
        file = IdentityKeyfile(
            identity: file.identity, handle: handle, vaultFingerprint: vaultFingerprint,
            kdfProfile: profileName, kdfParameters: parameters, salt: file.salt, sealedSecret: sealed)
        return file
    }

    private init(
        identity: PublicIdentity, handle: Handle, vaultFingerprint: [UInt8]?, kdfProfile: String,
        kdfParameters: Argon2idParameters, salt: [UInt8], sealedSecret: [UInt8]
    ) {
        self.identity = identity
        self.handle = handle
        self.vaultFingerprint = vaultFingerprint
        self.kdfProfile = kdfProfile
        self.kdfParameters = kdfParameters
        self.salt = salt
        self.sealedSecret = sealedSecret
    }

    private var associatedData: [UInt8] {
        Array(AEADContext.keyfile.utf8) + [0] + Array(publicText.utf8)
    }

    /// Opens the secret part; throws `wrongPassphrase` if it does not open.
    public func unlock(passphrase: borrowing SecureBytes) throws -> UnlockedIdentity {
        let key = try Argon2id.deriveKey(length: 32, passphrase: passphrase, salt: salt, parameters: kdfParameters)
        let material: SecureBytes
        do {
            material = try AEAD.xChaCha20Poly1305.open(sealedSecret, key: key, aad: associatedData)
        } catch {
            throw KithVaultError.wrongPassphrase
        }
        let unlocked = try UnlockedIdentity.fromSecretMaterial(material, userID: identity.userID)
        // The public lines must describe the keys inside, or the file was assembled from two identities.
        guard unlocked.identity == identity else {
            throw KithVaultError.integrity("the keyfile's public keys do not match its secret keys")
        }
        return unlocked
    }

    /// Parses a keyfile strictly: exact lines in exact order, nothing else.
    public static func parse(_ bytes: [UInt8]) throws -> IdentityKeyfile {
        guard let text = String(validating: bytes, as: UTF8.self), text.hasSuffix("\n") else {
            throw KithVaultError.integrity("this is not a Kith identity keyfile")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let keys = ["user", "handle", "vault", "sign", "box", "kdf", "salt", "secret"]
        guard lines.count == keys.count + 1, lines[0] == magic else {
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
        let file = IdentityKeyfile(
            identity: PublicIdentity(userID: userID, signingKey: signing, boxKey: box), handle: handle,
            vaultFingerprint: vault, kdfProfile: String(kdf[1]), kdfParameters: parameters, salt: salt, sealedSecret: sealed)
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

    /// The same identity sealed again (fresh salt, same Argon2id
    /// parameters) with `fingerprint` bound into it: pins the keyfile to
    /// the vault it was first used with.
    public func pinned(to fingerprint: [UInt8], unlocked: UnlockedIdentity, passphrase: borrowing SecureBytes) throws -> IdentityKeyfile {
        try IdentityKeyfile.seal(
            unlocked, handle: handle, vaultFingerprint: fingerprint, passphrase: passphrase,
            profileName: kdfProfile, parameters: kdfParameters)
    }

    /// Replaces the keyfile at `path` atomically (used only to pin it).
    public func replace(at path: String) throws {
        try AtomicFile.write(fileBytes, to: path, mode: 0o600, replace: true)
    }
}
