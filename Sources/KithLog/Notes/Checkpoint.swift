import Foundation

/// A C2SP tlog-checkpoint: origin, tree size and root hash, as the text of
/// a signed note. No extension lines are written; extension lines read are
/// kept so signatures still verify.
public struct Checkpoint: Equatable, Sendable {
    /// Names the log (for Kith: the vault).
    public let origin: String
    /// Number of entries.
    public let size: UInt64
    /// The RFC 9162 root of those entries.
    public let root: [UInt8]
    /// Opaque extension lines.
    public let extensions: [String]

    /// Makes a checkpoint.
    public init(origin: String, size: UInt64, root: [UInt8], extensions: [String] = []) throws {
        guard !origin.isEmpty, !origin.contains("\n") else { throw KithLogError.malformed("the origin line is empty") }
        guard root.count == MerkleHash.length else { throw KithLogError.malformed("the root hash is not 32 bytes") }
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The note text.
    public var text: String {
        ([origin, String(size), NoteBase64.encode(root)] + extensions).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint's note text strictly.
    public init(text: String) throws {
        guard text.hasSuffix("\n") else { throw KithLogError.malformed("a checkpoint ends with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3, lines.allSatisfy({ !$0.isEmpty }) else { throw KithLogError.malformed("a checkpoint has at least three non-empty lines") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else { throw KithLogError.malformed("tree size '\(lines[1])' is not a decimal number") }
        guard let root = NoteBase64.decode(lines[2]) else { throw KithLogError.malformed("root hash '\(lines[2])' is not base64") }
        try self.init(origin: lines[0], size: size, root: root, extensions: Array(lines.dropFirst(3)))
    }
}
