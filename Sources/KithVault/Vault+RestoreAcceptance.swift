import Foundation
import KithCrypto
import KithLog

/// What a device lost when it accepted a store an admin accepted as
/// restored from a backup (`Vault.acceptRestore`).
public struct AcceptedRestore: Sendable, Equatable {
    /// The position of the admin's acceptance entry.
    public let entry: UInt64
    /// The admin who accepted it.
    public let admin: UserID
    /// How many log entries this device had seen.
    public let seenEntries: UInt64
    /// The first position where this device's history and the store's differ.
    public let divergedAt: UInt64
    /// The entries this device saw from there on that the store does not hold, by kind ("record written": 3).
    public let lostByType: [String: Int]
    /// Among them, the revocations and removals: whoever they removed has
    /// their access back until someone does them again.
    public let lostRevocations: [LostRevocation]

    /// A revocation (from a group) or a removal (from the vault: no group) the restore undid.
    public struct LostRevocation: Sendable, Equatable {
        /// The group, or nil for a removal from the vault.
        public let group: GroupID?
        /// Who was revoked or removed.
        public let user: UserID
    }

    /// How many entries this device saw that are lost.
    public var lostEntries: Int { lostByType.values.reduce(0, +) }
}

/// What `Vault.acceptRestore` wrote.
public struct RestoreAcceptance: Sendable, Encodable {
    /// The acceptance entry's position (the number of entries the store held).
    public let entry: UInt64
    /// How many entries of another history this admin's device had seen, or nil (none).
    public let seenEntries: UInt64?
}

extension Vault {
    /// An admin's explicit, logged acceptance of a store restored from a
    /// backup that lost entries no device can put back (`heal` cannot: no
    /// device kept them, or someone wrote to the restored store first).
    /// Appends one signed entry naming how much the admin's device had
    /// seen, with `reason` sealed to auditors. Every device that saw more
    /// then accepts the store on its next command, once its journal shows
    /// it never saw this entry, and is told what it lost.
    ///
    /// Refused when this device could heal the store instead (it holds the
    /// missing entries): accepting would throw them away.
    public static func acceptRestore(
        store: VaultStore, holder: PrivateKeyHolder, expectedFingerprint: [UInt8]? = nil, memory: CheckpointMemory, reason: String
    ) throws -> (acceptance: RestoreAcceptance, vault: Vault) {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw KithVaultError.invalidInput("say why the restore is accepted (what happened, which backup): it is sealed to auditors", remedy: .giveReason)
        }
        // Only a heal that cannot be done lets the acceptance go ahead; a heal that failed for another reason (busy, a lost connection) stops it.
        do {
            let dry = try heal(store: store, holder: holder, expectedFingerprint: expectedFingerprint, memory: memory, dryRun: true).report
            if dry.restoredEntries > 0 {
                throw KithVaultError.invalidInput(
                    "this device holds the \(dry.restoredEntries) log entries the vault lacks: heal it instead, and nothing is lost", remedy: .healVault)
            }
        } catch let error as KithVaultError where error.code == .notFound || error.code == .integrity || error.code == .accessDenied {
            // This device cannot heal it: accepting is the way.
        }
        // Opened without this device's memory: its remembered head is the very thing being given up.
        let vault = try Vault(store: store, holder: holder, expectedFingerprint: expectedFingerprint, memory: nil)
        guard vault.state.users[vault.me]?.role == .admin else {
            throw KithVaultError.accessDenied("only an admin may accept a restored vault; ask one, or heal it from a device that saw what it lost", remedy: .healVault)
        }
        let fingerprint = vault.state.fingerprint
        let seen = try memory.load(fingerprint: fingerprint, user: vault.me).flatMap { try? Checkpoint.read(noteOrText: $0).checkpoint }
        // What this device saw, when the store does not continue it (behind it, or another history).
        let seenSize: UInt64? = seen.flatMap { seen in
            if seen.size > vault.tree.size { return seen.size }
            return (try? vault.tree.root(size: seen.size)) == seen.root ? nil : seen.size
        }
        let at = vault.state.count
        try vault.commit { state in
            guard state.count == at else {
                throw KithVaultError.busy("someone wrote to the vault meanwhile; look again before accepting it")
            }
            return [
                PendingEntry(
                    body: .restoreAccepted(seenSize: seenSize ?? 0),
                    details: [
                        ("action", "accepted the vault as restored from a backup"), ("reason", reason),
                        ("entries", "\(at) kept" + (seenSize.map { "; this admin's device had seen \($0)" } ?? "")),
                    ])
            ]
        }
        // This device wrote the acceptance, so it takes the store at once: its
        // remembered head moves to the new one, and its resume cache (of the
        // other history, disposable) goes.
        try memory.save(try vault.headCheckpoint(), fingerprint: fingerprint, user: vault.me, replacing: true)
        let cache = memory.cacheFile(fingerprint: fingerprint, user: vault.me).path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cache + suffix) }
        SearchIndex.removeFiles(memory.searchFile(fingerprint: fingerprint, user: vault.me).path)
        let opened = try Vault(store: store, holder: holder, expectedFingerprint: expectedFingerprint, memory: memory)
        return (RestoreAcceptance(entry: at, seenEntries: seenSize), opened)
    }

    /// Whether an admin's acceptance lets this device take `log` although
    /// it is behind (or beside) what the device remembers. The device's
    /// own verified state, its tagged resume cache of the history it saw,
    /// must show the acceptance's author as an admin still enrolled (so a
    /// removed admin cannot undo their removal), and the acceptance must be
    /// one the device never saw: past everything it saw, or at a position
    /// where its journal, checked to chain to that cache's head, holds
    /// another entry. Otherwise `refusal` stands (an acceptance inside the
    /// history this device saw cannot excuse a rollback after it). Returns
    /// what the device lost, as far as its journal tells.
    static func acceptance(
        of log: VerifiedLog, remembered: Checkpoint, store: VaultStore, memory: CheckpointMemory, user: UserID, cacheKey: KeyBox?,
        refusal: KithVaultError
    ) throws -> AcceptedRestore {
        guard let at = log.state.restoresAccepted.last else { throw refusal }
        // The acceptance's bytes, read once and checked against the log just verified (the store may answer a second read otherwise).
        guard let acceptingBytes = try store.entry(at: at), (try? log.tree.leafHash(at)) == MerkleHash.leaf(acceptingBytes) else { throw refusal }
        let accepting = try LogEntry.decode(acceptingBytes)
        let fingerprint = log.state.fingerprint
        func cannotTell(_ why: String) -> KithVaultError {
            KithVaultError.integrity(
                "\(refusal.reason). An admin accepted this vault as restored from a backup (log entry \(at)), but \(why), so this device cannot tell whether that acceptance is one it never saw; if the admin confirms it, see docs/operations.md ('A device that cannot tell')",
                remedy: .tellAuditor)
        }
        // What this device verified itself: its tagged resume cache, at the very head it remembers.
        guard let cacheKey,
            case .success(let (_, head)) = ResumeCache.open(
                path: memory.cacheFile(fingerprint: fingerprint, user: user).path, key: cacheKey, fingerprint: fingerprint, user: user),
            let seen = try? VaultState.decodeSnapshot(head.snapshot, records: nil),
            head.size == remembered.size, (try? MerkleTree(size: head.size, frontier: head.frontier).root()) == remembered.root
        else { throw cannotTell("its own record of what it verified (the resume cache) is missing, damaged or behind what it remembers") }
        guard let author = seen.users[accepting.actor], author.role == .admin, author.removedAt == nil else {
            throw KithVaultError.integrity(
                "\(refusal.reason). The acceptance of a restore at log entry \(at) is signed by someone who is not an admin in the vault this device saw; it is not accepted",
                remedy: .tellAuditor)
        }
        // Signed after everything this device saw: an acceptance from a history given up earlier cannot switch it back.
        guard accepting.timeMillis > seen.headTimeMillis else {
            throw KithVaultError.integrity(
                "\(refusal.reason). The acceptance of a restore at log entry \(at) was signed before the newest entry this device saw; it is not accepted",
                remedy: .tellAuditor)
        }
        // The journal's entries this device verified: those that chain back from the cache's head.
        let journal = memory.journalEntries == 0 ? nil : try? ClientJournal.openIfPresent(path: memory.journalFile(fingerprint: fingerprint, user: user).path)
        var verified: [UInt64: [UInt8]] = [:]
        if let journal {
            var expected = seen.headHash
            var seq = head.size
            while seq > 0 {
                seq -= 1
                guard let bytes = try journal.entry(at: seq), SHA256.hash(bytes) == expected, let entry = try? LogEntry.decode(bytes) else { break }
                verified[seq] = bytes
                expected = entry.previousHash
            }
        }
        if at < remembered.size {
            // The device saw that position: its own entry there must differ.
            guard let mine = verified[at] else { throw cannotTell("this device kept no verified copy of its own entry \(at)") }
            guard SHA256.hash(mine) != SHA256.hash(acceptingBytes) else {
                // This device saw the acceptance itself: the store was rolled back again after it.
                throw refusal
            }
        }
        // Where the two histories part, and what of this device's is lost (from its verified entries only).
        var diverged = min(at, remembered.size)
        if let first = verified.keys.min() {
            var seq = first
            while seq < diverged {
                guard let bytes = verified[seq], let leaf = try? log.tree.leafHash(seq), leaf == MerkleHash.leaf(bytes) else {
                    diverged = seq
                    break
                }
                seq += 1
            }
        }
        var lost: [String: Int] = [:]
        var revocations: [AcceptedRestore.LostRevocation] = []
        for seq in verified.keys.sorted() where seq >= diverged {
            guard let bytes = verified[seq], let entry = try? LogEntry.decode(bytes) else { continue }
            lost[entry.body.type.description, default: 0] += 1
            switch entry.body {
            case .roleRevoked(let group, let user): revocations.append(.init(group: group, user: user))
            case .userRemoved(let user, _, _): revocations.append(.init(group: nil, user: user))
            default: break
            }
        }
        return AcceptedRestore(
            entry: at, admin: accepting.actor, seenEntries: remembered.size, divergedAt: diverged, lostByType: lost, lostRevocations: revocations)
    }
}
