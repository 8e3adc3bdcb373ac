internal import CSodium

/// Argon2id cost parameters. They are stored next to what they protect (in
/// the keyfile header), so a keyfile made with one profile still opens after
/// the defaults change.
public struct Argon2idParameters: Hashable, Sendable {
    /// Number of passes (`opslimit`).
    public let opsLimit: UInt64
    /// Memory in bytes (`memlimit`).
    public let memLimit: UInt64

    /// The largest memory limit Kith will ever use: 4 GiB. A keyfile asking for
    /// more is corrupt or hostile (it could make the machine run out of memory).
    public static let maximumMemLimit: UInt64 = 4 << 30
    /// The largest pass count Kith will ever use.
    public static let maximumOpsLimit: UInt64 = 64

    /// Validated parameters; throws if they are below libsodium's minimum or
    /// above Kith's maximum.
    public init(opsLimit: UInt64, memLimit: UInt64) throws {
        try Sodium.ensureReady()
        let minOps = UInt64(crypto_pwhash_argon2id_opslimit_min())
        let minMem = UInt64(crypto_pwhash_argon2id_memlimit_min())
        guard opsLimit >= minOps, opsLimit <= Self.maximumOpsLimit else {
            throw KithCryptoError.invalidPasswordHashParameters("opslimit \(opsLimit) is outside \(minOps)...\(Self.maximumOpsLimit)")
        }
        guard memLimit >= minMem, memLimit <= Self.maximumMemLimit else {
            throw KithCryptoError.invalidPasswordHashParameters("memlimit \(memLimit) is outside \(minMem)...\(Self.maximumMemLimit)")
        }
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }
}

/// The three named Argon2id cost profiles, from libsodium's own constants.
public enum Argon2idProfile: String, CaseIterable, Sendable {
    /// About 64 MiB and 2 passes: for keys unlocked often, on small machines.
    case interactive
    /// About 256 MiB and 3 passes: Kith's default for identity keyfiles.
    case moderate
    /// About 1 GiB and 4 passes: for keys unlocked rarely (backups, admins).
    case sensitive

    /// This profile's parameters.
    public var parameters: Argon2idParameters {
        get throws {
            switch self {
            case .interactive:
                return try Argon2idParameters(opsLimit: UInt64(crypto_pwhash_argon2id_opslimit_interactive()), memLimit: UInt64(crypto_pwhash_argon2id_memlimit_interactive()))
            case .moderate:
                return try Argon2idParameters(opsLimit: UInt64(crypto_pwhash_argon2id_opslimit_moderate()), memLimit: UInt64(crypto_pwhash_argon2id_memlimit_moderate()))
            case .sensitive:
                return try Argon2idParameters(opsLimit: UInt64(crypto_pwhash_argon2id_opslimit_sensitive()), memLimit: UInt64(crypto_pwhash_argon2id_memlimit_sensitive()))
            }
        }
    }
}

/// Argon2id v1.3 (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`):
/// turns a passphrase into a key.
public enum Argon2id {
    /// Salt length (`crypto_pwhash_saltbytes`).
    public static var saltLength: Int { Int(crypto_pwhash_saltbytes()) }

    /// Derives a `length`-byte key from `passphrase` and `salt`.
    public static func deriveKey(length: Int, passphrase: borrowing SecureBytes, salt: [UInt8], parameters: Argon2idParameters) throws -> SecureBytes {
        try Sodium.ensureReady()
        try Sodium.check("Argon2id salt", salt.count, equals: saltLength)
        let minOut = Int(crypto_pwhash_bytes_min())
        guard length >= minOut, length <= 1024 else {
            throw KithCryptoError.invalidLength(what: "Argon2id output", expected: "\(minOut) to 1024", actual: length)
        }
        var key = try SecureBytes(count: length)
        let status = passphrase.withUnsafeBytes { p in
            salt.withUnsafeBytes { s in
                key.withUnsafeMutableBytes { out in
                    crypto_pwhash(
                        out.bytePointer, UInt64(out.count),
                        p.charPointer, UInt64(p.count),
                        s.bytePointer,
                        parameters.opsLimit, Int(parameters.memLimit),
                        crypto_pwhash_alg_argon2id13())
                }
            }
        }
        guard status == 0 else { throw KithCryptoError.passwordHashFailed }
        return key
    }
}
