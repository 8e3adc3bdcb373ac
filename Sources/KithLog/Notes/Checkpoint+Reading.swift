extension Checkpoint {
    /// Reads a checkpoint given either as a signed note or as the bare
    /// checkpoint text Kith keeps on the client. A blank line marks a signed
    /// note, which is then parsed strictly (a damaged note is an error, not
    /// bare text).
    public static func read(noteOrText raw: String) throws -> (note: SignedNote?, checkpoint: Checkpoint) {
        guard raw.contains("\n\n") else { return (nil, try Checkpoint(text: raw)) }
        let note = try SignedNote(parsing: raw)
        return (note, try Checkpoint(text: note.text))
    }
}
