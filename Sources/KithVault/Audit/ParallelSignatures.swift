import Foundation
import KithCrypto

/// Checks many log-entry signatures across all cores. Entry signatures are
/// independent once the replay has said whose key each needs, and Ed25519
/// verification is most of the cost of an audit.
enum ParallelSignatures {
    /// One signature to check: entry `index` must be signed by `key`.
    struct Job: Sendable {
        let index: Int
        let key: SigningPublicKey
    }

    /// The lowest index among `jobs` whose signature fails, or nil.
    static func firstFailure(entries: [[UInt8]], jobs: [Job], vaultID: [UInt8], threads: Int) -> Int? {
        guard !jobs.isEmpty else { return nil }
        let result = LowestIndex()
        // Several chunks per thread, so one slow chunk does not leave a core idle.
        let chunks = min(jobs.count, max(1, threads) * 16)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = jobs.count * chunk / chunks
            let end = jobs.count * (chunk + 1) / chunks
            for job in jobs[start..<end] {
                // A failure before this chunk's start already decides the answer.
                if let known = result.value, known < job.index { return }
                if !LogEntry.hasValidSignature(entries[job.index], by: job.key, vaultID: vaultID) {
                    result.offer(job.index)
                    return
                }
            }
        }
        return result.value
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
