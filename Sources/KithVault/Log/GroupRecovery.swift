import KithCrypto

/// One trustee's part of a group's recovery, as the setup entry names it:
/// their Shamir share of the recovery secret, sealed to them, and a
/// commitment to the share, so they (and whoever later receives it) can
/// tell a good share from a garbled one.
public struct TrusteeShare: Equatable, Sendable {
    /// The trustee.
    public let user: UserID
    /// A hash of the share bound to the vault, group, recovery epoch and
    /// trustee (`Vault.shareCommitment`). A share is uniformly random on its
    /// own, so its hash says nothing about the secret.
    public let commitment: [UInt8]
    /// `crypto_box_seal` of the encoded share to the trustee's box key.
    public let sealed: [UInt8]
}

/// A group key sealed to the group's recovery key.
public struct RecoveryKeyEnvelope: Equatable, Sendable {
    /// Which compartment and epoch.
    public let ref: KeyRef
    /// `crypto_box_seal` of the 32-byte group key to the recovery key.
    public let sealed: [UInt8]
}

/// A request to recover a group's keys, open until it is completed or the
/// recovery it names is set up again.
public struct RecoveryRequest: Equatable, Sendable {
    /// The log position of the request (what approvals name).
    public let seq: UInt64
    /// Who asked (and becomes a lead of the group when it completes).
    public let requester: UserID
    /// When (writer's clock, ms since 1970).
    public let timeMillis: UInt64
    /// Each approving trustee's share, sealed to the requester only.
    public internal(set) var approvals: [UserID: [UInt8]] = [:]
}

/// A group's recovery as the log describes it: a recovery key every group
/// key is also sealed to, whose secret is split among trustees, any
/// `threshold` of whom together can hand it to a new lead.
public struct GroupRecovery: Equatable, Sendable {
    /// Counts the group's recovery setups (1, 2, ...): a use or a change of
    /// trustees sets it up again under the next.
    public let epoch: UInt32
    /// The recovery key (X25519).
    public let publicKey: BoxPublicKey
    /// How many trustees must approve (2 to the number of trustees).
    public let threshold: UInt8
    /// The log position of the setup.
    public let setUpAt: UInt64
    /// The lead who set it up.
    public let setUpBy: UserID
    /// When (writer's clock, ms since 1970).
    public let setUpMillis: UInt64
    /// Each trustee's share, by trustee.
    public internal(set) var trustees: [UserID: TrusteeShare]
    /// Every group key sealed to the recovery key: each key there was at
    /// the setup, and each new epoch since.
    public internal(set) var sealedKeys: [KeyRef: [UInt8]]
    /// Requests not yet completed, by their log position.
    public internal(set) var requests: [UInt64: RecoveryRequest] = [:]
}

extension GroupRecovery {
    /// The most trustees one recovery has (the shares are tested for every
    /// subset up to this many).
    public static let maximumTrustees = 10

    /// Length of an encoded share of a 32-byte secret.
    static var shareLength: Int { SecretShare.headerLength + X25519.secretKeyLength }
    /// Length of a share sealed to one person.
    static var sealedShareLength: Int { shareLength + SealedBox.overhead }
    /// Length of a group key sealed to the recovery key.
    static var sealedKeyLength: Int { 32 + SealedBox.overhead }
}
