import KithCrypto
import Testing
@testable import KithLog

/// A brute-force reference: RFC 9162 section 2.1 written as literally as
/// possible, recomputing everything from the leaves every time.
enum Reference {
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leaves.count {
        case 0: return SHA256.hash([])
        case 1: return SHA256.hash([0] + (leaves.first ?? []))
        default:
            let k = Int(MerkleHash.split(UInt64(leaves.count)))
            return SHA256.hash([1] + mth(leaves.prefix(k)) + mth(leaves.dropFirst(k)))
        }
    }

    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        let k = Int(MerkleHash.split(UInt64(leaves.count)))
        if m < k { return path(m, leaves.prefix(k)) + [mth(leaves.dropFirst(k))] }
        return path(m - k, leaves.dropFirst(k)) + [mth(leaves.prefix(k))]
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        let n = leaves.count
        if m == n { return b ? [] : [mth(leaves)] }
        let k = Int(MerkleHash.split(UInt64(n)))
        if m <= k { return subproof(m, leaves.prefix(k), b) + [mth(leaves.dropFirst(k))] }
        return subproof(m - k, leaves.dropFirst(k), false) + [mth(leaves.prefix(k))]
    }
}

@Suite("RFC 9162 Merkle tree and proofs")
struct MerkleTests {
    /// The eight leaves of the certificate-transparency test data, with the
    /// roots of their prefixes (also recomputed with Python's hashlib).
    static let leaves: [[UInt8]] = [[], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43], Array(0x50...0x57), Array(0x60...0x6f)]
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4", "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c", "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test("known roots of small trees, and the empty tree")
    func knownRoots() throws {
        let tree = MerkleTree(leafHashes: Self.leaves.map(MerkleHash.leaf))
        for size in 1...8 {
            #expect(Hex.encode(try tree.root(size: UInt64(size))) == Self.roots[size - 1])
        }
        #expect(Hex.encode(try tree.root(size: 0)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("every root, inclusion proof and consistency proof up to 64 leaves matches brute force and verifies")
    func bruteForce() throws {
        let leaves = (0..<64).map { [UInt8(truncatingIfNeeded: $0), 0xAB] }
        let tree = MerkleTree(leafHashes: leaves.map(MerkleHash.leaf))
        for size in 1...64 {
            let root = try tree.root(size: UInt64(size))
            #expect(root == Reference.mth(leaves.prefix(size)))
            for index in 0..<size {
                let proof = try tree.inclusionProof(index: UInt64(index), size: UInt64(size))
                #expect(proof == Reference.path(index, leaves.prefix(size)))
                try MerkleProof.verifyInclusion(leafHash: MerkleHash.leaf(leaves[index]), index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root)
            }
            for old in 1...size {
                let proof = try tree.consistencyProof(from: UInt64(old), to: UInt64(size))
                #expect(proof == (old == size ? [] : Reference.subproof(old, leaves.prefix(size), true)))
                try MerkleProof.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: tree.root(size: UInt64(old)), newRoot: root, proof: proof)
            }
        }
    }

    @Test("bad inclusion proofs are refused: wrong sibling, wrong size, wrong index, truncated, extra element")
    func badInclusion() throws {
        let leaves = (0..<13).map { [UInt8($0)] }
        let tree = MerkleTree(leafHashes: leaves.map(MerkleHash.leaf))
        let root = try tree.root()
        for index in 0..<13 {
            let proof = try tree.inclusionProof(index: UInt64(index), size: 13)
            let leaf = MerkleHash.leaf(leaves[index])
            var wrongSibling = proof
            wrongSibling[0][0] ^= 1
            let cases: [(UInt64, UInt64, [[UInt8]])] = [
                // A size whose tree has another shape (RFC 9162 proofs do not carry the size: the signed checkpoint binds it,
                // so a neighbouring size of the same shape would verify against this root, and that is as specified).
                (UInt64(index), 13, wrongSibling), (UInt64(index), 2, proof), (UInt64(index), 64, proof),
                (UInt64((index + 1) % 13), 13, proof), (UInt64(index), 13, Array(proof.dropLast())),
                (UInt64(index), 13, proof + [root]), (UInt64(index), 13, proof.map { Array($0.dropLast()) }), (13, 13, proof),
            ]
            for (i, size, bad) in cases {
                #expect(throws: KithLogError.self) { try MerkleProof.verifyInclusion(leafHash: leaf, index: i, treeSize: size, proof: bad, root: root) }
            }
        }
    }

    @Test("bad consistency proofs are refused, and a fork of the same size is caught")
    func badConsistency() throws {
        let leaves = (0..<21).map { [UInt8($0)] }
        let tree = MerkleTree(leafHashes: leaves.map(MerkleHash.leaf))
        var forkedLeaves = leaves
        forkedLeaves[3] = [0xFF]
        let fork = MerkleTree(leafHashes: forkedLeaves.map(MerkleHash.leaf))
        for old in 1..<21 {
            let proof = try tree.consistencyProof(from: UInt64(old), to: 21)
            let oldRoot = try tree.root(size: UInt64(old)), newRoot = try tree.root()
            var wrong = proof
            wrong[wrong.count - 1][5] ^= 0x80
            let cases: [(UInt64, UInt64, [[UInt8]], [UInt8])] = [
                (UInt64(old), 21, wrong, oldRoot), (UInt64(old), 21, Array(proof.dropLast()), oldRoot), (UInt64(old), 21, proof + [newRoot], oldRoot),
                (UInt64(old), 64, proof, oldRoot), (UInt64(old), UInt64(old), proof, oldRoot), (21, UInt64(old), proof, oldRoot),
            ]
            for (m, n, bad, first) in cases {
                #expect(throws: KithLogError.self) { try MerkleProof.verifyConsistency(oldSize: m, newSize: n, oldRoot: first, newRoot: newRoot, proof: bad) }
            }
            // The rewritten history: the forked tree's old root is not a prefix of this log.
            if old > 3 {
                #expect(throws: KithLogError.self) {
                    try MerkleProof.verifyConsistency(oldSize: UInt64(old), newSize: 21, oldRoot: fork.root(size: UInt64(old)), newRoot: newRoot, proof: proof)
                }
            }
        }
        #expect(throws: KithLogError.self) { try MerkleProof.verifyConsistency(oldSize: 21, newSize: 21, oldRoot: fork.root(), newRoot: tree.root(), proof: []) }
        #expect(throws: KithLogError.self) { _ = try tree.inclusionProof(index: 21, size: 21) }
        #expect(throws: KithLogError.self) { _ = try tree.root(size: 22) }
    }
}

@Suite("Signing the next root before appending")
struct NextRootTests {
    @Test("root(appending:) equals the root after appending, for every split up to 40")
    func nextRoot() throws {
        let leaves = (0..<40).map { MerkleHash.leaf([UInt8($0)]) }
        for size in 0...40 {
            let tree = MerkleTree(leafHashes: Array(leaves.prefix(size)))
            for more in 0...(40 - size) {
                let expected = try MerkleTree(leafHashes: Array(leaves.prefix(size + more))).root()
                #expect(tree.root(appending: Array(leaves[size..<size + more])) == expected)
            }
        }
    }
}

@Suite("A tree resumed from its frontier")
struct ResumedTreeTests {
    static let leaves = (0..<70).map { MerkleHash.leaf([UInt8($0), 0x6b]) }

    @Test("Appending to a resumed tree gives the same roots and proofs as the full tree", arguments: [0, 1, 2, 3, 7, 8, 13, 16, 31, 33, 64])
    func resumedMatchesFull(resumeAt: Int) throws {
        let full = MerkleTree(leafHashes: Self.leaves)
        let prefix = MerkleTree(leafHashes: Array(Self.leaves.prefix(resumeAt)))
        var resumed = try MerkleTree(size: UInt64(resumeAt), frontier: prefix.frontier)
        #expect(resumed.size == UInt64(resumeAt))
        #expect(try resumed.root() == prefix.root())
        for leaf in Self.leaves[resumeAt...] { resumed.append(leafHash: leaf) }
        #expect(resumed.size == full.size)
        #expect(resumed.frontier == full.frontier)
        for size in UInt64(resumeAt)...full.size {
            #expect(try resumed.root(size: size) == full.root(size: size))
            // Consistency from any size the resumed tree has seen to any later one.
            for old in UInt64(max(resumeAt, 1))..<size + 1 where old <= size {
                #expect(try resumed.consistencyProof(from: old, to: size) == full.consistencyProof(from: old, to: size))
            }
        }
        for index in UInt64(resumeAt)..<full.size {
            #expect(try resumed.inclusionProof(index: index, size: full.size) == full.inclusionProof(index: index, size: full.size))
        }
    }

    @Test("What a resumed tree never held is an error, not a wrong hash")
    func missingNodesThrow() throws {
        let prefix = MerkleTree(leafHashes: Array(Self.leaves.prefix(13)))
        var resumed = try MerkleTree(size: 13, frontier: prefix.frontier)
        for leaf in Self.leaves[13..<20] { resumed.append(leafHash: leaf) }
        #expect(throws: KithLogError.self) { _ = try resumed.root(size: 5) }
        #expect(throws: KithLogError.self) { _ = try resumed.leafHash(3) }
        #expect(throws: KithLogError.self) { _ = try resumed.inclusionProof(index: 2, size: 20) }
        #expect(throws: KithLogError.self) { _ = try resumed.consistencyProof(from: 4, to: 20) }
    }

    @Test("A frontier of the wrong shape is refused", arguments: [(5, 1), (5, 3), (8, 0), (0, 1)])
    func badFrontier(size: Int, hashes: Int) {
        let frontier = Array(Self.leaves.prefix(hashes))
        #expect(throws: KithLogError.self) { _ = try MerkleTree(size: UInt64(size), frontier: frontier) }
        #expect(throws: KithLogError.self) { _ = try MerkleTree(size: 3, frontier: [[1, 2, 3], [4]]) }
    }
}
