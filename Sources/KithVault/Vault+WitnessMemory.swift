import Foundation
import KithCrypto
import KithLog

/// A client remembers the newest witnessed checkpoint it saw and who
/// cosigned it (`<user id>.cosigned` beside the remembered checkpoint), so
/// that an operator who strips cosignatures from the stored note, to pass a
/// split view off as witnessed or to hide who vouched, is caught: the
/// checkpoint of that size must keep every cosignature of an auditor still
/// enrolled. A client sees a cosignature when the witnessed checkpoint is
/// the newest one as it opens (an auditor's own client always does).
extension CheckpointMemory {
    func cosignedFile(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).cosigned")
    }

    /// The witnessed checkpoint last seen (size and root), and its witnesses.
    func loadCosigned(fingerprint: [UInt8], user: UserID) throws -> (size: UInt64, root: [UInt8], witnesses: Set<UserID>)? {
        let url = cosignedFile(fingerprint: fingerprint, user: user)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let lines = String(decoding: try AtomicFile.read(url.path, what: "remembered cosignatures"), as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count >= 2, let size = UInt64(lines[0]), let root = try? Base64.decode(Substring(lines[1]), what: "root"),
            let witnesses = try? lines.dropFirst(2).map({ try Identifier(parsing: $0) })
        else {
            throw KithVaultError.integrity("the cosignatures remembered in \(url.path) are damaged; move the file aside only if you trust this vault")
        }
        return (size, root, Set(witnesses))
    }

    func saveCosigned(_ checkpoint: Checkpoint, witnesses: Set<UserID>, fingerprint: [UInt8], user: UserID) throws {
        let text = ([String(checkpoint.size), Base64.encode(checkpoint.root)] + witnesses.map(\.description).sorted()).joined(separator: "\n") + "\n"
        try save(text, to: cosignedFile(fingerprint: fingerprint, user: user))
    }
}

extension Vault {
    /// Checks that the witnessed checkpoint this client saw last still
    /// carries the cosignature of every witness who is still an auditor,
    /// then remembers the newest witnessed checkpoint of this log.
    func checkCosignaturesKept() throws {
        guard let memory else { return }
        let remembered = try memory.loadCosigned(fingerprint: state.fingerprint, user: me)
        if let remembered, remembered.size <= tree.size {
            let expected = remembered.witnesses.filter { state.users[$0].map { $0.role == .auditor && $0.isActive } ?? false }
            // Only for the checkpoint that was cosigned (same size and root): a
            // fork is for the remembered checkpoint and the witness to refuse.
            let stored = try store.checkpoint(size: remembered.size).map { try state.checkCheckpoint($0) }
            if !expected.isEmpty, stored.map({ $0.checkpoint.root == remembered.root }) ?? true {
                let missing = expected.subtracting(stored?.witnesses ?? [])
                guard missing.isEmpty else {
                    throw KithVaultError.integrity(
                        "the store's checkpoint of \(remembered.size) entries has lost the cosignature of \(missing.map { handle(of: $0) }.sorted().joined(separator: ", ")), which this client saw on it: someone with access to the store removed it. Nothing was written",
                        remedy: .tellAuditor)
                }
            }
        }
        // Learnt from the newest checkpoint only, which costs one indexed read: searching every
        // stored checkpoint for the newest witnessed one would grow with the log on every open.
        guard let raw = try store.latestCheckpoint(), let checked = try? state.checkCheckpoint(raw),
            !checked.witnesses.isEmpty, checked.checkpoint.size <= tree.size, checked.checkpoint.size >= remembered?.size ?? 0
        else { return }
        let witnesses = Set(checked.witnesses)
        if let remembered, remembered.size == checked.checkpoint.size, remembered.root == checked.checkpoint.root,
            remembered.witnesses.isSuperset(of: witnesses)
        {
            return
        }
        // Something new to remember: only if it is a checkpoint of this verified log (a
        // resumed tree finds the nodes below where it resumed in the cache and the store).
        guard (try? proofTree().root(size: checked.checkpoint.size)) == checked.checkpoint.root else { return }
        try memory.saveCosigned(checked.checkpoint, witnesses: witnesses, fingerprint: state.fingerprint, user: me)
    }
}
