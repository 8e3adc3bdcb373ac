import Foundation
import KithCrypto
import KithLog
import KithVaultTesting
import Testing
@testable import KithSQLite
@testable import KithVault

/// Any enrolled user (a viewer, a removed member) can build a tree around
/// an entry that is not in the vault and sign its checkpoint with their own
/// key, since every user's checkpoint key is a key of the vault. An
/// outsider's check must rest on a witness.
@Suite("Forged proofs handed to outsiders")
struct ForgedProofTests {
    /// The real log, copied into a store the attacker controls, then one
    /// entry of the attacker's making appended (signed with their key,
    /// naming `claimedActor` as its author when given), and an inclusion
    /// proof of it against a checkpoint they sign with their own key.
    static func forgedProof(_ fixture: VaultFixture, signer handle: String, claimedActor: UserID? = nil, body: EntryBody) throws -> [UInt8] {
        let identity = try #require(fixture.identities[handle])
        let vault = try fixture.open(handle)
        var bytes = try fixture.store().entries(from: 0)
        let unsigned = LogEntry.unsignedBytes(
            seq: UInt64(bytes.count), previousHash: SHA256.hash(try #require(bytes.last)), timeMillis: 1_800_000_000_000,
            actor: claimedActor ?? identity.identity.userID, body: body, details: [])
        bytes.append(unsigned + (try identity.sign(LogEntry.signedMessage(vaultID: vault.state.vaultID, unsigned: unsigned))))
        let fork = MemoryVaultStore()
        try fork.append(StoreBatch(expectedCount: 0, entries: bytes.enumerated().map { EntryRow(seq: UInt64($0.offset), bytes: $0.element, hash: SHA256.hash($0.element)) }))
        var tree = MerkleTree()
        for entryBytes in bytes { tree.append(leafHash: MerkleHash.leaf(entryBytes)) }
        let checkpoint = try Checkpoint(origin: vault.origin, size: tree.size, root: tree.root())
        let checked = try vault.state.checkCheckpoint(try Vault.signedNote(checkpoint, signer: identity))
        return Array(try AuditedLog(state: vault.state, tree: tree, store: fork).inclusionProof(entry: tree.size - 1, in: checked).text.utf8)
    }

    @Test("a viewer's made-up entry, in a tree they signed, is refused by an outsider holding the vault's keys")
    func viewerForgery() throws {
        let fixture = try VaultFixture()
        let (lead, _, viewer) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        try fixture.enroll("kai", role: .auditor)
        let keys = try VerifierKeys.parse(try fixture.open("kai").state.verifierKeys().text)
        _ = viewer
        // The viewer "proves" a read of Sam's record that never happened.
        let proof = try Self.forgedProof(fixture, signer: "viewer-tra", body: .recordRead(record: id, version: 1))
        #expect {
            _ = try ProofVerifier.verify(proof: proof, checkpoints: [], keys: keys)
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .integrity && error.reason.contains("cosigned by no witness") && error.remedy == .askForWitnessedProof
        }
        // Accepted knowingly, it says so plainly, and names the viewer as the only signer.
        let verdict = try ProofVerifier.verify(proof: proof, checkpoints: [], keys: keys, allowUnwitnessed: true)
        #expect(!verdict.witnessed)
        let viewerID = try fixture.open("viewer-tra").me
        #expect(verdict.unchecked.contains { $0.contains("NOT WITNESSED") && $0.contains("user \(viewerID) (user)") })
    }

    @Test("an entry claimed to be another user's is refused: its author's signature does not verify")
    func authorForgery() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        try fixture.enroll("kai", role: .auditor)
        let keys = try fixture.open("kai").state.verifierKeys()
        // Signed by the viewer but naming the lead as its author, in a tree and checkpoint the viewer made.
        let proof = try Self.forgedProof(fixture, signer: "viewer-tra", claimedActor: lead.me, body: .recordRead(record: id, version: 1))
        #expect {
            _ = try ProofVerifier.verify(proof: proof, checkpoints: [], keys: keys, allowUnwitnessed: true)
        } throws: { error in
            (error as? KithLogError)?.description.contains("not signed by its author, user \(lead.me)") == true
        }
    }

    @Test("a proof of a real entry against a witnessed checkpoint holds and names the signer, the witness and the author")
    func witnessedProof() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        try fixture.enroll("kai", role: .auditor)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("kai-state"))
        let auditor = try Vault(store: fixture.store(), holder: #require(fixture.identities["kai"]), memory: memory)
        _ = try auditor.shareAuditKey()
        _ = try auditor.witness()
        let report = try AuditVerifier.verify(store: fixture.store())
        let log = try #require(report.log)
        let newest = try #require(report.newestWitnessed)
        let proof = Array(try log.inclusionProof(entry: 3, in: newest).text.utf8)
        let keys = try VerifierKeys.parse(try auditor.state.verifierKeys().text)
        let verdict = try ProofVerifier.verify(proof: proof, checkpoints: [], keys: keys)
        #expect(verdict.witnessed)
        #expect(verdict.proven.contains { $0.contains("cosigned by 1 witness") && $0.contains("auditor \(auditor.me)") })
        #expect(verdict.proven.contains { $0.contains("signed by its author") })
        // Keys of an older form (bare vkeys) still check the checkpoint, and say the author was not checked.
        let bare = try auditor.state.noteKeys().map(\.vkey).joined(separator: "\n")
        let older = try ProofVerifier.verify(proof: proof, checkpoints: [], keys: VerifierKeys.parse(bare))
        #expect(older.witnessed)
        #expect(older.unchecked.contains { $0.contains("older form") })
        // A keys file whose author key is wrong (someone swapped it) refuses the entry.
        var swapped = keys.signers
        let actor = try LogEntry.decode(try #require(try fixture.store().entry(at: 3))).actor
        let index = try #require(swapped.firstIndex { $0.user == actor })
        let other = try #require(swapped.first { $0.user != actor })
        swapped[index] = KeySigner(user: actor, role: swapped[index].role, key: other.key)
        let wrong = VerifierKeys(origin: keys.origin, vaultID: keys.vaultID, signers: swapped, witnesses: keys.witnesses)
        #expect(throws: KithLogError.self) { _ = try ProofVerifier.verify(proof: proof, checkpoints: [], keys: wrong) }
    }

}
