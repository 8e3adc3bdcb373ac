import Foundation
import KithCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The vault's internal decoders, reachable from the package's fuzzing
/// harness (`KithFuzzTargets`) and nowhere else: `package` access keeps
/// them out of the library's public API while letting the fuzzer call the
/// exact code a hostile store, cache file or local process reaches.
///
/// Each entry decodes `bytes` and checks what must hold of anything that
/// decodes. A thrown error is the decoder refusing the input, which is
/// fine; a returned string names a broken property, a finding.
package enum DecoderEntryPoints {
    /// A log entry: what decodes must re-encode to the same bytes, so one
    /// entry has one encoding (a second one would be a second hash for
    /// the same signed content).
    package static func logEntry(_ bytes: [UInt8]) throws -> String? {
        let entry = try LogEntry.decode(bytes)
        let again = LogEntry.unsignedBytes(
            seq: entry.seq, previousHash: entry.previousHash, timeMillis: entry.timeMillis, actor: entry.actor, body: entry.body, details: entry.details)
        return again + entry.signature == bytes ? nil : "a \(entry.body.type) entry decodes from bytes that do not re-encode to themselves"
    }

    /// An entry body of the type named by the first byte.
    package static func entryBody(_ bytes: [UInt8]) throws -> String? {
        guard let first = bytes.first, let type = EntryType(rawValue: first) else { return nil }
        let body = try EntryBody.decode(type: type, bytes: Array(bytes.dropFirst()))
        return body.type == type ? nil : "a body decoded as \(type) says it is \(body.type)"
    }

    /// A stored record row's body, as the store hands it back.
    package static func storedRecord(_ bytes: [UInt8]) throws -> String? {
        let record = try StoredRecord.decode(bytes)
        return record.parts.isEmpty ? "a stored record decoded with no part" : nil
    }

    // The caches below are sealed on disk, so only this device's Kith wrote
    // them: they need not be canonical (order, duplicates), but what they
    // decode to must survive being written and read again unchanged.

    /// The resume cache's state (after its seal was opened).
    package static func snapshot(_ bytes: [UInt8]) throws -> String? {
        let written = try VaultState.decodeSnapshot(bytes, records: nil).encodeSnapshot()
        return again("a resume cache state", written) { try VaultState.decodeSnapshot($0, records: nil).encodeSnapshot() }
    }

    /// One resume-cache record row, of any row format.
    package static func snapshotRow(_ bytes: [UInt8]) throws -> String? {
        let written = try RecordState.decodeRow(bytes).encodeRow()
        return again("a resume cache record row", written) { try RecordState.decodeRow($0).encodeRow() }
    }

    /// A search index manifest, counters, or bucket (after their seals were
    /// opened), chosen by the first byte; each survives being written and
    /// read again, and a bucket's lookup agrees with its full decoding.
    package static func searchIndex(_ bytes: [UInt8]) throws -> String? {
        guard let first = bytes.first else { return nil }
        let rest = Array(bytes.dropFirst())
        switch first % 3 {
        case 0:
            let written = try IndexManifest.decode(rest).encoded
            return again("a search manifest", written) { try IndexManifest.decode($0).encoded }
        case 1:
            let written = try BucketCounters.decode(rest).encoded
            return again("search counters", written) { try BucketCounters.decode($0).encoded }
        default:
            var copy = rest
            let secure = try SecureBytes(wiping: &copy)
            let bucket = try PostingBucket.decode(secure)
            let hashes = Set(bucket.pairs.map(\.hash))
            let found = try PostingBucket.lookup(secure, hashes: hashes)
            for hash in hashes {
                let expected = bucket.pairs.filter { $0.hash == hash }.map(\.ordinal)
                guard found[PostingBucket.kept(hash)] == expected else { return "a bucket's lookup disagrees with its decoding" }
            }
            return nil
        }
    }

    /// What must hold of bytes Kith wrote itself: they read back, to the same
    /// bytes. Failing to read them is a finding too, not a refusal.
    private static func again(_ what: String, _ written: [UInt8], _ roundTrip: ([UInt8]) throws -> [UInt8]) -> String? {
        do {
            return try roundTrip(written) == written ? nil : "\(what) changes when written and read again"
        } catch {
            return "\(what) Kith wrote does not read back (\(error))"
        }
    }

    /// The text of a CSV file as `kith import` reads it (encoding detection included).
    package static func csvText(_ bytes: [UInt8]) throws -> String? {
        _ = try CSVText.decode(Data(bytes))
        return nil
    }

    /// Bytes a local process sends the unlock agent: the agent answers with
    /// well-formed frames only (done or refused), and never crashes or
    /// hangs. Throws when it refused something, so the fuzzer can tell
    /// refusals from answers. The agent holds a throwaway identity.
    package static func agentRequests(_ bytes: [UInt8]) throws -> String? {
        // A harness that cannot start must say so on every input, not pass them all.
        let agent: FuzzAgent
        do { agent = try FuzzAgent.shared() } catch { return "the fuzz harness could not start its agent: \(error)" }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { return "the fuzz harness could not make a socket pair" }
        defer {
            close(pair[0])
            close(pair[1])
        }
        // The replies are read while the agent writes them (a buffer fills
        // long before thousands of small replies fit), and the requests are
        // written from here while the agent reads them.
        let requests = pair[0]
        let replies = ReplyReader(fd: requests)
        let reader = Thread { replies.readAll() }
        let written = DispatchSemaphore(value: 0)
        let writer = Thread {
            bytes.withUnsafeBytes { _ = try? AgentWire.writeAll(requests, $0) }
            shutdown(requests, Int32(SHUT_WR))
            written.signal()
        }
        reader.start()
        writer.start()
        _ = agent.server.handle(pair[1])
        // Both ways shut: a writer still sending (the agent stopped at a
        // lock request) fails now, and the reader sees the end. Neither
        // thread outlives the descriptors.
        shutdown(pair[1], Int32(SHUT_RDWR))
        written.wait()
        replies.done.wait()
        let received = replies.bytes
        var refused = false
        var offset = 0
        while offset < received.count {
            guard offset + 5 <= received.count else { return "the agent sent a frame cut short" }
            let length = received[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 1, offset + 4 + length <= received.count else { return "the agent sent a frame whose length is wrong" }
            switch received[offset + 4] {
            case 0: break
            case 1: refused = true
            default: return "the agent sent a reply that is neither done nor refused"
            }
            offset += 4 + length
        }
        if refused { throw KithVaultError.invalidInput("the agent refused a request") }
        return nil
    }

    /// The most bytes `agentRequests` takes (the socket buffers' size).
    package static let agentRequestLimit = 1 << 20
}

/// Reads one side of a socket pair to its end, on a thread of its own.
private final class ReplyReader: @unchecked Sendable {
    // @unchecked: `bytes` is written by the reading thread before `done` is signalled, read after.
    let fd: Int32
    var bytes: [UInt8] = []
    let done = DispatchSemaphore(value: 0)

    init(fd: Int32) { self.fd = fd }

    func readAll() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            bytes += chunk[0..<got]
        }
        done.signal()
    }
}

/// The agent the fuzzer talks to: made once per process, kept for its life.
private final class FuzzAgent: @unchecked Sendable {
    let server: AgentServer

    private init(server: AgentServer) { self.server = server }

    nonisolated(unsafe) private static var made: FuzzAgent?

    static func shared() throws -> FuzzAgent {
        if let made { return made }
        let folder = NSTemporaryDirectory() + "kith-fuzz-agent-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let keyfile = folder + "/keyfile"
        FileManager.default.createFile(atPath: keyfile, contents: Data([0]))
        let server = try AgentServer(holder: try UnlockedIdentity.generate(), socketPath: folder + "/agent.sock", keyfilePath: keyfile, idleLimit: 1 << 40)
        let agent = FuzzAgent(server: server)
        made = agent
        return agent
    }
}
