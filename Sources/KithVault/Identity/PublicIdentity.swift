import KithCrypto

/// The public half of an identity: what others need to verify this user's
/// signatures and to seal keys to them.
public struct PublicIdentity: Hashable, Sendable {
    /// The user's random id.
    public let userID: UserID
    /// Verifies everything the user signs.
    public let signingKey: SigningPublicKey
    /// Receives group keys sealed to the user.
    public let boxKey: BoxPublicKey

    /// Bundles the three public values.
    public init(userID: UserID, signingKey: SigningPublicKey, boxKey: BoxPublicKey) {
        self.userID = userID
        self.signingKey = signingKey
        self.boxKey = boxKey
    }

    /// The readable fingerprint of the keys, for out-of-band comparison.
    public var fingerprint: String { Fingerprint.ofKeys(signing: signingKey, box: boxKey) }

    /// The message a user signs to prove they hold their signing key; it is
    /// stored in the enrolment entry so every client can check it.
    func possessionMessage() -> [UInt8] {
        var writer = ByteWriter()
        writer.string(SignatureContext.enrollmentPossession)
        writer.fixed(userID.bytes)
        writer.fixed(signingKey.bytes)
        writer.fixed(boxKey.bytes)
        return writer.bytes
    }
}

/// The private-key operations Kith needs. Behind this small protocol so
/// that an unlock agent can perform them without the keys leaving it.
public protocol PrivateKeyHolder: AnyObject, Sendable {
    /// Who holds the keys.
    var identity: PublicIdentity { get }
    /// An Ed25519 signature of `message`.
    func sign(_ message: [UInt8]) throws -> [UInt8]
    /// Opens a `crypto_box_seal` envelope addressed to this identity.
    func openSealed(_ sealed: [UInt8]) throws -> SecureBytes
    /// A symmetric key only this identity can derive, for `purpose`
    /// (an 8-character `crypto_kdf` context) and `id`. Used for the
    /// writer's audit-detail key, so details need no public-key operation
    /// per entry.
    func deriveKey(purpose: String, id: UInt64) throws -> SecureBytes
}

/// Context strings: every signature and AEAD call has its own, so nothing
/// signed or sealed for one purpose is accepted for another.
enum SignatureContext {
    static let enrollmentPossession = "kith/v1/enroll-possession"
    static let enrollmentRequest = "kith/v1/enroll-request"
    static let logEntry = "kith/v1/log-entry"
    static let record = "kith/v1/record"
    static let keyCommitment = "kith/v1/group-key-commitment"
    static let recoveryShare = "kith/v1/recovery-share-commitment"
}

/// AEAD contexts (the first bytes of every associated data).
enum AEADContext {
    static let keyfile = "kith/v1/keyfile-secret"
    /// A keyfile's duress slot (v2): opens only under the duress passphrase's key.
    static let keyfileDuress = "kith/v1/keyfile-duress"
    static let directory = "kith/v1/directory"
    /// Names sealed padded to a bucket (`SealedLength`); names of the first format open under `directory`.
    static let paddedDirectory = "kith/v2/directory"
    static let recordKeyWrap = "kith/v1/record-key-wrap"
    static let recordContent = "kith/v1/record-content"
    static let details = "kith/v1/entry-details"
    static let attachmentChunk = "kith/v1/attachment-chunk"
    static let directoryChain = "kith/v1/directory-chain"
}
