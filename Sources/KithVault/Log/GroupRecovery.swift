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
    /// Every trustee who sent their share to anyone under this setup (a
    /// share once sent stays sent, even if its request is replaced).
    public internal(set) var released: Set<UserID> = []
    /// Why the recovery key may be known outside the trustees' hands (nil:
    /// it is not): from then on no new epoch is sealed to it, though a
    /// request may still complete with what it holds. A lead sets it up again.
    public internal(set) var frozen: RecoveryFreeze? = nil
}

/// Why a recovery stopped receiving new keys.
public enum RecoveryFreeze: UInt8, Equatable, Sendable {
    /// The lead who set it up (and so once held its secret) lost the role or left the vault.
    case setterLeft = 1
    /// Threshold-many trustees have sent their shares, so someone could rebuild it.
    case sharesReleased = 2
    /// A trustee, or someone who was sent shares, was removed from the vault.
    case holderRemoved = 3
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

extension GroupState {
    /// Stops sealing new epochs to the recovery key (the first reason stays).
    mutating func freezeRecovery(_ reason: RecoveryFreeze) {
        guard recovery != nil, recovery?.frozen == nil else { return }
        recovery?.frozen = reason
    }

    /// What `user` leaving does to the recovery, as the replay decides it:
    /// the lead who set it up losing the role (or the vault), or a trustee
    /// or someone who was sent shares leaving the vault, freezes it.
    mutating func recoveryLoses(_ user: UserID, fromVault: Bool) {
        guard let recovery else { return }
        if recovery.setUpBy == user { freezeRecovery(.setterLeft) }
        if fromVault, recovery.trustees[user] != nil || recovery.requests.values.contains(where: { $0.requester == user && !$0.approvals.isEmpty }) {
            freezeRecovery(.holderRemoved)
        }
    }

    /// The key a new epoch must also be sealed to (nil: none, or a frozen recovery).
    var recoverySealKey: BoxPublicKey? {
        guard let recovery, recovery.frozen == nil else { return nil }
        return recovery.publicKey
    }
}
