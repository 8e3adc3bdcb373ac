import KithLog

extension Vault {
    /// The log as this client has verified it, for inclusion and
    /// consistency proofs, without replaying it: the tree resumed from the
    /// cache finds the subtrees it does not hold in the cache (256 leaves and
    /// up) or by hashing the few store entries below them, so a proof reads
    /// a few hundred entries at most. Every proof is checked against the
    /// checkpoint's root before it is returned, so a wrong node is refused,
    /// never passed on. Also returns the newest stored checkpoint, checked
    /// against this log; throws when it does not match.
    public func auditedLog() throws -> (log: AuditedLog, newest: CheckedCheckpoint?) {
        try refresh()
        let proofTree = self.proofTree()
        var problems: [String] = []
        var newest: CheckedCheckpoint?
        if let raw = try store.latestCheckpoint() {
            newest = AuditVerifier.check(raw, what: "the newest checkpoint", state: state, tree: proofTree, problems: &problems)
        }
        if let problem = problems.first { throw KithVaultError.integrity(problem) }
        return (AuditedLog(state: state, tree: proofTree, store: store), newest)
    }

    /// The verified tree, able to give roots and proofs of sizes before
    /// where this vault resumed (from the cache's kept subtrees, or by
    /// hashing the few store entries below them).
    func proofTree() -> MerkleTree {
        var proofTree = tree
        if resumedFrom != nil {
            let store = self.store
            let cache = state.records.base as? ResumeCache
            proofTree.nodeSource = { level, index in
                if level >= ResumeCache.nodeLevel, let hash = cache?.node(level: level, index: index) { return hash }
                // Below the kept levels (or a node the cache lacks): hash the entries themselves.
                let width = UInt64(1) << UInt64(level)
                let entries = try store.entries(from: index * width, limit: Int(clamping: width))
                guard UInt64(entries.count) == width else { return nil }
                return try MerkleTree(leafHashes: entries.map(MerkleHash.leaf)).root()
            }
        }
        return proofTree
    }
}
