/// Where an attachment's plaintext comes from as it is sealed: a file, or
/// a web upload. `read` fills the buffer whole, and fewer bytes only at the
/// end (0 once nothing is left); throwing stops the attachment, leaving nothing.
public protocol PlaintextSource: AnyObject {
    /// The next bytes, as many as fit unless the end came first.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Where an attachment's plaintext goes as it is opened: a file being
/// written, or a web response. `write` is called from one thread at a time,
/// in order, possibly not the caller's; throwing stops the read.
public protocol PlaintextSink: AnyObject {
    /// The next bytes of the file (the buffer is reused after the call).
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// An attachment whose read is already logged (`Vault.openAttachment`):
/// `read(into:)` checks and decrypts it chunk by chunk into a sink. Each
/// chunk is authenticated before it is written; the file's length and hash
/// are checked at the end, so a sink learns of a damaged or cut file by
/// `read` throwing, after the chunks that did authenticate.
public final class AttachmentReader {
    /// Its name, size and who attached it.
    public let info: AttachmentInfo
    private let id: RecordID
    private let source: AttachmentSource
    private let key: KeyBox
    private let hash: [UInt8]
    private let size: UInt64
    private var used = false

    init(info: AttachmentInfo, id: RecordID, source: AttachmentSource, key: KeyBox, hash: [UInt8], size: UInt64) {
        self.info = info
        self.id = id
        self.source = source
        self.key = key
        self.hash = hash
        self.size = size
    }

    /// Opens the file into `sink`, once.
    public func read(into sink: any PlaintextSink) throws {
        guard !used else { throw KithVaultError.invalidInput("attachment \(id) was read already; open it again") }
        used = true
        try Vault.open(source, into: sink, key: key, id: id, expectedHash: hash, expectedSize: size)
    }
}
