import Foundation
import KithCrypto

/// Parallel pieces of an audit. Entry signatures are independent once the
/// replay has said whose key each needs, and Ed25519 verification is most
/// of the cost of an audit.
enum ParallelSignatures {
    /// One signature to check: entry `index`, whose bytes are `bytes`, must be signed by `key`.
    struct Job: Sendable {
        let index: Int
        let bytes: [UInt8]
        let key: SigningPublicKey
    }

    /// Leaf hashes of every entry, computed across all cores.
    static func leafHashes(_ entries: [[UInt8]], threads: Int, hash: @Sendable ([UInt8]) -> [UInt8]) -> [[UInt8]] {
        let chunks = min(entries.count, max(1, threads) * 16)
        guard chunks > 1 else { return entries.map(hash) }
        let parts = ChunkResults(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = entries.count * chunk / chunks
            let end = entries.count * (chunk + 1) / chunks
            parts.set(chunk, entries[start..<end].map(hash))
        }
        return parts.joined()
    }
}

/// Checks signatures on other cores while the caller goes on replaying the
/// log: the replay is sequential, the signature checks are not, and
/// overlapping them keeps every core busy.
final class SignaturePipeline: @unchecked Sendable {
    // @unchecked: `lowest` locks; `pending` is used by the adding thread
    // only; the rest is GCD. Jobs carry their entry's bytes, so one pipeline
    // runs across every page of a replay without holding the whole log.
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "kith.audit.signatures", attributes: .concurrent)
    private let lowest = LowestIndex()
    private var pending: [ParallelSignatures.Job] = []
    /// Jobs handed to a worker at a time: large enough to amortise
    /// dispatching, small enough that both cores share the tail.
    static let chunk = 1024

    private let inline: Bool

    /// With `threads` 1, every check runs on the caller's thread, in order.
    init(threads: Int) {
        self.inline = threads <= 1
    }

    /// Queues one signature check; starts a worker when a chunk is full.
    func add(_ job: ParallelSignatures.Job, vaultID: [UInt8]) {
        pending.append(job)
        if pending.count >= Self.chunk { flush(vaultID: vaultID) }
    }

    /// Starts a worker on whatever is queued.
    func flush(vaultID: [UInt8]) {
        guard !pending.isEmpty else { return }
        let jobs = pending
        pending = []
        let lowest = lowest
        let work: @Sendable () -> Void = {
            for job in jobs {
                if let known = lowest.value, known < job.index { return }
                if !LogEntry.hasValidSignature(job.bytes, by: job.key, vaultID: vaultID) {
                    lowest.offer(job.index)
                    return
                }
            }
        }
        if inline { work() } else { queue.async(group: group, execute: work) }
    }

    /// Waits for every worker; the lowest failing index, or nil.
    func finish(vaultID: [UInt8]) -> Int? {
        flush(vaultID: vaultID)
        group.wait()
        return lowest.value
    }
}

/// The lowest index offered from any thread.
private final class LowestIndex: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var lowest: Int?

    var value: Int? { lock.withLock { lowest } }

    func offer(_ index: Int) {
        lock.withLock { lowest = min(lowest ?? index, index) }
    }
}

/// Per-chunk results written from many threads.
private final class ChunkResults: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var parts: [[[UInt8]]]

    init(count: Int) { parts = Array(repeating: [], count: count) }

    func set(_ chunk: Int, _ value: [[UInt8]]) { lock.withLock { parts[chunk] = value } }

    func joined() -> [[UInt8]] { lock.withLock { parts.flatMap { $0 } } }
}
