/// An RFC 9162 consistency proof with its sizes and roots: that the tree of
/// `size1` leaves with root `root1` is a prefix of the tree of `size2`
/// leaves with root `root2` (nothing before `size1` was changed or removed).
///
/// JSON form: `{"size1", "size2", "root1", "root2", "proof": [...]}`,
/// hashes in standard base64.
public struct ConsistencyProof: Equatable, Sendable {
    /// The older tree's size.
    public let size1: UInt64
    /// The newer tree's size.
    public let size2: UInt64
    /// The older tree's root.
    public let root1: [UInt8]
    /// The newer tree's root.
    public let root2: [UInt8]
    /// The proof hashes.
    public let hashes: [[UInt8]]

    /// Collects a proof's parts (nothing is checked until `verify`).
    public init(size1: UInt64, size2: UInt64, root1: [UInt8], root2: [UInt8], hashes: [[UInt8]]) {
        self.size1 = size1
        self.size2 = size2
        self.root1 = root1
        self.root2 = root2
        self.hashes = hashes
    }

    /// Throws unless the older tree is a prefix of the newer (RFC 9162 2.1.4.2).
    public func verify() throws {
        try MerkleProof.verifyConsistency(oldSize: size1, newSize: size2, oldRoot: root1, newRoot: root2, proof: hashes)
    }

    static let jsonKeys: Set<String> = ["size1", "size2", "root1", "root2", "proof"]

    /// The JSON form, one line, keys sorted.
    public var json: String {
        ProofJSON.encode([
            "size1": size1, "size2": size2, "root1": NoteBase64.encode(root1), "root2": NoteBase64.encode(root2),
            "proof": hashes.map(NoteBase64.encode),
        ])
    }

    /// Reads the JSON form strictly.
    public init(json: [UInt8]) throws {
        let reader = try ProofJSON(json, what: "consistency proof", keys: Self.jsonKeys)
        self.init(
            size1: try reader.number("size1"), size2: try reader.number("size2"),
            root1: try reader.hash("root1"), root2: try reader.hash("root2"), hashes: try reader.hashes("proof"))
    }
}
