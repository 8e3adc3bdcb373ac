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
        let transfers = transfers
        response.stream = { send in
            // The reader runs on the vault's queue (its store is not for other threads), feeding this task.
            let (chunks, continuation) = AsyncThrowingStream<DownloadBridge.Chunk, Error>.makeStream()
            continuation.onTermination = { _ in bridge.cancel() }
            bridge.start(continuation)
            // Lock ends it, wherever it is: the reader stops at its next chunk and the queue is free.
            let token = transfers.add(bridge)
            // Every way out lets the reader go (a browser gone, this task cancelled, the send failing).
            defer {
                bridge.cancel()
                transfers.remove(token)
            }
            async let reading: Void = {
                do {
                    try await host.run { _ in try bridge.run() }
                } catch {
                    // Also when the queue's job failed before reading: the stream must end.
                    bridge.abandon(error)
                    throw error
                }
            }()
            do {
                for try await chunk in chunks {
                    defer { SecureBytes.wipe(&chunk.bytes) }
                    try await send(chunk.bytes)
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
final class DownloadBridge: PlaintextSink, Transfer, @unchecked Sendable {
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
        deinit { SecureBytes.wipe(&bytes) }
    }

    /// The newest chunk, held back until the next arrives or the whole file
    /// checked: the file's last bytes leave only once its length, padding and
    /// hash held, so a browser never gets a damaged file as a complete one.
    private var held: Chunk?

    /// Reads the whole file into the response; the stream ends with the read's outcome.
    func run() throws {
        do {
            guard let reader else { throw KithVaultError.storage("no attachment was opened") }
            try reader.read(into: self)
            // Everything checked: the held-back chunk may go.
            if let last = held {
                held = nil
                try send(last)
            }
            continuation?.finish()
        } catch {
            if var last = held {
                SecureBytes.wipe(&last.bytes)
                held = nil
            }
            continuation?.finish(throwing: error)
            throw error
        }
        self.reader = nil
    }

    /// The job that was to read never ran (the vault could not be brought up to date): end the stream.
    func abandon(_ error: Error) {
        continuation?.finish(throwing: error)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        let chunk = Chunk(Array(bytes))
        if let previous = held { try send(previous) }
        held = chunk
    }

    /// Hands `chunk` to the response and waits until it was sent (or the download was stopped).
    private func send(_ chunk: Chunk) throws {
        if lock.withLock({ cancelled }) { throw KithVaultError.storage("the download was stopped") }
        continuation?.yield(chunk)
        ready.wait()
        if lock.withLock({ cancelled }) { throw KithVaultError.storage("the download was stopped") }
    }

    /// The chunk was sent: the reader may go on.
    func taken() { ready.signal() }

    /// The browser went away: the reader stops at its next chunk.
    func cancel() {
        lock.withLock { cancelled = true }
        ready.signal()
    }
}

/// A download or an upload in progress, which Lock must be able to stop.
protocol Transfer: AnyObject, Sendable {
    /// Stops it: the vault's queue is let go at its next piece.
    func cancel()
}

/// The transfers in progress, so that ending the sessions stops them all:
/// a browser that stopped reading (or sending) must not keep the vault's
/// queue, or the server, past a lock.
final class Transfers: @unchecked Sendable {
    // @unchecked: `running` is read and written under `lock`.
    private let lock = NSLock()
    private var running: [Int: any Transfer] = [:]
    private var next = 0

    func add(_ transfer: any Transfer) -> Int {
        lock.withLock {
            next += 1
            running[next] = transfer
            return next
        }
    }

    func remove(_ token: Int) { _ = lock.withLock { running.removeValue(forKey: token) } }

    func cancelAll() {
        let all = lock.withLock { () -> [any Transfer] in
            defer { running.removeAll() }
            return Array(running.values)
        }
        for transfer in all { transfer.cancel() }
    }
}
