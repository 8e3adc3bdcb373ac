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

    /// Remembers checkpoints under `directory`.
    public init(directory: URL) { self.directory = directory }

    func file(fingerprint: [UInt8], user: UserID) -> URL {
        directory.appendingPathComponent(Hex.encode(fingerprint)).appendingPathComponent("\(user).checkpoint")
    }

    func load(fingerprint: [UInt8], user: UserID) throws -> String? {
        let url = file(fingerprint: fingerprint, user: user)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return String(decoding: try AtomicFile.read(url.path, what: "remembered checkpoint"), as: UTF8.self)
    }

    func save(_ note: String, fingerprint: [UInt8], user: UserID) throws {
        try save(note, to: file(fingerprint: fingerprint, user: user))
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
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KithVaultError.storage("cannot create \(url.deletingLastPathComponent().path) to remember the vault's checkpoint; check permissions")
        }
        try AtomicFile.write(Array(note.utf8), to: url.path, mode: 0o600, replace: true)
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

    /// Compares the remembered checkpoint with the store: the store must
    /// hold at least as many entries, and the remembered tree must be a
    /// prefix of it (checked with an RFC 9162 consistency proof).
    func checkAgainstMemory() throws {
        guard let memory, let remembered = try memory.load(fingerprint: state.fingerprint, user: me) else { return }
        let seen: Checkpoint
        do { seen = try Checkpoint.read(noteOrText: remembered).checkpoint } catch {
            throw KithVaultError.integrity("the checkpoint remembered in \(memory.file(fingerprint: state.fingerprint, user: me).path) is damaged; move it aside only if you trust this vault")
        }
        rememberedSize = seen.size
        guard seen.origin == origin else { throw KithVaultError.integrity("the remembered checkpoint names another vault") }
        guard seen.size <= tree.size else {
            throw KithVaultError.integrity(
                "this vault was rolled back: it holds \(tree.size) log entries, but you already saw \(seen.size). Nothing was written to it. Ask an admin to restore the newest copy, and do not use this one")
        }
        do {
            let proof = try tree.consistencyProof(from: seen.size, to: tree.size)
            try MerkleProof.verifyConsistency(oldSize: seen.size, newSize: tree.size, oldRoot: seen.root, newRoot: tree.root(), proof: proof)
        } catch {
            throw KithVaultError.integrity(
                "this vault's history differs from what you saw at entry \(seen.size) (a fork or a rewritten log). Nothing was written to it. Tell an auditor and do not use this copy")
        }
    }

    /// Remembers the current head (after open and after each commit).
    func rememberHead() throws {
        // Only a head newer than the one on disk is written: opening to read rewrites nothing.
        guard let memory, rememberedSize != tree.size else { return }
        try memory.save(try headCheckpoint().text, fingerprint: state.fingerprint, user: me)
        rememberedSize = tree.size
    }
}
