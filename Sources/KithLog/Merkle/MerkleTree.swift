/// An append-only RFC 9162 Merkle tree that keeps every complete subtree's
/// hash, level by level: `levels[k][i]` is the root of leaves
/// `i * 2^k ..< (i + 1) * 2^k`. Any root, inclusion proof or consistency
/// proof then needs O(log n) stored hashes and no rehashing of the log.
/// It holds 2n hashes in all (64 MB for a million entries).
public struct MerkleTree: Sendable {
    private var levels: [[[UInt8]]] = [[]]

    /// An empty tree.
    public init() {}

    /// A tree of these leaf hashes.
    public init(leafHashes: [[UInt8]]) {
        levels[0].reserveCapacity(leafHashes.count)
        for hash in leafHashes { append(leafHash: hash) }
    }

    /// The number of leaves.
    public var size: UInt64 { UInt64(levels[0].count) }

    /// Appends a leaf by its hash (`MerkleHash.leaf(entry)`).
    public mutating func append(leafHash: [UInt8]) {
        levels[0].append(leafHash)
        var level = 0
        // Each time a level gets an even count, its last two make a node one level up.
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = MerkleHash.node(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// The leaf hash at `index`.
    public func leafHash(_ index: UInt64) throws -> [UInt8] {
        guard index < size else { throw KithLogError.outOfRange("entry \(index) of a log of \(size)") }
        return levels[0][Int(index)]
    }

    /// The root of the first `size` leaves (the whole tree by default).
    public func root(size requested: UInt64? = nil) throws -> [UInt8] {
        let n = requested ?? size
        guard n <= size else { throw KithLogError.outOfRange("a tree of \(n) entries; the log holds \(size)") }
        return n == 0 ? MerkleHash.empty : subtree(0, n)
    }

    /// MTH of leaves `start ..< end` (non-empty, within the tree): stored when
    /// it is a complete aligned subtree, otherwise split per RFC 9162.
    func subtree(_ start: UInt64, _ end: UInt64) -> [UInt8] {
        let n = end - start
        if n & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            if start % n == 0, level < levels.count {
                let index = Int(start / n)
                if index < levels[level].count { return levels[level][index] }
            }
        }
        if n == 1 { return levels[0][Int(start)] }
        let k = MerkleHash.split(n)
        return MerkleHash.node(subtree(start, start + k), subtree(start + k, end))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves (RFC 9162 2.1.3.1): sibling hashes from the leaf up.
    public func inclusionProof(index: UInt64, size treeSize: UInt64) throws -> [[UInt8]] {
        guard treeSize <= size else { throw KithLogError.outOfRange("a tree of \(treeSize) entries; the log holds \(size)") }
        guard index < treeSize else { throw KithLogError.outOfRange("entry \(index) is not in a tree of \(treeSize)") }
        return path(index, 0, treeSize)
    }

    private func path(_ m: UInt64, _ start: UInt64, _ end: UInt64) -> [[UInt8]] {
        let n = end - start
        guard n > 1 else { return [] }
        let k = MerkleHash.split(n)
        if m < k { return path(m, start, start + k) + [subtree(start + k, end)] }
        return path(m - k, start + k, end) + [subtree(start, start + k)]
    }

    /// The consistency proof from the tree of `oldSize` leaves to the tree of
    /// `newSize` leaves (RFC 9162 2.1.4.1).
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [[UInt8]] {
        guard newSize <= size else { throw KithLogError.outOfRange("a tree of \(newSize) entries; the log holds \(size)") }
        guard oldSize <= newSize else { throw KithLogError.outOfRange("size \(oldSize) is larger than \(newSize)") }
        guard oldSize > 0, oldSize < newSize else { return [] }
        return subproof(oldSize, 0, newSize, true)
    }

    private func subproof(_ m: UInt64, _ start: UInt64, _ end: UInt64, _ fromOldRoot: Bool) -> [[UInt8]] {
        let n = end - start
        if m == n { return fromOldRoot ? [] : [subtree(start, end)] }
        let k = MerkleHash.split(n)
        if m <= k { return subproof(m, start, start + k, fromOldRoot) + [subtree(start + k, end)] }
        return subproof(m - k, start + k, end, false) + [subtree(start, start + k)]
    }
}

extension MerkleTree {
    /// The root the tree would have after appending `leafHashes`, without
    /// changing it: built from the O(log n) complete subtrees on the tree's
    /// right edge, so a writer can sign the next checkpoint before its
    /// append lands.
    public func root(appending leafHashes: [[UInt8]]) -> [UInt8] {
        // The right edge: one complete subtree per set bit of the size, largest first.
        var stack: [(height: Int, hash: [UInt8])] = []
        var start: UInt64 = 0
        for bit in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(bit)) != 0 {
            let width = UInt64(1) << UInt64(bit)
            stack.append((bit, subtree(start, start + width)))
            start += width
        }
        for leaf in leafHashes {
            var item = (height: 0, hash: leaf)
            while let last = stack.last, last.height == item.height {
                stack.removeLast()
                item = (item.height + 1, MerkleHash.node(last.hash, item.hash))
            }
            stack.append(item)
        }
        guard var root = stack.popLast()?.hash else { return MerkleHash.empty }
        while let left = stack.popLast() { root = MerkleHash.node(left.hash, root) }
        return root
    }
}
