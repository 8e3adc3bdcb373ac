/// An RFC 9162 inclusion proof with everything needed to check it: that
/// leaf `leafIndex`, whose hash is `leafHash`, is in the tree of `treeSize`
/// leaves whose root is `root`.
///
/// JSON form: `{"leaf_index", "tree_size", "leaf_hash", "root", "proof": [...]}`,
/// hashes in standard base64.
public struct InclusionProof: Equatable, Sendable {
    /// The leaf's position (for Kith: the log entry's sequence number).
    public let leafIndex: UInt64
    /// The tree the proof is for.
    public let treeSize: UInt64
    /// `SHA-256(0x00 || entry bytes)`.
    public let leafHash: [UInt8]
    /// The root of the tree of `treeSize` leaves.
    public let root: [UInt8]
    /// The audit path, from the leaf's sibling up.
    public let hashes: [[UInt8]]

    /// Collects a proof's parts (nothing is checked until `verify`).
    public init(leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], root: [UInt8], hashes: [[UInt8]]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.leafHash = leafHash
        self.root = root
        self.hashes = hashes
    }

    /// Throws unless the path leads from the leaf to the root (RFC 9162 2.1.3.2).
    public func verify() throws {
        try MerkleProof.verifyInclusion(leafHash: leafHash, index: leafIndex, treeSize: treeSize, proof: hashes, root: root)
    }

    static let jsonKeys: Set<String> = ["leaf_index", "tree_size", "leaf_hash", "root", "proof"]

    /// The JSON form, one line, keys sorted.
    public var json: String {
        ProofJSON.encode([
            "leaf_index": leafIndex, "tree_size": treeSize, "leaf_hash": NoteBase64.encode(leafHash),
            "root": NoteBase64.encode(root), "proof": hashes.map(NoteBase64.encode),
        ])
    }

    /// Reads the JSON form strictly.
    public init(json: [UInt8]) throws {
        let reader = try ProofJSON(json, what: "inclusion proof", keys: Self.jsonKeys)
        self.init(
            leafIndex: try reader.number("leaf_index"), treeSize: try reader.number("tree_size"),
            leafHash: try reader.hash("leaf_hash"), root: try reader.hash("root"), hashes: try reader.hashes("proof"))
    }
}
