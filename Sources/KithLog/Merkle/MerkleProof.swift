/// Proof verification exactly as RFC 9162 sections 2.1.3.2 and 2.1.4.2
/// describe it, so proofs interoperate with any RFC 9162 tool. Needs only
/// hashes and sizes: no log, no keys.
public enum MerkleProof {
    /// Checks that `leafHash` is leaf `index` of the tree of `treeSize`
    /// leaves whose root is `root`.
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]) throws {
        guard index < treeSize else { throw KithLogError.invalidProof("entry \(index) cannot be in a tree of \(treeSize)") }
        guard proof.allSatisfy({ $0.count == MerkleHash.length }) else { throw KithLogError.invalidProof("a proof hash is not 32 bytes") }
        var fn = index, sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw KithLogError.invalidProof("the inclusion proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw KithLogError.invalidProof("the inclusion proof is too short for a tree of \(treeSize)") }
        guard r == root else { throw KithLogError.invalidProof("entry \(index) does not lead to the root of the tree of \(treeSize)") }
    }

    /// Checks that the tree of `oldSize` leaves with root `oldRoot` is a
    /// prefix of the tree of `newSize` leaves with root `newRoot`.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) throws {
        guard oldSize <= newSize else { throw KithLogError.invalidProof("the log shrank from \(oldSize) to \(newSize) entries") }
        guard proof.allSatisfy({ $0.count == MerkleHash.length }) else { throw KithLogError.invalidProof("a proof hash is not 32 bytes") }
        if oldSize == newSize {
            guard proof.isEmpty else { throw KithLogError.invalidProof("a proof between equal sizes must be empty") }
            guard oldRoot == newRoot else { throw KithLogError.invalidProof("two different trees of \(oldSize) entries (a fork)") }
            return
        }
        if oldSize == 0 {
            guard proof.isEmpty else { throw KithLogError.invalidProof("a proof from the empty tree must be empty") }
            return
        }
        guard !proof.isEmpty else { throw KithLogError.invalidProof("the consistency proof is empty") }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw KithLogError.invalidProof("the consistency proof is too long") }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw KithLogError.invalidProof("the consistency proof is too short") }
        guard fr == oldRoot else { throw KithLogError.invalidProof("the older tree of \(oldSize) entries is not a prefix of the newer one (history was rewritten)") }
        guard sr == newRoot else { throw KithLogError.invalidProof("the proof does not lead to the newer root of \(newSize) entries") }
    }
}
