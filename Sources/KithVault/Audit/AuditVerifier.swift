import Foundation
import KithCrypto
import KithLog

/// Verifies a store's whole log without any identity: every entry's
/// signature, the hash chain, the replay of rights, and the Merkle root
/// against the newest checkpoint, its signature by an enrolled user and
/// its witnesses' cosignatures.
///
/// Incremental: entries covered by a checkpoint verified before (given, or
/// remembered in `memory`) must hash to that checkpoint's root; then their
/// signatures hold as they did, and only the replay of rights (cheap) is
/// redone for them. Everything after is checked in full, signatures in
/// parallel across cores.
public enum AuditVerifier {
    /// Checks everything; names the first bad entry. `from`: a checkpoint
    /// the caller verified before (its entries' signatures are not checked
    /// again if the log still hashes to it); without it, the one `memory`
    /// remembers, unless `resume` is false (check everything). A valid log's
    /// head is remembered in `memory` for next time.
    public static func verify(
        store: VaultStore, from given: Checkpoint? = nil, memory: CheckpointMemory? = nil, resume: Bool = true,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> AuditReport {
        let entries = try store.entries(from: 0)
        let leaves = ParallelSignatures.leafHashes(entries, threads: threads, hash: MerkleHash.leaf)
        let tree = MerkleTree(leafHashes: leaves)
        var problems: [String] = []

        // Which prefix was verified before, and does the log still hash to it?
        let fingerprint = entries.first.map(SHA256.hash) ?? []
        let earlier = try given ?? (resume ? memory?.loadVerified(fingerprint: fingerprint) : nil)
        var trusted: UInt64 = 0
        var prefixProblem: String?
        if let earlier {
            if earlier.origin != Vault.origin(fingerprint: fingerprint) {
                prefixProblem = "the checkpoint to resume from is for another vault (\(earlier.origin))"
            } else if earlier.size > tree.size {
                prefixProblem = "the log holds \(tree.size) entries but \(earlier.size) were verified before: it was rolled back"
            } else if try tree.root(size: earlier.size) != earlier.root {
                prefixProblem = "the first \(earlier.size) entries differ from the ones verified before: the log was rewritten (a fork)"
            } else {
                trusted = earlier.size
            }
        }

        // Replay in order (rights, chain, structure) on this thread while other
        // cores check the signatures of entries already replayed.
        var state = VaultState()
        let pipeline = SignaturePipeline(entries: entries, threads: threads)
        var replayFailure: (index: Int, message: String)?
        for (index, bytes) in entries.enumerated() {
            do {
                let entry = try LogEntry.decode(bytes)
                let key: SigningPublicKey? =
                    if case .genesis(_, let founder, _, _, _) = entry.body { founder.signingKey } else { state.users[entry.actor]?.identity.signingKey }
                try state.apply(entry, checkSignature: false)
                if UInt64(index) >= trusted, let key { pipeline.add(.init(index: index, key: key), vaultID: state.vaultID) }
            } catch let error as KithVaultError {
                replayFailure = (index, error.description)
                break
            }
        }
        let badSignature = pipeline.finish(vaultID: state.vaultID)
        if let badSignature, badSignature <= replayFailure?.index ?? Int.max {
            problems.append("entry \(badSignature): \(KithVaultError.integrity("the signature of log entry \(badSignature) does not verify").description)")
        } else if let replayFailure {
            problems.append("entry \(replayFailure.index): \(replayFailure.message)")
        }
        if let prefixProblem { problems.append(prefixProblem) }

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
        let valid = problems.isEmpty
        let log = valid ? AuditedLog(state: state, tree: tree, entries: entries) : nil
        if let log, let memory, state.count > 0 { try memory.saveVerified(try log.head(), fingerprint: state.fingerprint) }
        return AuditReport(
            entries: UInt64(entries.count), root: Base64.encode(try tree.root()), problems: problems,
            newest: newest, newestWitnessed: newestWitnessed, resumedFrom: trusted, threads: threads, log: log)
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
