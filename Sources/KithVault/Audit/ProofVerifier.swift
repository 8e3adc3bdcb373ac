import Foundation
import KithCrypto
import KithLog

/// What an offline proof check established, in plain sentences.
public struct ProofVerdict: Sendable {
    /// What holds (each sentence is a fact the check proved).
    public let proven: [String]
    /// What was not checked and how to check it.
    public let unchecked: [String]
}

/// Checks a proof file with nothing but the file, optional checkpoints and
/// optional verifier keys: no vault, no identity. What an outside party
/// runs on a proof an auditor handed them.
public enum ProofVerifier {
    /// Checks `proof` (a C2SP tlog-proof, or the JSON form of an inclusion
    /// or consistency proof). `checkpoints`: checkpoint notes (or bare
    /// checkpoint texts) the proof's roots must match. `keys`: trusted
    /// verifier keys (from `kith audit keys`); with them every checkpoint
    /// must carry a valid signature of its vault, and witnesses are counted.
    public static func verify(proof raw: [UInt8], checkpoints: [String], keys: [NoteVerifierKey]) throws -> ProofVerdict {
        guard let text = String(validating: raw, as: UTF8.self) else { throw KithLogError.malformed("the proof file is not UTF-8 text") }
        var proven: [String] = []
        var unchecked: [String] = []
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
            proven.append(
                "Entry \(entry.seq) (\(entry.body.type), written \(isoTime(entry.timeMillis)) by user \(entry.actor)) is in the log \(checkpoint.origin) of \(checkpoint.size) entries, root \(Base64.encode(checkpoint.root))."
            )
            try signatures(of: (proof.note, checkpoint), keys: keys, proven: &proven, unchecked: &unchecked)
            try match(given, size: checkpoint.size, root: checkpoint.root, origin: checkpoint.origin, proven: &proven)
            return ProofVerdict(proven: proven, unchecked: unchecked)
        }
        guard text.hasPrefix("{") else {
            throw KithLogError.malformed("this is neither a C2SP tlog-proof nor a JSON proof; pass a proof file Kith wrote")
        }
        guard !given.isEmpty else {
            throw KithVaultError.invalidInput("a JSON proof only means something against a signed checkpoint", remedy: .giveCheckpoint)
        }
        for checkpoint in given {
            try signatures(of: checkpoint, keys: keys, proven: &proven, unchecked: &unchecked)
        }
        if text.contains("\"leaf_index\"") {
            let proof = try InclusionProof(json: raw)
            try proof.verify()
            try match(given, size: proof.treeSize, root: proof.root, origin: nil, proven: &proven)
            proven.insert("The leaf with hash \(Base64.encode(proof.leafHash)) is entry \(proof.leafIndex) of the log of \(proof.treeSize) entries, root \(Base64.encode(proof.root)).", at: 0)
        } else {
            let proof = try ConsistencyProof(json: raw)
            try proof.verify()
            var matched = 0
            for (size, root) in [(proof.size1, proof.root1), (proof.size2, proof.root2)] where given.contains(where: { $0.1.size == size }) {
                try match(given, size: size, root: root, origin: nil, proven: &proven)
                matched += 1
            }
            guard matched > 0 else {
                throw KithVaultError.invalidInput("none of the checkpoints given is of size \(proof.size1) or \(proof.size2); pass the ones the proof is between")
            }
            if matched == 1 { unchecked.append("Only one of the two roots was compared with a checkpoint you gave; pass both to tie the proof to both.") }
            proven.insert(
                "The log of \(proof.size1) entries (root \(Base64.encode(proof.root1))) is the start of the log of \(proof.size2) entries (root \(Base64.encode(proof.root2))): nothing in it was changed or removed.",
                at: 0)
        }
        return ProofVerdict(proven: proven, unchecked: unchecked)
    }

    /// Parses verifier keys, one vkey per line (blank lines and # comments skipped).
    public static func readKeys(_ text: String) throws -> [NoteVerifierKey] {
        try text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { try NoteVerifierKey(vkey: $0) }
    }

    private static func signatures(of given: (SignedNote?, Checkpoint), keys: [NoteVerifierKey], proven: inout [String], unchecked: inout [String]) throws {
        let (note, checkpoint) = given
        guard !keys.isEmpty else {
            unchecked.append("The signatures on the checkpoint of \(checkpoint.size) entries were NOT checked: no note keys were given.")
            return
        }
        guard let note else { throw KithLogError.badSignature("the checkpoint of \(checkpoint.size) entries carries no signatures") }
        let verified = try note.verify(trusted: keys, requireOne: false)
        guard verified.contains(where: { $0.type == NoteVerifierKey.ed25519 && $0.name == checkpoint.origin }) else {
            throw KithLogError.badSignature("the checkpoint of \(checkpoint.size) entries is not signed by any of the given keys for \(checkpoint.origin)")
        }
        let witnesses = verified.filter { $0.type == NoteVerifierKey.cosignature }.count
        proven.append("The checkpoint of \(checkpoint.size) entries is signed by the vault's key and cosigned by \(witnesses) witness\(witnesses == 1 ? "" : "es") among the given keys.")
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
