import ArgumentParser
import Foundation
import KithLog
import KithVault

/// `kith audit`: check the log, prove things about it, and witness it.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the signed log, prove entries to outsiders, and witness checkpoints.",
        discussion: """
            What each command proves, and how to keep checkpoints, is explained for \
            non-cryptographers in docs/audit.md.
            """,
        subcommands: [Verify.self, AuditLogCommand.self, CheckpointCommand.self, Keys.self, Witness.self, Prove.self, Consistency.self, VerifyProof.self])
}

/// Shared steps of the audit commands.
enum AuditSupport {
    /// The vault's log, verified, and its newest checkpoint checked against
    /// it; throws when anything fails. With an identity (--identity or
    /// KITH_IDENTITY) whose unlock agent is running, the log as that client
    /// verified it, resumed from its cache: proofs then read a few hundred
    /// entries, not the whole log, and nothing asks for a passphrase.
    /// Otherwise the whole log is verified (incrementally, from what this
    /// machine verified before), as anyone holding the store can.
    static func verifiedLog(_ global: GlobalOptions) throws -> (newest: CheckedCheckpoint?, log: AuditedLog) {
        if let path = try? global.identityPath(), let keyfile = try? IdentityKeyfile.load(path: path), GlobalOptions.agent(for: keyfile) != nil {
            let vault = try global.openVault()
            let (log, newest) = try vault.auditedLog()
            return (newest, log)
        }
        let store = try global.openStore()
        let report = try AuditVerifier.verify(store: store, memory: GlobalOptions.checkpointMemory(), records: false)
        guard let log = report.log else {
            throw KithVaultError.integrity((report.problems.first ?? "the log does not verify") + "; run 'kith audit verify' for details")
        }
        return (report.newest, log)
    }

    /// A checkpoint read from a file: a signed note checked against the
    /// vault's keys, or (from this machine's own records) a bare checkpoint.
    static func checkpoint(file: String, log: AuditedLog) throws -> Checkpoint {
        let text = try TextFile.read(file, what: "checkpoint")
        let read = try Checkpoint.read(noteOrText: text)
        // A signed one must be signed by this vault; a bare one is this machine's own record.
        return read.note == nil ? read.checkpoint : try log.state.checkCheckpoint(text).checkpoint
    }

    /// "1 witness" / "3 witnesses".
    static func witnesses(_ count: Int) -> String { count == 1 ? "1 witness" : "\(count) witnesses" }
}
