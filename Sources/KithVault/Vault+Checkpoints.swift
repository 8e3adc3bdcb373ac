import Foundation
import KithCrypto
import KithLog

/// Where a client keeps the newest checkpoint it has seen of each vault,
/// outside the store: `<directory>/<vault fingerprint>/<user id>.checkpoint`.
/// A store rolled back or forked against it is refused on open.
public struct CheckpointMemory: Sendable {
    /// The state directory (the CLI uses `$KITH_STATE_DIR`, else
    /// `$XDG_STATE_HOME/kith`, else `~/.local/state/kith`).
    public let directory: URL
    /// How many of the newest log entries it verified a client keeps in its
    /// journal (`ClientJournal`), so that a store restored from a backup can
    /// be healed from this device (`Vault.heal`); 0 keeps none.
    public let journalEntries: UInt64

    /// The default journal length: a busy group's weeks of work, a few
    /// tens of megabytes of ciphertext at most.
    public static let defaultJournalEntries: UInt64 = 50_000

    /// Remembers checkpoints under `directory`, and keeps the newest
    /// `journalEntries` verified entries for healing.
    public init(directory: URL, journalEntries: UInt64 = CheckpointMemory.defaultJournalEntries) {
        self.directory = directory
        // Capped: a journal longer than this is no help and would hold a whole replay in memory.
        self.journalEntries = min(journalEntries, Self.maximumJournalEntries)
    }

    /// The longest journal kept, whatever is asked.
    public static let maximumJournalEntries: UInt64 = 5_000_000

    func file(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).checkpoint")
    }

    func load(fingerprint: [UInt8], user: UserID) throws -> String? {
        let url = file(fingerprint: fingerprint, user: user)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return String(decoding: try AtomicFile.read(url.path, what: "remembered checkpoint"), as: UTF8.self)
    }

    /// Remembers `checkpoint` unless the file already holds one at least as
    /// large. Under a lock shared by every process of this user, so two
    /// commands finishing at once never move the remembered head backwards.
    /// With `replacing`, it is written whatever the file holds (a restore an admin accepted).
    func save(_ checkpoint: Checkpoint, fingerprint: [UInt8], user: UserID, replacing: Bool = false) throws {
        let url = file(fingerprint: fingerprint, user: user)
        try makeFolder(for: url)
        try FileLock.holding(url.path + ".lock") {
            if !replacing, let current = try? load(fingerprint: fingerprint, user: user), let seen = try? Checkpoint.read(noteOrText: current).checkpoint,
                seen.origin == checkpoint.origin, seen.size >= checkpoint.size
            {
                return
            }
            try AtomicFile.write(Array(checkpoint.text.utf8), to: url.path, mode: 0o600, replace: true)
        }
    }

    /// The resume cache of `user` in the vault with this fingerprint.
    func cacheFile(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).cache")
    }

    /// The journal of `user` in the vault with this fingerprint (`ClientJournal`).
    func journalFile(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).journal")
    }

    func searchFile(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).search")
    }

    func verifiedFile(fingerprint: [UInt8]) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("audit-verified.checkpoint")
    }

    /// The head of the log `kith audit verify` last found valid on this
    /// machine (any user: verifying needs no identity), or nil.
    func loadVerified(fingerprint: [UInt8]) throws -> Checkpoint? {
        let url = verifiedFile(fingerprint: fingerprint)
        guard !fingerprint.isEmpty, FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try Checkpoint(text: String(decoding: try AtomicFile.read(url.path, what: "verified checkpoint"), as: UTF8.self))
        } catch {
            throw KithVaultError.integrity("the checkpoint remembered in \(url.path) is damaged; remove it to verify the whole log again")
        }
    }

    /// Remembers the head of a log that verified.
    func saveVerified(_ checkpoint: Checkpoint, fingerprint: [UInt8]) throws {
        try save(checkpoint.text, to: verifiedFile(fingerprint: fingerprint))
    }

    func save(_ note: String, to url: URL) throws {
        try makeFolder(for: url)
        try AtomicFile.write(Array(note.utf8), to: url.path, mode: 0o600, replace: true)
    }

    func makeFolder(for url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KithVaultError.storage("cannot create \(url.deletingLastPathComponent().path) to remember the vault's checkpoint; check permissions")
        }
    }
}

extension Vault {
    /// The checkpoint origin of the vault with this fingerprint.
    static func origin(fingerprint: [UInt8]) -> String { "kith/" + Hex.encode(fingerprint) }

    /// The note key with which a signing key signs this origin's checkpoints (type 0x01).
    static func checkpointKey(origin: String, _ key: SigningPublicKey) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: origin, type: NoteVerifierKey.ed25519, key: key)
    }

    /// `checkpoint` as a note signed by `signer`, whose public key is `key`.
    static func signedNote(_ checkpoint: Checkpoint, signer: PrivateKeyHolder) throws -> String {
        var note = try SignedNote(text: checkpoint.text)
        try note.sign(as: checkpointKey(origin: checkpoint.origin, signer.identity.signingKey)) { try signer.sign($0) }
        return note.encoded
    }

    /// The checkpoint origin: names this vault by its fingerprint.
    public var origin: String { state.origin }

    /// A checkpoint of the log after appending these leaves, signed by this identity.
    func signedCheckpoint(appending leaves: [[UInt8]]) throws -> String {
        let checkpoint = try Checkpoint(origin: origin, size: tree.size + UInt64(leaves.count), root: tree.root(appending: leaves))
        return try Self.signedNote(checkpoint, signer: holder)
    }

    /// The log's checkpoint at its current size, unsigned (what this client has verified).
    public func headCheckpoint() throws -> Checkpoint {
        try Checkpoint(origin: origin, size: tree.size, root: tree.root())
    }

    /// The tree with every node, for proofs that reach before where this
    /// vault resumed (a witness's consistency proof): rebuilt from the
    /// store's entries and checked against the verified root.
    func completeTree() throws -> MerkleTree {
        guard resumedFrom != nil else { return tree }
        let full = MerkleTree(leafHashes: try store.entries(from: 0, limit: Int(clamping: tree.size)).map(MerkleHash.leaf))
        guard full.size == tree.size, try full.root() == tree.root() else {
            throw KithVaultError.integrity("the store's log no longer matches what this client verified (a fork or a rewritten log); tell an auditor")
        }
        return full
    }

    /// Remembers the current head (after open and after each commit):
    /// first the checkpoint, then the resume cache, so that a process that
    /// reads the cache and then the checkpoint never finds the checkpoint
    /// behind the cache.
    func rememberHead() throws {
        guard let memory else { return }
        // Only a head newer than the one on disk is written: opening to read rewrites nothing.
        if rememberedSize != tree.size {
            try memory.save(try headCheckpoint(), fingerprint: state.fingerprint, user: me, replacing: replacesRememberedState)
            rememberedSize = tree.size
        }
        keepVerifiedEntries()
        saveResumeCache()
        replacesRememberedState = false
    }

    /// Saves the state to this client's resume cache when it moved on. A
    /// cache that cannot be written costs the next command a full replay,
    /// not this one its work, so failures are only noted (`cacheNote`).
    func saveResumeCache() {
        guard let memory, cacheSavedSize != state.count else { return }
        do {
            if failsCacheSavesForTesting { throw KithVaultError.storage("no space left on device (test hook)") }
            try ResumeCache.save(
                state: state, tree: tree, changesSince: replacesRememberedState ? nil : cacheSavedSize ?? state.records.base?.baseSize,
                path: memory.cacheFile(fingerprint: state.fingerprint, user: me).path, key: cacheKey(), user: me, replacingNewer: replacesRememberedState)
            state.records.markSaved()
            cacheSavedSize = state.count
        } catch {
            cacheNote = "the resume cache could not be saved (\(error)); the next command replays the log"
        }
    }
}
