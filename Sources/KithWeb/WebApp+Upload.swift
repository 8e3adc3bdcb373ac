import Dispatch
import Foundation
import KithCrypto
import KithVault

/// Uploading a file to a case: the form's body streams from the browser
/// through a multipart reader straight into the sealing pipeline, on the
/// vault's queue. No plaintext file is written, and at most one piece of
/// the body is in Kith's memory at a time.
extension WebApp {
    /// The longest a file name may be (its last path part, as browsers send it).
    static let maximumFileName = 255

    func upload(_ text: String, _ context: PageContext, request: WebRequest) async -> WebResponse {
        guard (try? Vault.checkRecordIDText(text)) != nil, let caseID = try? RecordID(parsing: text), let body = request.upload else {
            return .page(MessagePage.notFound(context), status: 404)
        }
        guard let boundary = MultipartReader.boundary(contentType: request.header("content-type")) else {
            return .page(MessagePage.failure(MultipartReader.refusal("no multipart boundary"), context), status: 400)
        }
        let bridge = UploadBridge()
        let token = transfers.add(bridge)
        defer { transfers.remove(token) }
        async let stored: RecordID = host.run { vault in
            defer { bridge.close() }
            let reader = MultipartReader(boundary: boundary) { try bridge.read(into: $0) }
            // The form's fields come in page order: the part to seal it in, then the file.
            var compartment = Compartment.notes
            while let headers = try reader.nextPart() {
                let disposition = headers["content-disposition"]
                switch MultipartReader.parameter("name", in: disposition) {
                case "compartment":
                    var value = [UInt8](repeating: 0, count: 32)
                    let count = try value.withUnsafeMutableBytes { try reader.read(into: $0) }
                    guard let chosen = Compartment(name: String(decoding: value[0..<count], as: UTF8.self)), chosen != .profile else {
                        throw KithVaultError.invalidInput("a file is sealed in the notes or the sensitive part; choose one of those")
                    }
                    compartment = chosen
                case "file":
                    let name = Self.fileName(MultipartReader.parameter("filename", in: disposition))
                    // The library decides whether this role may write there, whatever the page sent.
                    return try vault.addAttachment(caseID: caseID, from: reader, name: name, compartment: compartment)
                default:
                    continue
                }
            }
            throw KithVaultError.invalidInput("the form held no file: choose one, then send it")
        }
        // This task feeds the body in; the queue's task takes it piece by piece.
        do {
            for try await piece in body {
                guard await bridge.deliver(piece) else { break }
            }
            bridge.end()
        } catch {
            bridge.fail(error)
        }
        do {
            _ = try await stored
            return .redirect(to: "/records/\(caseID.description)")
        } catch let error as KithVaultError where [.invalidInput, .accessDenied, .notFound].contains(error.code) {
            return .page(MessagePage.failure(error, context), status: Self.status(of: error))
        } catch {
            return failure(error, context)
        }
    }

    /// The last part of the name a browser sends (some send a whole path),
    /// trimmed and shortened; "upload" when nothing is left.
    static func fileName(_ sent: String?) -> String {
        let last = (sent ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let trimmed = last.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed != ".", trimmed != ".." else { return "upload" }
        return String(trimmed.prefix(maximumFileName))
    }
}

/// The request body, handed piece by piece from the task reading it to the
/// vault's queue sealing it: `deliver` waits until the sealer took the
/// piece (or stopped), so a fast browser never piles the file up in memory.
final class UploadBridge: Transfer, @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`; `ready` is a semaphore.
    private let lock = NSLock()
    private let ready = DispatchSemaphore(value: 0)
    private var piece: [UInt8] = []
    private var offset = 0
    private var ended = false
    private var failure: Error?
    private var closed = false
    private var waiting: CheckedContinuation<Bool, Never>?

    deinit { SecureBytes.wipe(&piece) }

    /// Gives the sealer the next piece; false once it stopped (the rest is not wanted).
    func deliver(_ bytes: [UInt8]) async -> Bool {
        await withCheckedContinuation { continuation in
            let stopped = lock.withLock { () -> Bool in
                guard !closed else { return true }
                piece = bytes
                offset = 0
                waiting = continuation
                return false
            }
            if stopped { continuation.resume(returning: false) } else { ready.signal() }
        }
    }

    /// The body ended.
    func end() {
        lock.withLock { ended = true }
        ready.signal()
    }

    /// Reading the body failed (the browser went away): the sealer stops, leaving nothing.
    func fail(_ error: Error) {
        lock.withLock { failure = error }
        ready.signal()
    }

    /// The sealer is done (or failed): a waiting deliverer is let go.
    func close() {
        let continuation = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
            closed = true
            SecureBytes.wipe(&piece)
            piece = []
            defer { waiting = nil }
            return waiting
        }
        continuation?.resume(returning: false)
    }

    /// Lock: the sealer stops at its next read, leaving nothing.
    func cancel() { fail(KithVaultError.storage("Kith was locked")) }

    /// The sealer's side: up to `buffer.count` bytes, waiting for the next piece; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let (count, handBack, stop) = lock.withLock { () -> (Int, CheckedContinuation<Bool, Never>?, Error?) in
                if let failure { return (0, nil, failure) }
                if offset < piece.count {
                    let take = min(buffer.count, piece.count - offset)
                    piece.withUnsafeBytes { bytes in
                        guard let from = bytes.baseAddress, let to = buffer.baseAddress else { return }
                        to.copyMemory(from: from + offset, byteCount: take)
                    }
                    offset += take
                    guard offset == piece.count else { return (take, nil, nil) }
                    // All taken: wipe it, and let the deliverer bring the next.
                    SecureBytes.wipe(&piece)
                    piece = []
                    offset = 0
                    defer { waiting = nil }
                    return (take, waiting, nil)
                }
                return (ended ? 0 : -1, nil, nil)
            }
            if let stop { throw KithVaultError.storage("the upload stopped before the whole file arrived (\(stop)); nothing was attached") }
            handBack?.resume(returning: true)
            if count >= 0 { return count }
            ready.wait()
        }
    }
}
