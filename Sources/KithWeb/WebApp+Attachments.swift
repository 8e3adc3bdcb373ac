import Dispatch
import Foundation
import KithCrypto
import KithVault

/// Downloading an attachment: the read is logged first (as `kith attach
/// get` logs it), then the file is opened chunk by chunk straight into the
/// response. No plaintext file is ever written, and at most one chunk is in
/// memory at a time, wiped once sent.
extension WebApp {
    /// `reason`: what the person typed when the group asked why (nil: not asked yet).
    func download(_ text: String, reason: String?, _ context: PageContext) async -> WebResponse {
        guard (try? Vault.checkRecordIDText(text)) != nil, let id = try? RecordID(parsing: text) else { return .page(MessagePage.notFound(context), status: 404) }
        let bridge = DownloadBridge()
        let opened: AttachmentInfo
        let askAgain = { (error: HTML?) -> WebResponse in
            .page(RecordPage.askReason(context, id: id, action: "/attachments/\(id.description)", error: error), status: error == nil ? 200 : 400)
        }
        let checkedReason: String?
        do {
            checkedReason = try reason.map(Vault.checkedReason)
        } catch {
            return askAgain(MessagePage.failureBox((error as? KithVaultError) ?? .invalidInput("\(error)"), context))
        }
        do {
            opened = try await host.run { vault in
                try vault.setAccessReason(checkedReason)
                // The reason covers this read only.
                defer { try? vault.setAccessReason(nil) }
                let reader = try vault.openAttachment(id, action: "downloaded attachment")
                bridge.hold(reader)
                return reader.info
            }
        } catch let error as KithVaultError where error.remedy == .giveReason {
            return askAgain(nil)
        } catch {
            return failure(error, context)
        }
        let host = host
        var response = WebResponse(
            status: 200,
            headers: [
                ("Content-Type", "application/octet-stream"),
                ("Content-Disposition", Self.contentDisposition(opened.name ?? "attachment")),
                ("Content-Length", String(opened.size ?? 0)),
            ])
        response.stream = { send in
            // The reader runs on the vault's queue (its store is not for other threads), feeding this task.
            let (chunks, continuation) = AsyncThrowingStream<DownloadBridge.Chunk, Error>.makeStream()
            bridge.start(continuation)
            async let reading: Void = host.run { _ in try bridge.run() }
            do {
                for try await chunk in chunks {
                    try await send(chunk.bytes)
                    // Sent (NIO has its own copy now): this one is wiped, in place.
                    SecureBytes.wipe(&chunk.bytes)
                    bridge.taken()
                }
            } catch {
                bridge.cancel()
                try? await reading
                throw error
            }
            try await reading
        }
        return response
    }

    /// `attachment; filename*=UTF-8''...`: every byte of the name but ASCII
    /// letters, digits and . - _ percent-encoded, so no name (a quote, a line
    /// break, a bidi override) can end the header or fake another.
    static func contentDisposition(_ name: String) -> String {
        var encoded = ""
        for byte in VisibleText.safe(name).utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"),
                UInt8(ascii: "_"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return "attachment; filename*=UTF-8''" + (encoded.isEmpty ? "attachment" : encoded)
    }
}

/// Hands an opened attachment's chunks from the vault's queue to the task
/// writing the response, one at a time: the reader waits until the last
/// chunk was sent, so a slow browser never piles plaintext up in memory.
final class DownloadBridge: PlaintextSink, @unchecked Sendable {
    // @unchecked: `reader` and `continuation` are set before `run` and read on the vault's queue;
    // `cancelled` is read and written under `lock`; `ready` is a semaphore.
    private var reader: AttachmentReader?
    private var continuation: AsyncThrowingStream<Chunk, Error>.Continuation?
    private let ready = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var cancelled = false

    func hold(_ reader: AttachmentReader) { self.reader = reader }
    func start(_ continuation: AsyncThrowingStream<Chunk, Error>.Continuation) { self.continuation = continuation }

    /// One chunk of plaintext, in a box so the sender can wipe the one copy in place.
    final class Chunk: @unchecked Sendable {
        // @unchecked: made on the reader's thread, then used only by the sending task.
        var bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// Reads the whole file into the response; the stream ends with the read's outcome.
    func run() throws {
        do {
            guard let reader else { throw KithVaultError.storage("no attachment was opened") }
            try reader.read(into: self)
            continuation?.finish()
        } catch {
            continuation?.finish(throwing: error)
            throw error
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        if lock.withLock({ cancelled }) { throw KithVaultError.storage("the browser stopped the download") }
        continuation?.yield(Chunk(Array(bytes)))
        ready.wait()
        if lock.withLock({ cancelled }) { throw KithVaultError.storage("the browser stopped the download") }
    }

    /// The chunk was sent: the reader may go on.
    func taken() { ready.signal() }

    /// The browser went away: the reader stops at its next chunk.
    func cancel() {
        lock.withLock { cancelled = true }
        ready.signal()
    }
}
