import KithCrypto

/// An identity whose secret keys are in memory (in libsodium's guarded,
/// locked, wiped buffers). Made by opening a keyfile with its passphrase.
public final class UnlockedIdentity: PrivateKeyHolder, @unchecked Sendable {
    // @unchecked: the key pairs are immutable after init and libsodium's
    // signing and opening are thread-safe.
    public let identity: PublicIdentity
    private let signing: SigningKeyPair
    private let box: BoxKeyPair
    // The derivation master for `deriveKey`: a subkey of the signing seed,
    // so the seed itself is never used for two purposes.
    private let derivationKey: SecureBytes

    init(userID: UserID, signing: consuming SigningKeyPair, box: consuming BoxKeyPair) throws {
        self.identity = PublicIdentity(userID: userID, signingKey: signing.publicKey, boxKey: box.publicKey)
        let seed = try signing.seed()
        self.derivationKey = try KeyDerivation.deriveSubkey(from: seed, id: 1, context: "kithderv", length: 32)
        self.signing = signing
        self.box = box
    }

    /// A brand-new identity with fresh keys.
    public static func generate() throws -> UnlockedIdentity {
        try UnlockedIdentity(userID: .random(), signing: SigningKeyPair(), box: BoxKeyPair())
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try signing.sign(message)
    }

    public func openSealed(_ sealed: [UInt8]) throws -> SecureBytes {
        try SealedBox.open(sealed, with: box)
    }

    public func deriveKey(purpose: String, id: UInt64) throws -> SecureBytes {
        try KeyDerivation.deriveSubkey(from: derivationKey, id: id, context: purpose, length: 32)
    }

    /// The secret material for sealing into a keyfile: seed || box secret.
    func secretMaterial() throws -> SecureBytes {
        try SecureBytes.concatenate(signing.seed(), box.secretKeyCopy())
    }

    /// Rebuilds an identity from `secretMaterial()`.
    static func fromSecretMaterial(_ material: borrowing SecureBytes, userID: UserID) throws -> UnlockedIdentity {
        let half = Ed25519.seedLength
        guard material.count == half + X25519.secretKeyLength else {
            throw KithVaultError.integrity("the keyfile's secret part has the wrong length")
        }
        let signing = try SigningKeyPair(seed: material.copy(range: 0..<half))
        let box = try BoxKeyPair(secretKey: material.copy(range: half..<material.count))
        return try UnlockedIdentity(userID: userID, signing: signing, box: box)
    }
}
