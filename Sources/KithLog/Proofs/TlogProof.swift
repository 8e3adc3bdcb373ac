/// A C2SP `tlog-proof@v1`: an entry's index, its inclusion proof, optional
/// extra data, and the signed checkpoint the proof leads to, in one
/// self-contained text that can be checked offline.
///
/// Kith puts the log entry's bytes in the `extra` line, so the verifier can
/// compute the leaf hash itself. (The spec says extra data is not
/// authenticated; here it needs no trust: it only counts if it hashes to a
/// leaf the proof places under a signed root.)
public struct TlogProof: Equatable, Sendable {
    /// The format's first line.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// Opaque extra data (Kith: the entry's bytes), if any.
    public let extra: [UInt8]?
    /// The entry's zero-based index.
    public let index: UInt64
    /// The inclusion proof, from the leaf's sibling up.
    public let hashes: [[UInt8]]
    /// The checkpoint as a signed note, verbatim.
    public let note: SignedNote

    /// Assembles a proof.
    public init(extra: [UInt8]?, index: UInt64, hashes: [[UInt8]], note: SignedNote) {
        self.extra = extra
        self.index = index
        self.hashes = hashes
        self.note = note
    }

    /// The checkpoint inside the note.
    public func checkpoint() throws -> Checkpoint { try Checkpoint(text: note.text) }

    /// The text form.
    public var text: String {
        var lines = [Self.header]
        if let extra { lines.append("extra " + NoteBase64.encode(extra)) }
        lines.append("index \(index)")
        lines += hashes.map(NoteBase64.encode)
        return lines.map { $0 + "\n" }.joined() + "\n" + note.encoded
    }

    /// Parses the text form strictly.
    public init(parsing raw: String) throws {
        guard raw.hasPrefix(Self.header + "\n") else { throw KithLogError.malformed("a tlog proof starts with the line \(Self.header)") }
        guard let blank = raw.range(of: "\n\n") else { throw KithLogError.malformed("no blank line before the proof's checkpoint") }
        var lines = raw[raw.startIndex..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        var extra: [UInt8]?
        if let first = lines.first, first.hasPrefix("extra ") {
            guard let bytes = NoteBase64.decode(String(first.dropFirst(6))) else { throw KithLogError.malformed("the extra line is not standard base64") }
            extra = bytes
            lines = lines.dropFirst()
        }
        guard let indexLine = lines.first, indexLine.hasPrefix("index "),
            let index = UInt64(indexLine.dropFirst(6)), String(index) == indexLine.dropFirst(6)
        else { throw KithLogError.malformed("the proof lacks an 'index N' line (N decimal, no leading zeroes)") }
        let hashLines = lines.dropFirst()
        guard hashLines.count <= MerkleProofLimits.maxHashes else { throw KithLogError.malformed("the proof holds more hashes than any tree needs") }
        let hashes = try hashLines.map { try ProofJSON.hash(String($0), "proof line") }
        let note = try SignedNote(parsing: String(raw[blank.upperBound...]))
        self.init(extra: extra, index: index, hashes: hashes, note: note)
    }

    /// The inclusion proof this text states, for `leafHash`, against the
    /// checkpoint's size and root.
    public func inclusionProof(leafHash: [UInt8]) throws -> InclusionProof {
        let checkpoint = try checkpoint()
        return InclusionProof(leafIndex: index, treeSize: checkpoint.size, leafHash: leafHash, root: checkpoint.root, hashes: hashes)
    }
}
