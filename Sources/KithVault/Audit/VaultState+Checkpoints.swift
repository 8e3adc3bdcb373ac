import KithCrypto
import KithLog

/// A checkpoint note read from the store or a file and checked against the log's keys.
public struct CheckedCheckpoint: Sendable {
    /// The note as given.
    public let note: SignedNote
    /// The checkpoint it carries.
    public let checkpoint: Checkpoint
    /// The enrolled users whose checkpoint signatures verified (at least one).
    public let signers: [UserID]
    /// The auditors whose witness cosignatures verified.
    public let witnesses: [UserID]
}

extension VaultState {
    /// The checkpoint origin line: names this vault by its fingerprint.
    public var origin: String { "kith/" + Hex.encode(fingerprint) }

    /// The note key with which `user` signs checkpoints of this vault (Ed25519, type 0x01, named by the origin).
    public func checkpointKey(of user: UserID) throws -> NoteVerifierKey {
        guard let found = users[user] else { throw KithVaultError.notFound("user \(user)") }
        return try NoteVerifierKey(name: origin, type: NoteVerifierKey.ed25519, key: found.identity.signingKey)
    }

    /// The key name an auditor cosigns this vault's checkpoints under.
    public func witnessName(of user: UserID) -> String { origin + "/witness/" + user.description }

    /// The cosignature key (type 0x04, C2SP tlog-cosignature) of an auditor.
    public func witnessKey(of user: UserID) throws -> NoteVerifierKey {
        guard let found = users[user], found.role == .auditor, found.isActive else { throw KithVaultError.notFound("an auditor with id \(user)") }
        return try NoteVerifierKey(name: witnessName(of: user), type: NoteVerifierKey.cosignature, key: found.identity.signingKey)
    }

    /// Users in enrolment order (stable listings).
    var usersInOrder: [UserState] { users.values.sorted { $0.enrolledAt < $1.enrolledAt } }

    /// Every enrolled user's checkpoint key, then every auditor's witness
    /// key: what `kith audit keys` prints.
    public func noteKeys() throws -> [NoteVerifierKey] {
        let writers = try usersInOrder.map { try checkpointKey(of: $0.identity.userID) }
        let witnesses = try usersInOrder.filter { $0.role == .auditor && $0.isActive }.map { try witnessKey(of: $0.identity.userID) }
        return writers + witnesses
    }

    /// Parses a signed checkpoint note and checks it: it names this vault,
    /// at least one enrolled user's signature verifies, and every signature
    /// line by a key of this vault verifies (lines by unknown keys are
    /// ignored, as the signed-note spec says).
    public func checkCheckpoint(_ raw: String) throws -> CheckedCheckpoint {
        let note = try SignedNote(parsing: raw)
        let checkpoint = try Checkpoint(text: note.text)
        guard checkpoint.origin == origin else {
            throw KithLogError.badSignature("the checkpoint is for \(checkpoint.origin), not this vault (\(origin))")
        }
        var owners: [NoteVerifierKey: UserID] = [:]
        for user in usersInOrder {
            owners[try checkpointKey(of: user.identity.userID)] = user.identity.userID
            // A removed auditor's cosignature no longer counts.
            if user.role == .auditor && user.isActive { owners[try witnessKey(of: user.identity.userID)] = user.identity.userID }
        }
        let verified = try note.verify(trusted: Array(owners.keys), requireOne: false)
        let signers = verified.filter { $0.type == NoteVerifierKey.ed25519 }.compactMap { owners[$0] }
        let witnesses = verified.filter { $0.type == NoteVerifierKey.cosignature }.compactMap { owners[$0] }
        guard !signers.isEmpty else { throw KithLogError.badSignature("no enrolled user of this vault signed the checkpoint") }
        return CheckedCheckpoint(note: note, checkpoint: checkpoint, signers: signers, witnesses: witnesses)
    }
}
