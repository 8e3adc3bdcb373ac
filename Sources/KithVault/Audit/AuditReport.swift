import KithLog

/// What `kith audit verify` found.
public struct AuditReport: Sendable {
    /// Log entries read.
    public let entries: UInt64
    /// The Merkle root of the whole log (standard base64).
    public let root: String
    /// Every problem found, the first bad entry first. Empty: all holds.
    public let problems: [String]
    /// The newest stored checkpoint, checked, when there is one.
    public let newest: CheckedCheckpoint?
    /// The newest checkpoint at least one auditor cosigned, checked, if any.
    public let newestWitnessed: CheckedCheckpoint?
    /// Entries whose signatures were not checked again because they hash to
    /// a checkpoint verified before (0: everything was checked).
    public let resumedFrom: UInt64
    /// Threads that checked signatures.
    public let threads: Int
    /// The verified log, for proofs (nil when the log failed).
    public let log: AuditedLog?
    /// What the check of stored records found (nil: not checked, because
    /// the log failed or only the log was asked for).
    public let records: RecordAuditResult?

    /// True when nothing is wrong.
    public var valid: Bool { problems.isEmpty }
}

/// A log that verified: its replayed state, its Merkle tree, and the store
/// its entries are read from. Proofs are built from the tree's kept
/// interior hashes (O(log n) reads).
public struct AuditedLog: Sendable {
    /// The replayed state.
    public let state: VaultState
    /// The RFC 9162 tree of the entries.
    public let tree: MerkleTree
    /// Where the entries are.
    let store: VaultStore

    /// The bytes of entry `seq`, checked against the verified tree.
    public func entry(_ seq: UInt64) throws -> [UInt8] {
        guard let bytes = try store.entry(at: seq), seq < tree.size, try MerkleHash.leaf(bytes) == tree.leafHash(seq) else {
            throw KithVaultError.integrity("entry \(seq) changed in the store since the log was verified")
        }
        return bytes
    }

    /// The checkpoint of the whole log (unsigned: what this run verified).
    public func head() throws -> Checkpoint {
        try Checkpoint(origin: state.origin, size: tree.size, root: tree.root())
    }
}
