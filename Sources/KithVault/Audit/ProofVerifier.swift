import Foundation
import KithCrypto
import KithLog

/// What an offline proof check established, in plain sentences.
public struct ProofVerdict: Sendable {
    /// What holds (each sentence is a fact the check proved).
    public internal(set) var proven: [String] = []
    /// What was not checked and how to check it.
    public internal(set) var unchecked: [String] = []
    /// Whether every checkpoint the proof rests on carried a cosignature by
    /// a given witness key (false without keys).
    public internal(set) var witnessed = false
}

/// Checks a proof file with nothing but the file, optional checkpoints and
/// optional verifier keys: no vault, no identity. What an outside party
/// runs on a proof an auditor handed them.
public enum ProofVerifier {
    /// Checks `proof` (a C2SP tlog-proof, or the JSON form of an inclusion
    /// or consistency proof). `checkpoints`: checkpoint notes (or bare
    /// checkpoint texts) the proof's roots must match.
    ///
    /// With `keys`, every checkpoint must carry a valid signature of its
    /// vault and count only when a given witness (auditor) key cosigned it,
    /// as C2SP tlog-witness intends: any enrolled user, even a viewer or a
    /// removed member, can sign a checkpoint of a tree they made up, but
    /// only a witness vouches that it is the vault's one log.
    /// `allowUnwitnessed` accepts a checkpoint without a cosignature, and
    /// the verdict says so. With keys that name the vault's id and its
    /// signers (`kith audit keys`), a tlog-proof's entry must be signed by
    /// its author too. Without keys only the hashes are checked.
    public static func verify(proof raw: [UInt8], checkpoints: [String], keys: VerifierKeys?, allowUnwitnessed: Bool = false) throws -> ProofVerdict {
        guard let text = String(validating: raw, as: UTF8.self) else { throw KithLogError.malformed("the proof file is not UTF-8 text") }
        var verdict = ProofVerdict()
        verdict.witnessed = keys != nil
        let given = try checkpoints.map { try Checkpoint.read(noteOrText: $0) }
        if text.hasPrefix(TlogProof.header) {
            let proof = try TlogProof(parsing: text)
            guard let entryBytes = proof.extra else {
                throw KithLogError.malformed("the proof carries no log entry in its extra line (Kith proofs always do); ask for a new proof")
            }
            let entry: LogEntry
            do { entry = try LogEntry.decode(entryBytes) } catch {
                throw KithLogError.malformed("the extra line is not a Kith log entry")
            }
            guard entry.seq == proof.index else {
                throw KithLogError.invalidProof("the entry in the extra line is entry \(entry.seq), but the proof is for index \(proof.index)")
            }
            let checkpoint = try proof.checkpoint()
            try proof.inclusionProof(leafHash: MerkleHash.leaf(entryBytes)).verify()
            verdict.proven.append(
                "Entry \(entry.seq) (\(entry.body.type), written \(isoTime(entry.timeMillis)) by user \(entry.actor)) is in the log \(checkpoint.origin) of \(checkpoint.size) entries, root \(Base64.encode(checkpoint.root))."
            )
            try signatures(of: (proof.note, checkpoint), keys: keys, allowUnwitnessed: allowUnwitnessed, into: &verdict)
            if let keys { try author(of: entry, keys: keys, into: &verdict) }
            try match(given, size: checkpoint.size, root: checkpoint.root, origin: checkpoint.origin, proven: &verdict.proven)
            return verdict
        }
        guard text.hasPrefix("{") else {
            throw KithLogError.malformed("this is neither a C2SP tlog-proof nor a JSON proof; pass a proof file Kith wrote")
        }
        guard !given.isEmpty else {
            throw KithVaultError.invalidInput("a JSON proof only means something against a signed checkpoint", remedy: .giveCheckpoint)
        }
        for checkpoint in given {
            try signatures(of: checkpoint, keys: keys, allowUnwitnessed: allowUnwitnessed, into: &verdict)
        }
        if text.contains("\"leaf_index\"") {
            let proof = try InclusionProof(json: raw)
            try proof.verify()
            try match(given, size: proof.treeSize, root: proof.root, origin: nil, proven: &verdict.proven)
            verdict.proven.insert(
                "The leaf with hash \(Base64.encode(proof.leafHash)) is entry \(proof.leafIndex) of the log of \(proof.treeSize) entries, root \(Base64.encode(proof.root)).",
                at: 0)
            if keys != nil { verdict.unchecked.append("A JSON proof carries only the entry's hash, so its author's signature was not checked; a tlog-proof carries the entry.") }
        } else {
            let proof = try ConsistencyProof(json: raw)
            try proof.verify()
            var matched = 0
            for (size, root) in [(proof.size1, proof.root1), (proof.size2, proof.root2)] where given.contains(where: { $0.1.size == size }) {
                try match(given, size: size, root: root, origin: nil, proven: &verdict.proven)
                matched += 1
            }
            guard matched > 0 else {
                throw KithVaultError.invalidInput("none of the checkpoints given is of size \(proof.size1) or \(proof.size2); pass the ones the proof is between")
            }
            if matched == 1 { verdict.unchecked.append("Only one of the two roots was compared with a checkpoint you gave; pass both to tie the proof to both.") }
            verdict.proven.insert(
                "The log of \(proof.size1) entries (root \(Base64.encode(proof.root1))) is the start of the log of \(proof.size2) entries (root \(Base64.encode(proof.root2))): nothing in it was changed or removed.",
                at: 0)
        }
        return verdict
    }

    /// Reads a verifier keys file (`VerifierKeys`), refusing one too large to be one.
    public static func readKeys(_ text: String) throws -> VerifierKeys {
        guard text.utf8.count <= VerifierKeys.maxFileSize else { throw KithLogError.malformed("the keys file is larger than any keys file Kith writes") }
        do { return try VerifierKeys.parse(text) } catch {
            // A mix-up of files (the proof given as the keys), not tampering: a usage error that says so.
            throw KithVaultError.invalidInput(
                "the keys file is not one 'kith audit keys' wrote (its first line should be '\(VerifierKeys.header)'): check you passed the keys file, not the proof or a checkpoint, to --keys (\(error))")
        }
    }

    /// Checks the checkpoint's signature and counts its witnesses, naming who signed.
    private static func signatures(
        of given: (SignedNote?, Checkpoint), keys: VerifierKeys?, allowUnwitnessed: Bool, into verdict: inout ProofVerdict
    ) throws {
        let (note, checkpoint) = given
        guard let keys else {
            verdict.unchecked.append("The signatures on the checkpoint of \(checkpoint.size) entries were NOT checked: no note keys were given.")
            return
        }
        if let origin = keys.origin, origin != checkpoint.origin {
            throw KithLogError.badSignature("the keys given are for the vault \(origin), but the checkpoint is for \(checkpoint.origin)")
        }
        guard let note else { throw KithLogError.badSignature("the checkpoint of \(checkpoint.size) entries carries no signatures") }
        let verified = try note.verify(trusted: keys.noteKeys, requireOne: false)
        guard let signer = keys.signers.first(where: { signer in verified.contains { $0 == signer.key && $0.name == checkpoint.origin } }) else {
            throw KithLogError.badSignature("the checkpoint of \(checkpoint.size) entries is not signed by any of the given keys for \(checkpoint.origin)")
        }
        let witnesses = keys.witnesses.filter { witness in verified.contains(witness.key) }
        let signedBy = "signed by \(describe(signer.user, role: signer.role))\(signer.removed ? " (since removed from the vault)" : "")"
        guard !witnesses.isEmpty else {
            guard allowUnwitnessed else {
                throw KithVaultError.integrity(
                    "the checkpoint of \(checkpoint.size) entries is \(signedBy) but cosigned by no witness among the given keys: any enrolled user, even a viewer or a removed member, can sign a checkpoint of a log they made up, so this proof shows nothing about the vault",
                    remedy: .askForWitnessedProof)
            }
            verdict.witnessed = false
            verdict.unchecked.append(
                "NOT WITNESSED: the checkpoint of \(checkpoint.size) entries is \(signedBy) alone. Any enrolled user, even a viewer or a removed member, can sign a checkpoint of a log they made up; nothing here shows this is the vault's log."
            )
            return
        }
        let names = witnesses.map { $0.user.map { "auditor \($0)" } ?? $0.key.name }
        verdict.proven.append(
            "The checkpoint of \(checkpoint.size) entries is \(signedBy) and cosigned by \(witnesses.count) witness\(witnesses.count == 1 ? "" : "es") among the given keys (\(names.joined(separator: ", "))).")
    }

    /// Checks that the entry in a proof is signed by its author, with the key the keys file lists for them.
    private static func author(of entry: LogEntry, keys: VerifierKeys, into verdict: inout ProofVerdict) throws {
        guard let vaultID = keys.vaultID else {
            verdict.unchecked.append("The entry's own signature was NOT checked: the keys file is in an older form that names no vault id (make a new one with 'kith audit keys').")
            return
        }
        guard let signer = keys.signers.first(where: { $0.user == entry.actor }) else {
            throw KithLogError.badSignature("the entry's author, user \(entry.actor), is not among the given keys: no enrolled user wrote it")
        }
        guard entry.hasValidSignature(by: signer.key.key, vaultID: vaultID) else {
            throw KithLogError.badSignature("the entry is not signed by its author, user \(entry.actor): it was made up or changed")
        }
        verdict.proven.append(
            "The entry is signed by its author, \(describe(entry.actor, role: signer.role))\(signer.removed ? ", who has since been removed from the vault" : "").")
    }

    private static func describe(_ user: UserID?, role: OrgRole?) -> String {
        guard let user else { return "a key of the vault" }
        return role.map { "user \(user) (\($0))" } ?? "user \(user)"
    }

    private static func match(_ given: [(SignedNote?, Checkpoint)], size: UInt64, root: [UInt8], origin: String?, proven: inout [String]) throws {
        for (_, checkpoint) in given {
            if let origin, checkpoint.origin != origin {
                throw KithLogError.invalidProof("a checkpoint given is for \(checkpoint.origin), the proof for \(origin)")
            }
            guard checkpoint.size == size else { continue }
            guard checkpoint.root == root else {
                throw KithLogError.invalidProof("the checkpoint you gave of \(size) entries has another root: two different logs of that size exist (a fork)")
            }
            proven.append("The checkpoint you gave of \(size) entries has the same root.")
            return
        }
        if origin == nil {
            throw KithVaultError.invalidInput("no checkpoint given is of size \(size); pass the checkpoint the proof is for")
        }
    }

    private static func isoTime(_ millis: UInt64) -> String {
        Timestamp.iso8601(millis: millis)
    }
}
