/// An append-only RFC 9162 Merkle tree that keeps complete subtrees' hashes
/// level by level: `levels[k][i - offsets[k]]` is the root of leaves
/// `i * 2^k ..< (i + 1) * 2^k`.
///
/// A tree built from every leaf keeps every complete subtree (2n hashes,
/// 64 MB for a million entries), so any root or proof needs O(log n) stored
/// hashes. A tree resumed from a frontier (`init(size:frontier:)`) keeps
/// only what lies on or after the right edge of the tree it resumed: it can
/// append, give its root at any size from the resumed size on, and give
/// proofs over what it appended; asking it for a node it never held is an
/// `outOfRange` error, never a wrong hash.
public struct MerkleTree: Sendable {
    private var levels: [[[UInt8]]] = [[]]
    /// The index of the first node held at each level (zero for a full tree).
    private var offsets: [UInt64] = [0]
    /// The number of leaves.
    public private(set) var size: UInt64 = 0
    /// Where a resumed tree finds complete subtrees it does not hold (the
    /// root of subtree `index` at `level`), or nil when nothing can. Proofs
    /// built with it are checked against a signed root before anyone sees
    /// them, so a wrong answer here is refused, never passed on.
    public var nodeSource: (@Sendable (_ level: Int, _ index: UInt64) throws -> [UInt8]?)?

    /// An empty tree.
    public init() {}

    /// A tree of these leaf hashes.
    public init(leafHashes: [[UInt8]]) {
        levels[0].reserveCapacity(leafHashes.count)
        for hash in leafHashes { append(leafHash: hash) }
    }

    /// A tree of `size` leaves known only by its frontier: the roots of the
    /// complete subtrees on its right edge, largest (leftmost) first, one per
    /// set bit of `size` (what `frontier` returns).
    public init(size: UInt64, frontier: [[UInt8]]) throws {
        guard frontier.count == size.nonzeroBitCount, frontier.allSatisfy({ $0.count == MerkleHash.length }) else {
            throw KithLogError.malformed("a tree frontier of \(size) leaves has \(size.nonzeroBitCount) hashes of \(MerkleHash.length) bytes")
        }
        let height = size == 0 ? 1 : 64 - size.leadingZeroBitCount
        levels = Array(repeating: [], count: height)
        offsets = (0..<height).map { size >> UInt64($0) }
        var next = frontier.makeIterator()
        for level in stride(from: height - 1, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            guard let hash = next.next() else { break }
            offsets[level] -= 1
            levels[level] = [hash]
        }
        self.size = size
    }

    /// The roots of the complete subtrees on the right edge, largest first:
    /// with `size`, all a client needs to append and compute new roots.
    public var frontier: [[UInt8]] {
        var hashes: [[UInt8]] = []
        var start: UInt64 = 0
        for bit in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(bit)) != 0 {
            let width = UInt64(1) << UInt64(bit)
            if let hash = node(level: bit, index: start >> UInt64(bit)) { hashes.append(hash) }
            start += width
        }
        return hashes
    }

    /// Appends a leaf by its hash (`MerkleHash.leaf(entry)`).
    public mutating func append(leafHash: [UInt8]) {
        levels[0].append(leafHash)
        size += 1
        var level = 0
        // Each time a level's node count becomes even, its last two make a node one level up.
        while (offsets[level] + UInt64(levels[level].count)) % 2 == 0, levels[level].count >= 2 {
            let count = levels[level].count
            let parent = MerkleHash.node(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 {
                levels.append([])
                offsets.append(0)
            }
            if levels[level + 1].isEmpty { offsets[level + 1] = (offsets[level] + UInt64(count)) / 2 - 1 }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// The complete subtrees held at `level` from `offset` on: (index of the
    /// first, their roots). A full tree holds them all; a resumed one those
    /// on or after its resumed frontier.
    public func heldNodes(level: Int) -> (first: UInt64, hashes: [[UInt8]]) {
        guard level < levels.count else { return (0, []) }
        return (offsets[level], levels[level])
    }

    /// The stored root of the complete subtree `index` at `level`, if held.
    private func node(level: Int, index: UInt64) -> [UInt8]? {
        guard level < levels.count, index >= offsets[level] else { return nil }
        let position = index - offsets[level]
        guard position < UInt64(levels[level].count) else { return nil }
        return levels[level][Int(position)]
    }

    /// The leaf hash at `index`.
    public func leafHash(_ index: UInt64) throws -> [UInt8] {
        guard index < size else { throw KithLogError.outOfRange("entry \(index) of a log of \(size)") }
        return try subtree(index, index + 1)
    }

    /// The root of the first `size` leaves (the whole tree by default).
    public func root(size requested: UInt64? = nil) throws -> [UInt8] {
        let n = requested ?? size
        guard n <= size else { throw KithLogError.outOfRange("a tree of \(n) entries; the log holds \(size)") }
        return n == 0 ? MerkleHash.empty : try subtree(0, n)
    }

    private func notHeld(_ start: UInt64, _ end: UInt64) -> KithLogError {
        .outOfRange("the hashes of entries \(start) to \(end - 1), which this copy of the tree resumed past")
    }

    /// MTH of leaves `start ..< end` (non-empty, within the tree): stored when
    /// it is a complete aligned subtree, otherwise split per RFC 9162.
    func subtree(_ start: UInt64, _ end: UInt64) throws -> [UInt8] {
        let n = end - start
        // Complete aligned subtrees are kept as they form; one that is not
        // kept lies before where this tree resumed and cannot be rebuilt.
        if n & (n - 1) == 0, start % n == 0 {
            let (level, index) = (n.trailingZeroBitCount, start / n)
            if let hash = node(level: level, index: index) { return hash }
            guard end <= size, let nodeSource, let hash = try nodeSource(level, index), hash.count == MerkleHash.length else { throw notHeld(start, end) }
            return hash
        }
        let k = MerkleHash.split(n)
        return MerkleHash.node(try subtree(start, start + k), try subtree(start + k, end))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves (RFC 9162 2.1.3.1): sibling hashes from the leaf up.
    public func inclusionProof(index: UInt64, size treeSize: UInt64) throws -> [[UInt8]] {
        guard treeSize <= size else { throw KithLogError.outOfRange("a tree of \(treeSize) entries; the log holds \(size)") }
        guard index < treeSize else { throw KithLogError.outOfRange("entry \(index) is not in a tree of \(treeSize)") }
        return try path(index, 0, treeSize)
    }

    private func path(_ m: UInt64, _ start: UInt64, _ end: UInt64) throws -> [[UInt8]] {
        let n = end - start
        guard n > 1 else { return [] }
        let k = MerkleHash.split(n)
        if m < k { return try path(m, start, start + k) + [subtree(start + k, end)] }
        return try path(m - k, start + k, end) + [subtree(start, start + k)]
    }

    /// The consistency proof from the tree of `oldSize` leaves to the tree of
    /// `newSize` leaves (RFC 9162 2.1.4.1).
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [[UInt8]] {
        guard newSize <= size else { throw KithLogError.outOfRange("a tree of \(newSize) entries; the log holds \(size)") }
        guard oldSize <= newSize else { throw KithLogError.outOfRange("size \(oldSize) is larger than \(newSize)") }
        guard oldSize > 0, oldSize < newSize else { return [] }
        return try subproof(oldSize, 0, newSize, true)
    }

    private func subproof(_ m: UInt64, _ start: UInt64, _ end: UInt64, _ fromOldRoot: Bool) throws -> [[UInt8]] {
        let n = end - start
        if m == n { return fromOldRoot ? [] : [try subtree(start, end)] }
        let k = MerkleHash.split(n)
        if m <= k { return try subproof(m, start, start + k, fromOldRoot) + [subtree(start + k, end)] }
        return try subproof(m - k, start + k, end, false) + [subtree(start, start + k)]
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
        var bits = (0..<64).reversed().filter { size & (1 << UInt64($0)) != 0 }.makeIterator()
        for hash in frontier {
            guard let height = bits.next() else { break }
            stack.append((height, hash))
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
