import Foundation
import KithCrypto
import KithLog

/// The first entry of a log that does not verify, and why.
struct ReplayFailure: Error {
    /// Its position.
    let seq: UInt64
    /// What is wrong with it.
    let error: KithVaultError
}

/// The log as this client has verified it: the replayed state and the
/// Merkle tree of the same entries. Opened from this client's resume
/// cache when it has one that fits the store, so only the entries
/// appended since are read, decoded and signature-checked; otherwise
/// replayed from genesis, a page at a time.
///
/// Why skipping is safe: the cache is authenticated with a key only this
/// identity derives, and holds what this client itself verified at `size`
/// entries. The store's entry at `size - 1` must hash to the cache's head
/// hash, and every entry chains to the one before by hash, so the store's
/// first `size` entries are the ones verified before; the remembered
/// checkpoint must then be a prefix of the new tree (its root at that size
/// computed from the resumed frontier). A rolled-back store (shorter than
/// what was seen) or a forked one (a different entry at any seen position)
/// is refused as before.
struct VerifiedLog {
    /// The replayed state.
    var state: VaultState
    /// The Merkle tree (sparse when resumed: it holds the frontier and what came after).
    var tree: MerkleTree
    /// The cache size it resumed from (nil: replayed from genesis).
    let resumedFrom: UInt64?
    /// Why the cache was not used, when it was not.
    let cacheProblem: ResumeCacheProblem?
    /// The newest entries read, for this client's journal.
    var recent = RecentEntries(limit: 0)

    /// Entries read per page when replaying from genesis.
    static let pageSize = 4096

    /// Opens the log of `store`. Reads, in this order: the genesis entry
    /// (for the vault's fingerprint), the resume cache's head, the
    /// remembered checkpoint, then the store's entries. Each of the three is
    /// only ever written after the one before it moved (the store commits,
    /// then the checkpoint is remembered, then the cache saved), so another
    /// process of the same user moving them meanwhile can never make the
    /// remembered checkpoint look ahead of the store: no false alarm.
    static func open(store: VaultStore, user: UserID, memory: CheckpointMemory?, cacheKey: KeyBox?) throws -> (log: VerifiedLog, remembered: Checkpoint?) {
        guard let genesis = try store.entry(at: 0) else { throw KithVaultError.integrity("the vault has no genesis entry") }
        let fingerprint = SHA256.hash(genesis)
        let recentLimit = Int(clamping: memory?.journalEntries ?? 0)

        var resumed: (cache: ResumeCache, head: ResumeHead)?
        var problem: ResumeCacheProblem?
        if let memory, let cacheKey {
            switch ResumeCache.open(path: memory.cacheFile(fingerprint: fingerprint, user: user).path, key: cacheKey, fingerprint: fingerprint, user: user) {
            case .success(let found): resumed = found
            case .failure(let why): problem = why
            }
        }
        let remembered = try memory.flatMap { try rememberedCheckpoint($0, fingerprint: fingerprint, user: user) }

        if let (cache, head) = resumed {
            if let remembered, remembered.size < head.size {
                // The checkpoint is older than the cache (removed, or from an
                // older Kith): only a full replay can check it against the log.
                problem = .notThisStore
            } else if let log = try resume(store: store, cache: cache, head: head, keepingRecent: recentLimit) {
                return (log, remembered)
            } else {
                problem = .notThisStore
            }
        }
        return (try replayForVault(store: store, cacheProblem: problem, keepingRecent: recentLimit), remembered)
    }

    /// The remembered checkpoint, read strictly: damage is an error, since
    /// skipping it would switch rollback detection off.
    private static func rememberedCheckpoint(_ memory: CheckpointMemory, fingerprint: [UInt8], user: UserID) throws -> Checkpoint? {
        guard let text = try memory.load(fingerprint: fingerprint, user: user) else { return nil }
        do { return try Checkpoint.read(noteOrText: text).checkpoint } catch {
            throw KithVaultError.integrity(
                "the checkpoint remembered in \(memory.file(fingerprint: fingerprint, user: user).path) is damaged; move it aside only if you trust this vault")
        }
    }

    /// Resumes from the cache, or nil when the store does not continue it.
    private static func resume(store: VaultStore, cache: ResumeCache, head: ResumeHead, keepingRecent: Int) throws -> VerifiedLog? {
        var state = try VaultState.decodeSnapshot(head.snapshot, records: cache)
        guard head.size > 0 else { return nil }
        // The last entry the cache covers must be the one it verified.
        guard let last = try store.entry(at: head.size - 1), SHA256.hash(last) == state.headHash else { return nil }
        let expectedHead = state.headHash
        let size = head.size
        // A row that fails its check is answered from a full replay of the entries the cache covers.
        cache.rebuild = {
            let replayed = try replayForVault(store: store, cacheProblem: .damaged, upTo: size)
            guard replayed.state.headHash == expectedHead else {
                throw KithVaultError.integrity("the log's first \(size) entries changed since this client verified them (a fork or a rewritten log)")
            }
            return replayed.state.records.changed
        }
        var tree = try MerkleTree(size: head.size, frontier: head.frontier)
        var recent = RecentEntries(limit: keepingRecent)
        // Then what came after, a page at a time (a client away for months may have much to read).
        while true {
            let page = try store.entries(from: state.count, limit: pageSize)
            recent.append(page, at: state.count)
            for bytes in page {
                try state.apply(LogEntry.decode(bytes))
                tree.append(leafHash: MerkleHash.leaf(bytes))
            }
            if page.count < pageSize { break }
        }
        var log = VerifiedLog(state: state, tree: tree, resumedFrom: head.size, cacheProblem: nil)
        log.recent = recent
        return log
    }

    /// Replays the log from genesis (up to `limit` entries), page by page.
    /// Rights, the hash chain and structure are checked in order on this
    /// thread while other cores check the signatures of the page; entries
    /// before `trusted` (a prefix the caller verified before and checks
    /// against its root afterwards) are not signature-checked again.
    /// Throws `ReplayFailure` naming the first bad entry.
    static func replay(
        store: VaultStore, cacheProblem: ResumeCacheProblem?, upTo limit: UInt64 = .max, trusted: UInt64 = 0,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, keepingRecent: Int = 0
    ) throws -> VerifiedLog {
        var state = VaultState()
        var recent = RecentEntries(limit: keepingRecent)
        var tree = MerkleTree()
        // One pipeline for the whole replay: the replay never waits for signature checks until the end.
        let pipeline = SignaturePipeline(threads: threads)
        var failure: ReplayFailure?
        pages: while state.count < limit {
            let start = state.count
            let page = try store.entries(from: start, limit: Int(min(UInt64(pageSize), limit - start)))
            recent.append(page, at: start)
            for (offset, bytes) in page.enumerated() {
                let seq = start + UInt64(offset)
                do {
                    let entry = try LogEntry.decode(bytes)
                    let key: SigningPublicKey? =
                        if case .genesis(_, let founder, _, _, _) = entry.body { founder.signingKey } else { state.users[entry.actor]?.identity.signingKey }
                    try state.apply(entry, checkSignature: false)
                    if seq >= trusted, let key { pipeline.add(.init(index: Int(seq), bytes: bytes, key: key), vaultID: state.vaultID) }
                } catch let error as KithVaultError {
                    failure = ReplayFailure(seq: seq, error: error)
                    break pages
                }
            }
            for leaf in ParallelSignatures.leafHashes(page, threads: threads, hash: MerkleHash.leaf) { tree.append(leafHash: leaf) }
            if page.count < pageSize { break }
        }
        // A bad signature before the first bad replay is the first problem.
        if let bad = pipeline.finish(vaultID: state.vaultID), UInt64(bad) <= failure?.seq ?? .max {
            throw ReplayFailure(seq: UInt64(bad), error: .integrity("the signature of log entry \(bad) does not verify"))
        }
        if let failure { throw failure }
        var log = VerifiedLog(state: state, tree: tree, resumedFrom: nil, cacheProblem: cacheProblem)
        log.recent = recent
        return log
    }

    /// `replay` for opening a vault: a bad entry is the vault's error itself.
    static func replayForVault(store: VaultStore, cacheProblem: ResumeCacheProblem?, upTo limit: UInt64 = .max, keepingRecent: Int = 0) throws -> VerifiedLog {
        do { return try replay(store: store, cacheProblem: cacheProblem, upTo: limit, keepingRecent: keepingRecent) } catch let failure as ReplayFailure {
            throw failure.error
        }
    }

    /// Checks the remembered checkpoint against this log: the store must
    /// hold at least as many entries, and the remembered tree must be a
    /// prefix of this one.
    func check(against seen: Checkpoint) throws {
        guard seen.origin == state.origin else { throw KithVaultError.integrity("the remembered checkpoint names another vault") }
        guard seen.size <= tree.size else {
            throw KithVaultError.integrity(
                "this vault was rolled back: it holds \(tree.size) log entries, but you already saw \(seen.size). Nothing was written to it; do not use it until it is healed or an admin restores the newest copy",
                remedy: .healVault)
        }
        let root: [UInt8]
        do { root = try tree.root(size: seen.size) } catch { root = [] }
        guard root == seen.root else {
            throw KithVaultError.integrity(
                "this vault's history differs from what you saw at entry \(seen.size) (a fork or a rewritten log). Nothing was written to it. Tell an auditor and do not use this copy")
        }
    }
}
