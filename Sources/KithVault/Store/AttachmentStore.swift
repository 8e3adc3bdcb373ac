/// Where an attachment's sealed bytes go while they are written. Nothing
/// is visible under the attachment's id until `finish()`; an abandoned
/// write leaves nothing behind.
public protocol AttachmentSink: AnyObject, Sendable {
    /// Appends sealed bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes the bytes durable and visible under the attachment's id. The
    /// log entry that names the attachment is committed only after this.
    func finish() throws
    /// Removes whatever was written, finished or not (the commit that would
    /// have named it failed). Never throws: it is called on error paths.
    func discard()
}

/// A stored attachment's sealed bytes, read from the start.
public protocol AttachmentSource: AnyObject {
    /// Reads up to `buffer.count` bytes and returns how many; fewer only at
    /// the end, 0 once there is nothing left.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Sealed attachment bytes, kept apart from the log and the records because
/// they can be far larger than anything else. An engine stores them where
/// it stores best (SQLite: files in a folder beside the vault file).
public protocol AttachmentStore: AnyObject, Sendable {
    /// Starts writing the attachment `id`; refuses an id already stored.
    func newAttachment(_ id: Identifier) throws -> AttachmentSink
    /// The stored attachment `id`, or nil when it is not there.
    func openAttachment(_ id: Identifier) throws -> AttachmentSource?
    /// Overwrites and removes the attachments `ids` (their records were
    /// erased); returns how many were still there. One already gone is
    /// not an error, so a second call after a crash finishes the first.
    @discardableResult
    func erase(_ ids: [Identifier]) throws -> Int
}
