import KithCrypto
import KithLog

/// What `kith audit verify` found.
public struct AuditReport: Sendable {
    /// Log entries checked.
    public let entries: UInt64
    /// The Merkle root of the entries that verified (standard base64).
    public let root: String
    /// Every problem found, the first bad entry first. Empty: all holds.
    public let problems: [String]
    /// The newest stored checkpoint's size, when there is one.
    public let checkpointSize: UInt64?

    /// True when nothing is wrong.
    public var valid: Bool { problems.isEmpty }
}

/// Verifies a store's whole log without any identity: every entry's
/// signature, the hash chain, the replay of rights, and the Merkle root
/// against the newest checkpoint and its signature by an enrolled user.
public enum AuditVerifier {
    /// Checks everything; stops at the first bad entry (later entries
    /// cannot be judged once the state they build on is wrong).
    public static func verify(store: VaultStore) throws -> AuditReport {
        let entries = try store.entries(from: 0)
        var state = VaultState()
        var tree = MerkleTree()
        var problems: [String] = []
        for (index, bytes) in entries.enumerated() {
            do {
                try state.apply(LogEntry.decode(bytes))
                tree.append(leafHash: MerkleHash.leaf(bytes))
            } catch let error as KithVaultError {
                problems.append("entry \(index): \(error.description)")
                break
            }
        }
        var checkpointSize: UInt64?
        if problems.isEmpty, state.count > 0, let raw = try store.latestCheckpoint() {
            let origin = Vault.origin(fingerprint: state.fingerprint)
            do {
                let note = try SignedNote(parsing: raw)
                let checkpoint = try Checkpoint(text: note.text)
                checkpointSize = checkpoint.size
                let keys = try state.users.values.map { try Vault.checkpointKey(origin: origin, $0.identity.signingKey) }
                try note.verify(trusted: keys)
                if checkpoint.origin != origin {
                    problems.append("the newest checkpoint names another vault")
                } else if checkpoint.size > tree.size {
                    problems.append("the newest checkpoint covers \(checkpoint.size) entries but the log holds \(tree.size): entries were removed")
                } else if try tree.root(size: checkpoint.size) != checkpoint.root {
                    problems.append("the newest checkpoint's root does not match the first \(checkpoint.size) entries: the log was rewritten")
                }
            } catch let error as KithLogError {
                problems.append("the newest checkpoint: \(error.description)")
            }
        }
        return AuditReport(entries: UInt64(entries.count), root: Base64.encode(try tree.root()), problems: problems, checkpointSize: checkpointSize)
    }
}
