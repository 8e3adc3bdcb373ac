import Foundation
import KithCrypto
import KithLog

/// What `witness()` did.
public struct WitnessResult: Sendable {
    /// The checkpoint now cosigned.
    public let checkpoint: Checkpoint
    /// The checkpoint this auditor cosigned before, which the new one was
    /// proven consistent with (nil: the first time).
    public let previous: Checkpoint?
    /// Witnesses on the checkpoint now, this one included.
    public let witnesses: Int
    /// True when this auditor had already cosigned it (nothing was written).
    public let alreadyCosigned: Bool
}

extension CheckpointMemory {
    func witnessedFile(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).witnessed")
    }

    /// The last checkpoint `user` cosigned, or nil.
    func loadWitnessed(fingerprint: [UInt8], user: UserID) throws -> Checkpoint? {
        let url = witnessedFile(fingerprint: fingerprint, user: user)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try Checkpoint(text: String(decoding: try AtomicFile.read(url.path, what: "witnessed checkpoint"), as: UTF8.self))
        } catch {
            throw KithVaultError.integrity("the checkpoint you last witnessed, kept in \(url.path), is damaged; restore it from your backup before witnessing again")
        }
    }

    func saveWitnessed(_ checkpoint: Checkpoint, fingerprint: [UInt8], user: UserID) throws {
        try save(checkpoint.text, to: witnessedFile(fingerprint: fingerprint, user: user))
    }
}

extension Vault {
    /// As an auditor: proves the newest stored checkpoint consistent with
    /// the last one this auditor cosigned (kept in `memory`, outside the
    /// store), then adds a C2SP tlog-cosignature to it. Refuses, writing
    /// nothing, when the log was rolled back or rewritten since.
    public func witness() throws -> WitnessResult {
        guard state.users[me]?.role == .auditor else {
            throw KithVaultError.accessDenied("only auditors witness checkpoints; ask an admin to enrol an auditor")
        }
        guard let memory else { throw KithVaultError.invalidInput("witnessing needs a state directory to remember what was cosigned") }
        try refresh()
        for _ in 0..<20 {
            // Proofs reach back to the previous cosigned size, before where this vault may have resumed.
            let tree = try completeTree()
            guard let raw = try store.latestCheckpoint() else {
                throw KithVaultError.notFound("a checkpoint to witness (the vault gets one with its next write)")
            }
            let checked: CheckedCheckpoint
            do { checked = try state.checkCheckpoint(raw) } catch let error as KithLogError {
                throw KithVaultError.integrity("the newest checkpoint: \(error.description)")
            }
            let checkpoint = checked.checkpoint
            guard checkpoint.size <= tree.size, try tree.root(size: checkpoint.size) == checkpoint.root else {
                throw KithVaultError.integrity("the newest checkpoint does not match the log it was stored with; nothing was cosigned")
            }
            let previous = try memory.loadWitnessed(fingerprint: state.fingerprint, user: me)
            if let previous {
                guard previous.size <= checkpoint.size else {
                    throw KithVaultError.integrity(
                        "you cosigned a log of \(previous.size) entries, and the newest checkpoint has \(checkpoint.size): the vault was rolled back. Nothing was cosigned; ask an admin to restore the newest copy")
                }
                do {
                    let proof = try tree.consistencyProof(from: previous.size, to: checkpoint.size)
                    try MerkleProof.verifyConsistency(oldSize: previous.size, newSize: checkpoint.size, oldRoot: previous.root, newRoot: checkpoint.root, proof: proof)
                } catch {
                    throw KithVaultError.integrity(
                        "the newest checkpoint is not consistent with the one you cosigned at \(previous.size) entries: history was rewritten (a fork). Nothing was cosigned; keep both checkpoints and tell the other auditors"
                    )
                }
            }
            if checked.witnesses.contains(me) {
                try memory.saveWitnessed(checkpoint, fingerprint: state.fingerprint, user: me)
                return WitnessResult(checkpoint: checkpoint, previous: previous, witnesses: checked.witnesses.count, alreadyCosigned: true)
            }
            var note = checked.note
            try note.cosign(as: state.witnessKey(of: me), timestamp: clock() / 1000) { try holder.sign($0) }
            // Compare-and-swap: a writer's new checkpoint or another witness's cosignature is never overwritten.
            guard try store.updateCheckpoint(size: checkpoint.size, from: raw, to: note.encoded) else {
                try refresh()
                continue
            }
            try memory.saveWitnessed(checkpoint, fingerprint: state.fingerprint, user: me)
            return WitnessResult(checkpoint: checkpoint, previous: previous, witnesses: checked.witnesses.count + 1, alreadyCosigned: false)
        }
        throw KithVaultError.busy("the newest checkpoint kept changing while it was being cosigned")
    }
}
