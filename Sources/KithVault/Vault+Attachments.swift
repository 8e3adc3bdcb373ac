import Foundation
import KithCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An attachment as a reader sees it (from its record; the file itself is
/// written out by `Vault.saveAttachment`).
public struct AttachmentInfo: Sendable {
    /// The attachment's record id.
    public let id: RecordID
    /// The case it belongs to.
    public let caseID: RecordID
    /// The file's name when it was attached; nil when the reader's role may
    /// not read its compartment (the attachment is listed as withheld).
    public let name: String?
    /// The file's size in bytes; nil when withheld.
    public let size: UInt64?
    /// Who attached it.
    public let author: String
    /// When (ms since 1970).
    public let timeMillis: UInt64
    /// The compartment whose readers may open it.
    public let compartment: Compartment

    /// Whether the reader's role may not open it: it is listed, by who and
    /// when, but its name and size stay sealed.
    public var withheld: Bool { name == nil }
}

/// The stored form of an attachment: a fixed header, then the file as a
/// libsodium secret stream of `chunkSize` pieces, the last one tagged final.
///
///     "KITHATT2" (8) | chunk size, u32 big-endian | stream header (24) | chunks
///
/// Format 2 pads the plaintext with zero bytes to `paddedSize` (the exact
/// size is in the sealed record), so the stored file tells a thief only
/// its bucket: a power of two from 4 KiB up to 1 MiB, then a whole number
/// of MiB. Format 1 ("KITHATT1", unpadded) is still read.
///
/// The record (signed by the attacher and committed to by the log) holds a
/// hash of these stored bytes, so neither the server nor another key
/// holder can swap the file for a different one:
///
///     h_i  = BLAKE2b-256("kith-att-chunk", i as u64 big-endian || stored chunk i)
///     hash = BLAKE2b-256("kith-attachment", header || h_0 || h_1 || ...)
///
/// Chunks are hashed one by one so both cores can share the hashing:
/// BLAKE2b runs at about half the speed of the encryption.
enum AttachmentFormat {
    static let magic = Array("KITHATT2".utf8)
    /// Files sealed before attachments were padded.
    static let unpaddedMagic = Array("KITHATT1".utf8)

    /// The largest attachment a record may name (1 TiB): more is a modified client's.
    static let maxSize: UInt64 = 1 << 40

    /// The plaintext length a file of `size` bytes is padded to.
    static func paddedSize(_ size: UInt64) -> UInt64 {
        let mebibyte = UInt64(1 << 20)
        if size > mebibyte {
            // No trap near UInt64.max (a record naming such a size is refused before it gets here anyway).
            let (rounded, overflow) = (size / mebibyte + (size % mebibyte == 0 ? 0 : 1)).multipliedReportingOverflow(by: mebibyte)
            return overflow ? .max : rounded
        }
        var bucket: UInt64 = 4096
        while bucket < size { bucket *= 2 }
        return bucket
    }

    /// Plaintext bytes per chunk: large enough that per-chunk costs vanish,
    /// small enough that memory stays flat whatever the file's size.
    static let chunkSize = 1 << 20
    static let hashPersonal = Array("kith-attachment".utf8)
    static let chunkHashPersonal = Array("kith-att-chunk".utf8)
    static var headerLength: Int { magic.count + 4 + SecretStream.headerLength }

    /// Field names inside the attachment's record.
    static let nameField = "name", sizeField = "size", hashField = "sealed-blake2b", chunkField = "chunk"
}

extension Vault {
    /// Attaches the file at `path` to a case: the file is sealed in chunks
    /// (never held whole in memory) under a key derived from the new
    /// record's own key, stored, flushed to disk, and only then named by a
    /// signed record in the log. On any failure nothing is left behind.
    /// `compartment` decides who may open it (default: notes).
    @discardableResult
    public func addAttachment(caseID: RecordID, file path: String, name: String? = nil, compartment: Compartment = .notes) throws -> RecordID {
        let fileName = name ?? URL(fileURLWithPath: path).lastPathComponent
        return try addAttachment(caseID: caseID, from: try InputFile(path: path), name: fileName, compartment: compartment)
    }

    /// Attaches what `source` gives, named `name`, as `addAttachment(caseID:file:)`
    /// does a file: sealed chunk by chunk as it arrives (a web upload), never
    /// held whole or written anywhere in plaintext. A source that throws part
    /// way leaves nothing behind.
    @discardableResult
    public func addAttachment(caseID: RecordID, from input: any PlaintextSource, name fileName: String, compartment: Compartment = .notes) throws -> RecordID {
        let record = try recordState(caseID, orElse: "case \(caseID)", remedy: .listCases)
        guard record.kind == .case else { throw KithVaultError.invalidInput("\(caseID) is a \(record.kind) record, not a case; files attach to cases") }
        _ = try role(in: record.group)
        if let refusal = Rights.write(state, group: record.group, actor: me, compartment: compartment) {
            throw KithVaultError.accessDenied(refusal.reason(group: groupName(record.group)))
        }
        let id = try RecordID.random()
        let recordKey = KeyBox(try SecureBytes(randomCount: 32))
        let sink = try store.attachments.newAttachment(id)
        do {
            let sealed = try Self.seal(PaddedInput(input, padded: !sealsUnpaddedAttachmentsForTesting), to: sink, key: recordKey, id: id)
            try sink.finish()
            let fields = [
                try RecordField(compartment: compartment, name: AttachmentFormat.nameField, value: fileName),
                try RecordField(compartment: compartment, name: AttachmentFormat.sizeField, value: String(sealed.size)),
                try RecordField(compartment: compartment, name: AttachmentFormat.hashField, value: Hex.encode(sealed.hash)),
                try RecordField(compartment: compartment, name: AttachmentFormat.chunkField, value: String(AttachmentFormat.chunkSize)),
            ]
            let draft = RecordDraft(
                id: id, version: 1, kind: .attachment, parent: caseID, fields: fields, action: "attached a file", recordKey: recordKey)
            try write(group: record.group) { [draft] }
        } catch let error as KithVaultError where error.remedy == .checkLogBeforeRetrying {
            // The entry naming the file may have landed: its bytes stay (an
            // orphan costs space; a log entry naming missing bytes loses the file).
            throw error
        } catch {
            sink.discard()
            throw error
        }
        return id
    }

    /// Checks attachment `id` (its record's signature and the log's
    /// commitment, then every chunk and the stored file's hash) while
    /// writing the file to `path`, which must not exist yet. The read is
    /// logged before any plaintext is written. The file appears (mode 0600)
    /// only once everything checked; on failure nothing is left at `path`.
    @discardableResult
    public func saveAttachment(_ id: RecordID, to path: String) throws -> AttachmentInfo {
        guard access(path, F_OK) != 0 else {
            throw KithVaultError.invalidInput("\(path) already exists and was left untouched", remedy: .chooseNewFile)
        }
        var output: OutputFile?
        defer { output?.abandon() }
        // The file is made (privately) before the read is logged, so a folder that cannot take it logs nothing.
        let reader = try openAttachment(id, action: "saved attachment") {
            output = try OutputFile(path: path, partials: memory.map { PartialFiles(stateDirectory: $0.directory) })
        }
        guard let output else { throw KithVaultError.storage("the file for attachment \(id) was not made") }
        try reader.read(into: output)
        try output.publish()
        return reader.info
    }

    /// Opens attachment `id` for reading into a sink of the caller's (a web
    /// response): checks what `saveAttachment` checks, logs the read
    /// (`action` names it in the log's details), and returns a reader whose
    /// `read(into:)` streams the plaintext. Nothing is decrypted before the
    /// read is logged; `beforeLogging` runs just before (to prepare the
    /// sink, so that a sink that cannot be made logs nothing).
    public func openAttachment(_ id: RecordID, action: String = "opened attachment", beforeLogging: () throws -> Void = {}) throws -> AttachmentReader {
        let (info, recordKey, hash) = try attachment(id)
        // attachment(_:) refuses one the reader may not open, so both are known here.
        guard info.name != nil, let size = info.size else { throw KithVaultError.accessDenied("attachment \(id) is withheld from your role") }
        guard let source = try store.attachments.openAttachment(id) else {
            throw KithVaultError.integrity("the file of attachment \(id) is missing from the vault's attachment store; restore it from a backup")
        }
        let groupID = try recordState(id, orElse: "attachment \(id)").group
        let group = groupName(groupID)
        if info.compartment == .sensitive { try requireReason(.sensitiveReads, group: groupID) }
        try beforeLogging()
        try commit { _ in
            [
                PendingEntry(
                    body: .recordRead(record: id, version: 1),
                    details: [("action", action), ("group", group), ("fields", AttachmentFormat.nameField), ("compartments", info.compartment.description)] + reasonDetail)
            ]
        }
        return AttachmentReader(info: info, id: id, source: source, key: recordKey, hash: hash, size: size)
    }

    /// The attachments of a case, oldest first (their names are read from
    /// their records, and each read is logged like a note's). One sealed in
    /// a compartment the reader's role may not read is listed as withheld,
    /// as a field is: checked against the log and its author's signature,
    /// but neither decrypted nor logged as read.
    public func attachments(caseID: RecordID) throws -> [AttachmentInfo] {
        let record = try recordState(caseID, orElse: "case \(caseID)", remedy: .listCases)
        guard record.kind == .case else { throw KithVaultError.invalidInput("\(caseID) is a \(record.kind) record, not a case") }
        _ = try role(in: record.group)
        let views = try children(of: caseID, kind: .attachment).map { try readWithoutLogging($0, version: nil) }
        try logReads(views.filter { $0.withheld.isEmpty }, verb: "read")
        return try views.map { view in
            if let compartment = view.withheld.first {
                return AttachmentInfo(
                    id: view.id, caseID: caseID, name: nil, size: nil, author: view.author, timeMillis: view.timeMillis, compartment: compartment)
            }
            return try Self.info(of: view, caseID: caseID).info
        }
    }

    /// The checked record of attachment `id`, its record key and the stored
    /// file's expected hash.
    func attachment(_ id: RecordID) throws -> (AttachmentInfo, KeyBox, [UInt8]) {
        let record = try recordState(id, orElse: "attachment \(id)", remedy: .listAttachments)
        guard record.kind == .attachment, let caseID = record.parent else {
            throw KithVaultError.invalidInput("\(id) is a \(record.kind) record, not an attachment", remedy: .showRecord)
        }
        let view = try readWithoutLogging(id, version: 1)
        if let withheld = view.withheld.first {
            throw KithVaultError.accessDenied("this attachment is sealed in the \(withheld) compartment, which your role in \(view.group) may not read")
        }
        let (info, hash) = try Self.info(of: view, caseID: caseID)
        // readWithoutLogging checked these bytes against the log and the author's signature.
        guard let bytes = try store.record(id, version: 1) else { throw KithVaultError.integrity("record \(id) is missing from the store") }
        let stored = try StoredRecord.decode(bytes)
        guard stored.parts.count == 1, let part = stored.parts.first else {
            throw KithVaultError.integrity("attachment \(id) is not sealed in exactly one compartment")
        }
        let key = KeyBox(try recordKey(part, record: stored, label: "attachment \(id)"))
        return (info, key, hash)
    }

    private static func info(of view: RecordView, caseID: RecordID) throws -> (info: AttachmentInfo, hash: [UInt8]) {
        let field = { (name: String) in view.fields.first(where: { $0.name == name }) }
        guard let name = field(AttachmentFormat.nameField), let sizeText = field(AttachmentFormat.sizeField)?.value,
            let size = UInt64(sizeText), size <= AttachmentFormat.maxSize, let hashText = field(AttachmentFormat.hashField)?.value,
            let hash = try? Hex.decode(hashText), hash.count == 32,
            field(AttachmentFormat.chunkField)?.value == String(AttachmentFormat.chunkSize)
        else {
            throw KithVaultError.integrity("attachment \(view.id)'s record lacks its name, size, hash or chunk size")
        }
        let info = AttachmentInfo(
            id: view.id, caseID: caseID, name: name.value, size: size, author: view.author, timeMillis: view.timeMillis,
            compartment: name.compartment)
        return (info, hash)
    }

    // MARK: Streaming

    /// The file key: a subkey of the record key, so that only those who can
    /// unwrap the record can open the file, and a rewrap keeps it working.
    private static func fileKey(_ recordKey: KeyBox) throws -> SecureBytes {
        try KeyDerivation.deriveSubkey(from: recordKey.key, id: 1, context: "kithfile")
    }

    private static func chunkAAD(_ id: RecordID) -> [UInt8] {
        Array(AEADContext.attachmentChunk.utf8) + [0] + id.bytes
    }

    /// Seals `input` into `sink`; returns the plaintext size and the hash
    /// of everything written. This thread reads and encrypts; a second one
    /// hashes and writes (see `ChunkPipeline`).
    static func seal(_ input: PaddedInput, to sink: AttachmentSink, key recordKey: KeyBox, id: RecordID) throws -> (size: UInt64, hash: [UInt8]) {
        let fileKey = try fileKey(recordKey)
        var pusher = try SecretStreamPusher(key: fileKey)
        let chunkSize = AttachmentFormat.chunkSize
        let header =
            (input.padded ? AttachmentFormat.magic : AttachmentFormat.unpaddedMagic) + [
                UInt8(truncatingIfNeeded: chunkSize >> 24), UInt8(truncatingIfNeeded: chunkSize >> 16),
                UInt8(truncatingIfNeeded: chunkSize >> 8), UInt8(truncatingIfNeeded: chunkSize),
            ] + pusher.header
        try header.withUnsafeBytes { try sink.write($0) }
        // This thread hashes every third chunk, the writer the rest: on two
        // cores that balances encrypting against hashing.
        let hashes = ChunkHashes()
        let pipeline = ChunkPipeline(bufferSize: chunkSize + SecretStream.chunkOverhead) { [written = Counter()] chunk in
            let index = written.next()
            if index % 3 != 2 { try hashes.add(index, chunk) }
            try sink.write(chunk)
        }
        defer { try? pipeline.finish() }
        let aad = chunkAAD(id)
        // Two plaintext buffers: the next chunk is read before the current
        // one is sealed, so the last chunk is known to be last.
        var current = try SecureBytes(count: chunkSize)
        var next = try SecureBytes(count: chunkSize)
        var total: UInt64 = 0
        var index = 0
        var count = try current.withUnsafeMutableBytes { try input.read(into: $0) }
        while true {
            let following = count == chunkSize ? try next.withUnsafeMutableBytes { try input.read(into: $0) } : 0
            let isLast = following == 0
            try pipeline.send { out in
                let written = try current.withUnsafeBytes { plain in
                    try pusher.push(raw: UnsafeRawBufferPointer(rebasing: plain[0..<count]), final: isLast, into: out, aad: aad)
                }
                if index % 3 == 2 { try hashes.add(index, UnsafeRawBufferPointer(rebasing: out[0..<written])) }
                return written
            }
            total += UInt64(count)
            index += 1
            if isLast { break }
            swap(&current, &next)
            count = following
        }
        try pipeline.finish()
        guard total == (input.padded ? AttachmentFormat.paddedSize(input.realSize) : input.realSize) else {
            throw KithVaultError.storage("the attachment's padding came out wrong")
        }
        return (input.realSize, try hashes.fileHash(header: header, chunks: index))
    }

    /// Opens the stored stream from `source` into `output`, checking every
    /// chunk, the final tag, the size and the stored bytes' hash. This
    /// thread reads and hashes; a second one decrypts and writes.
    static func open(
        _ source: AttachmentSource, into output: any PlaintextSink, key recordKey: KeyBox, id: RecordID, expectedHash: [UInt8], expectedSize: UInt64
    ) throws {
        let damaged = { (why: String) in
            KithVaultError.integrity("attachment \(id) is damaged (\(why)); nothing was written. Restore the vault's attachment folder from a backup")
        }
        var header = [UInt8](repeating: 0, count: AttachmentFormat.headerLength)
        let got = try header.withUnsafeMutableBytes { try source.read(into: $0) }
        let padded = got == header.count && Array(header[0..<8]) == AttachmentFormat.magic
        guard got == header.count, padded || Array(header[0..<8]) == AttachmentFormat.unpaddedMagic else {
            throw damaged("it does not start like a Kith attachment")
        }
        let chunkSize = header[8..<12].reduce(0) { $0 << 8 | Int($1) }
        guard chunkSize == AttachmentFormat.chunkSize else { throw damaged("unexpected chunk size") }
        let fileKey = try fileKey(recordKey)
        let opener: OpeningWriter
        do { opener = try OpeningWriter(key: fileKey, header: Array(header[12...]), aad: chunkAAD(id), chunkSize: chunkSize, output: output, limit: expectedSize) } catch {
            throw damaged("bad stream header")
        }
        let badChunk = damaged("a chunk does not authenticate, or bytes follow the last one")
        // Here the opener decrypts, so this thread hashes two chunks in three.
        let hashes = ChunkHashes()
        let pipeline = ChunkPipeline(bufferSize: chunkSize + SecretStream.chunkOverhead) { [opened = Counter()] chunk in
            guard !chunk.isEmpty else { return }
            let index = opened.next()
            if index % 3 == 2 { try hashes.add(index, chunk) }
            do { try opener.open(chunk) } catch let error as KithVaultError { throw error } catch { throw badChunk }
        }
        defer { try? pipeline.finish() }
        var count = 0
        var index = 0
        repeat {
            try pipeline.send { buffer in
                count = try source.read(into: buffer)
                if count > 0 && index % 3 != 2 { try hashes.add(index, UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
                return count
            }
            if count > 0 { index += 1 }
        } while count > 0
        try pipeline.finish()
        guard opener.isFinished else { throw damaged("it ends before its last chunk") }
        let storedSize = padded ? AttachmentFormat.paddedSize(expectedSize) : expectedSize
        guard opener.total == storedSize else { throw damaged("it holds \(opener.total) bytes, not the \(storedSize) its record names") }
        guard !opener.paddingWasNotZero else { throw damaged("its padding is not zeros") }
        guard try hashes.fileHash(header: header, chunks: index) == expectedHash else { throw damaged("its hash is not the one its record names") }
    }
}

/// The chunk hashes of one attachment, added from either thread in any
/// order, combined in order at the end.
private final class ChunkHashes: @unchecked Sendable {
    // @unchecked: `hashes` is only touched under `lock`.
    private let lock = NSLock()
    private var hashes: [Int: [UInt8]] = [:]

    func add(_ index: Int, _ chunk: UnsafeRawBufferPointer) throws {
        var hasher = try BLAKE2bHasher(personal: AttachmentFormat.chunkHashPersonal)
        hasher.update(withUnsafeBytes(of: UInt64(index).bigEndian) { Array($0) })
        hasher.update(chunk)
        let hash = try hasher.finish()
        lock.lock()
        hashes[index] = hash
        lock.unlock()
    }

    /// The file's hash over `header` and chunks 0 to `chunks - 1`; throws
    /// if one is missing (a chunk that was never hashed is never trusted).
    func fileHash(header: [UInt8], chunks: Int) throws -> [UInt8] {
        var hasher = try BLAKE2bHasher(personal: AttachmentFormat.hashPersonal)
        hasher.update(header)
        lock.lock()
        defer { lock.unlock() }
        for index in 0..<chunks {
            guard let hash = hashes[index] else { throw KithVaultError.integrity("attachment chunk \(index) was not hashed") }
            hasher.update(hash)
        }
        return try hasher.finish()
    }
}

/// Counts the chunks one pipeline worker has seen.
private final class Counter: @unchecked Sendable {
    // @unchecked: used by the one worker thread only.
    private var count = 0

    func next() -> Int {
        defer { count += 1 }
        return count
    }
}

/// The worker side of opening: decrypts each chunk into one guarded buffer
/// and writes it out.
private final class OpeningWriter: @unchecked Sendable {
    // @unchecked: used by one thread at a time (handed over by the pipeline).
    private var puller: SecretStreamPuller
    private var plain: SecureBytes
    private let aad: [UInt8]
    private let output: any PlaintextSink
    /// The file's own size: bytes past it are padding, checked, never written.
    private let limit: UInt64
    private(set) var total: UInt64 = 0
    private(set) var paddingWasNotZero = false

    init(key: borrowing SecureBytes, header: [UInt8], aad: [UInt8], chunkSize: Int, output: any PlaintextSink, limit: UInt64) throws {
        puller = try SecretStreamPuller(key: key, header: header)
        plain = try SecureBytes(count: chunkSize)
        self.aad = aad
        self.output = output
        self.limit = limit
    }

    var isFinished: Bool { puller.isFinished }

    func open(_ chunk: UnsafeRawBufferPointer) throws {
        guard !chunk.isEmpty else { return }
        let length = try puller.pull(raw: chunk, into: &plain, aad: aad)
        let keep = Int(min(UInt64(length), limit > total ? limit - total : 0))
        try plain.withUnsafeBytes { bytes in
            try output.write(UnsafeRawBufferPointer(rebasing: bytes[0..<keep]))
            if bytes[keep..<length].contains(where: { $0 != 0 }) { paddingWasNotZero = true }
        }
        total += UInt64(length)
    }
}

/// A file being attached, followed by zero bytes up to its padded size:
/// the stream the sealer reads. The file's own size is known at its end.
final class PaddedInput {
    private let file: any PlaintextSource
    /// False only to write format 1 (unpadded), for the test that it still reads.
    let padded: Bool
    /// Bytes read from the file so far (its size, once it ended).
    private(set) var realSize: UInt64 = 0
    private var target: UInt64?
    private var produced: UInt64 = 0

    init(_ file: any PlaintextSource, padded: Bool = true) {
        self.file = file
        self.padded = padded
    }

    /// Fills `buffer` (fewer bytes only at the end of the padded stream).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        if target == nil {
            filled = try file.read(into: buffer)
            realSize += UInt64(filled)
            // A file's size is checked when it is opened; a stream's, as it comes.
            guard realSize <= AttachmentFormat.maxSize else {
                throw KithVaultError.invalidInput("the file is larger than an attachment may be (\(AttachmentFormat.maxSize >> 30) GiB)")
            }
            produced += UInt64(filled)
            if filled == buffer.count { return filled }
            target = padded ? AttachmentFormat.paddedSize(realSize) : realSize
        }
        let zeros = Int(min(UInt64(buffer.count - filled), (target ?? produced) - produced))
        if zeros > 0, let base = buffer.baseAddress { (base + filled).initializeMemory(as: UInt8.self, repeating: 0, count: zeros) }
        produced += UInt64(zeros)
        return filled + zeros
    }
}

/// A file being attached, read in chunks.
final class InputFile: PlaintextSource {
    private let fd: Int32
    private let path: String

    init(path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw KithVaultError.notFound("file \(path)") }
            throw KithVaultError.storage("cannot open \(path): \(String(cString: strerror(errno))); check its permissions")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw KithVaultError.invalidInput("\(path) is not a regular file; attach a file, not a folder or a device")
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Fills `buffer` (fewer bytes only at the end of the file).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try FileDescriptorIO.readFull(fd, buffer, what: path)
    }
}

/// A file being written from an attachment: a temporary (0600) in a
/// private folder (0700) beside its destination, published under its name
/// only when everything checked, removed otherwise, and noted in the state
/// folder meanwhile so that a killed write is cleaned up by the next command.
final class OutputFile: PlaintextSink, @unchecked Sendable {
    // @unchecked: written by one thread at a time (handed over by the pipeline).
    private var fd: Int32 = -1
    /// The private folder, held open: the file is made, linked and removed
    /// relative to it, so a folder swapped for a symlink meanwhile (in a
    /// folder others may write) can never point the removal elsewhere.
    private var folderFD: Int32 = -1
    private let path: String
    private let folder: String
    private let name: String
    private var note: URL?
    private var published = false

    init(path: String, partials: PartialFiles?) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        // A private folder on the same file system, so the finished file can
        // be linked into place. Noted before it exists: a process killed at
        // any moment after (the crash matrix found the gap mkdtemp left,
        // between making the folder and noting it) leaves a note, and the
        // next command removes what it points to.
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var made: (folder: String, note: URL?)?
        for _ in 0..<16 {
            let candidate = "\(directory)/.kith-partial-" + String((0..<8).map { _ in letters[Int.random(in: 0..<letters.count)] })
            let noted = try partials?.note(candidate + "/" + url.lastPathComponent, folder: candidate)
            if mkdir(candidate, 0o700) == 0 {
                made = (candidate, noted)
                break
            }
            let number = errno
            if let noted { partials?.forget(noted) }
            guard number == EEXIST else {
                throw KithVaultError.system(number, "cannot create a file in \(directory)", advice: "check that the folder exists and is writable")
            }
        }
        guard let made else { throw KithVaultError.storage("cannot make a private folder in \(directory)") }
        folder = made.folder
        note = made.note
        name = url.lastPathComponent
        self.path = path
        folderFD = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folderFD >= 0 else {
            abandon()
            throw KithVaultError.storage("cannot open the private folder \(folder)")
        }
        fd = openat(folderFD, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let number = errno
            abandon()
            throw KithVaultError.system(number, "cannot create a file in \(directory)", advice: "check that the folder exists and is writable")
        }
    }

    deinit { abandon() }

    /// Closes and removes the temporary unless it was published. Called
    /// explicitly: the pipeline's thread may hold the last reference a
    /// moment longer, and nothing must be left when the call returns.
    func abandon() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if folderFD >= 0 {
            unlinkat(folderFD, name, 0)
            close(folderFD)
            folderFD = -1
        }
        rmdir(folder)
        if let note {
            unlink(note.path)
            self.note = nil
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileDescriptorIO.writeAll(fd, bytes, what: folder + "/" + name)
    }

    /// Flushes the file and gives it its name; never replaces a file.
    func publish() throws {
        guard fsync(fd) == 0 else { throw KithVaultError.system(errno, "cannot flush \(folder)/\(name)") }
        close(fd)
        fd = -1
        guard linkat(folderFD, name, AT_FDCWD, path, 0) == 0 else {
            if errno == EEXIST { throw KithVaultError.invalidInput("\(path) appeared while the file was being written and was left untouched", remedy: .chooseNewFile) }
            throw KithVaultError.system(errno, "cannot create \(path)")
        }
        published = true
        abandon()
    }
}
