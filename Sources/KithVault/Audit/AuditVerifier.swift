import Foundation
import KithCrypto
import KithLog

/// Verifies a store's whole log without any identity: every entry's
/// signature, the hash chain, the replay of rights, and the Merkle root
/// against the newest checkpoint, its signature by an enrolled user and
/// its witnesses' cosignatures.
///
/// It replays with the same code as opening a vault (`VerifiedLog`), a
/// page at a time, signatures checked on other cores while the replay goes
/// on. Incremental: entries covered by a checkpoint verified before (given,
/// or remembered in `memory`) must hash to that checkpoint's root; then their
/// signatures hold as they did, and only the replay of rights (cheap) is
/// redone for them.
public enum AuditVerifier {
    /// Checks everything; names the first bad entry. `from`: a checkpoint
    /// the caller verified before (its entries' signatures are not checked
    /// again if the log still hashes to it); without it, the one `memory`
    /// remembers, unless `resume` is false (check everything). A valid log's
    /// head is remembered in `memory` for next time. With `records` (the
    /// default), every stored record version and attachment file the log
    /// names is checked too (`RecordAudit`), every time: stored rows can be
    /// damaged long after their entry was verified.
    public static func verify(
        store: VaultStore, from given: Checkpoint? = nil, memory: CheckpointMemory? = nil, resume: Bool = true,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, records checkRecords: Bool = true
    ) throws -> AuditReport {
        var problems: [String] = []
        let fingerprint = try store.entry(at: 0).map(SHA256.hash) ?? []
        let earlier = try given ?? (resume ? memory?.loadVerified(fingerprint: fingerprint) : nil)
        var trusted: UInt64 = 0
        if let earlier {
            if earlier.origin != Vault.origin(fingerprint: fingerprint) {
                problems.append("the checkpoint to resume from is for another vault (\(earlier.origin))")
            } else {
                trusted = earlier.size
            }
        }

        var replayed = try replay(store: store, trusted: trusted, threads: threads)
        // The prefix whose signatures were skipped must be the one verified before.
        if let earlier, trusted > 0 {
            let size = replayed.log.tree.size
            let prefixProblem: String? =
                if let failure = replayed.failure, failure.seq < earlier.size {
                    "the first \(earlier.size) entries differ from the ones verified before: the log was rewritten (a fork)"
                } else if earlier.size > size, replayed.failure == nil {
                    "the log holds \(size) entries but \(earlier.size) were verified before: it was rolled back"
                } else if earlier.size <= size, try replayed.log.tree.root(size: earlier.size) != earlier.root {
                    "the first \(earlier.size) entries differ from the ones verified before: the log was rewritten (a fork)"
                } else { nil }
            if let prefixProblem {
                // Check every signature after all, to name the first bad entry.
                trusted = 0
                replayed = try replay(store: store, trusted: 0, threads: threads)
                problems.append(prefixProblem)
            }
        }
        if let failure = replayed.failure { problems.insert("entry \(failure.seq): \(failure.error.description)", at: 0) }
        let state = replayed.log.state
        let tree = replayed.log.tree

        // The newest checkpoint and the newest witnessed one must be signed and match the log.
        var newest: CheckedCheckpoint?
        var newestWitnessed: CheckedCheckpoint?
        if problems.isEmpty, state.count > 0 {
            if let raw = try store.latestCheckpoint() {
                newest = check(raw, what: "the newest checkpoint", state: state, tree: tree, problems: &problems)
            }
            if let raw = try store.latestCheckpoint(containing: state.origin + "/witness/") {
                newestWitnessed = check(raw, what: "the newest witnessed checkpoint", state: state, tree: tree, problems: &problems)
            }
        }
        let logValid = problems.isEmpty
        let log = logValid ? AuditedLog(state: state, tree: tree, store: store) : nil
        if let log, let memory, state.count > 0 { try memory.saveVerified(try log.head(), fingerprint: state.fingerprint) }
        // Records are checked against a log that verified; against a broken one there is nothing sure to check them by.
        let records = logValid && checkRecords ? try RecordAudit.check(state: state, store: store, threads: threads) : nil
        for problem in records?.problems ?? [] {
            problems.append("record \(problem.record) version \(problem.version): \(problem.reason)")
        }
        return AuditReport(
            entries: replayed.failure == nil ? tree.size : try countEntries(store), root: Base64.encode(try tree.root()), problems: problems,
            newest: newest, newestWitnessed: newestWitnessed, resumedFrom: trusted, threads: threads, log: log, records: records)
    }

    /// The replay up to the first bad entry, and that entry's failure.
    private static func replay(store: VaultStore, trusted: UInt64, threads: Int) throws -> (log: VerifiedLog, failure: ReplayFailure?) {
        do {
            return (try VerifiedLog.replay(store: store, cacheProblem: nil, trusted: trusted, threads: threads), nil)
        } catch let failure as ReplayFailure {
            // What verified before the bad entry, for the report's counts and root.
            let before = try VerifiedLog.replay(store: store, cacheProblem: nil, upTo: failure.seq, trusted: trusted, threads: threads)
            return (before, failure)
        }
    }

    /// How many entries the store holds, counted a page at a time (a log that failed to verify).
    private static func countEntries(_ store: VaultStore) throws -> UInt64 {
        var count: UInt64 = 0
        while true {
            let page = try store.entries(from: count, limit: VerifiedLog.pageSize)
            count += UInt64(page.count)
            if page.count < VerifiedLog.pageSize { return count }
        }
    }

    /// Checks a stored checkpoint note against the log; nil (and a problem) when it fails.
    static func check(_ raw: String, what: String, state: VaultState, tree: MerkleTree, problems: inout [String]) -> CheckedCheckpoint? {
        do {
            let checked = try state.checkCheckpoint(raw)
            let size = checked.checkpoint.size
            if size > tree.size {
                problems.append("\(what) covers \(size) entries but the log holds \(tree.size): entries were removed")
            } else if try tree.root(size: size) != checked.checkpoint.root {
                problems.append("\(what)'s root does not match the first \(size) entries: the log was rewritten")
            } else {
                return checked
            }
        } catch let error as KithLogError {
            problems.append("\(what): \(error.description)")
        } catch {
            problems.append("\(what): \(error)")
        }
        return nil
    }
}
