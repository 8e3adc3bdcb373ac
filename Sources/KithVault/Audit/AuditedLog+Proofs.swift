import KithLog

extension AuditedLog {
    /// Throws unless `checkpoint` describes this log at its size: same
    /// vault, no more entries than the log holds, the same root.
    public func mustMatch(_ checkpoint: Checkpoint) throws {
        guard checkpoint.origin == state.origin else {
            throw KithVaultError.invalidInput("the checkpoint is for \(checkpoint.origin), not this vault (\(state.origin))", remedy: .checkVault)
        }
        guard checkpoint.size <= tree.size else {
            throw KithVaultError.integrity("the checkpoint covers \(checkpoint.size) entries but this copy of the log holds \(tree.size): this copy was rolled back")
        }
        guard try tree.root(size: checkpoint.size) == checkpoint.root else {
            throw KithVaultError.integrity("the checkpoint's root does not match the first \(checkpoint.size) entries of this log: one of them was rewritten (a fork)")
        }
    }

    /// A C2SP tlog-proof that entry `seq` is in the log `checked` describes,
    /// with the entry's bytes in its extra line. Checked before it is returned.
    public func inclusionProof(entry seq: UInt64, in checked: CheckedCheckpoint) throws -> TlogProof {
        try mustMatch(checked.checkpoint)
        let size = checked.checkpoint.size
        guard seq < size else {
            throw KithVaultError.invalidInput("entry \(seq) is not in the checkpoint of \(size) entries (entries are numbered from 0); choose an entry below \(size) or a newer checkpoint")
        }
        let proof = TlogProof(extra: try entry(seq), index: seq, hashes: try tree.inclusionProof(index: seq, size: size), note: checked.note)
        try proof.inclusionProof(leafHash: tree.leafHash(seq)).verify()
        return proof
    }

    /// A consistency proof from `old` to `new` (both must describe this log). Checked before it is returned.
    public func consistencyProof(from old: Checkpoint, to new: Checkpoint) throws -> ConsistencyProof {
        try mustMatch(old)
        try mustMatch(new)
        guard old.size <= new.size else {
            throw KithVaultError.invalidInput("the first checkpoint covers \(old.size) entries, more than the second (\(new.size))", remedy: .swapCheckpoints)
        }
        let proof = ConsistencyProof(
            size1: old.size, size2: new.size, root1: old.root, root2: new.root,
            hashes: try tree.consistencyProof(from: old.size, to: new.size))
        try proof.verify()
        return proof
    }
}
