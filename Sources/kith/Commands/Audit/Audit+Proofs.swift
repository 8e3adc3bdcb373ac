import ArgumentParser
import Foundation
import KithLog
import KithVault

extension Audit {
    struct Prove: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a proof that a log entry is in the log (C2SP tlog-proof, or JSON).",
            discussion: """
                The proof carries the entry itself and the signed checkpoint, so anyone can check \
                it offline with 'kith audit verify-proof' (or any RFC 9162 tool, from the JSON). \
                Against the newest checkpoint, or one you keep (--checkpoint). Entries are \
                numbered from 0, as 'kith audit log' shows them.

                Examples:
                  kith audit prove --entry 42 > entry-42.tlog-proof
                  kith audit prove --entry 42 --checkpoint 2026-11-21.checkpoint --json
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The entry's number (from 0).", valueName: "n"))
        var entry: UInt64
        @Option(help: ArgumentHelp("Prove against this signed checkpoint instead of the newest.", valueName: "file"))
        var checkpoint: String?

        func execute() throws {
            let (newest, log) = try AuditSupport.verifiedLog(global)
            let checked: CheckedCheckpoint
            if let checkpoint {
                checked = try log.state.checkCheckpoint(TextFile.read(checkpoint, what: "checkpoint"))
            } else {
                guard let newest else { throw KithVaultError.notFound("a checkpoint in this vault (it gets one with its next write)") }
                checked = newest
            }
            let proof = try log.inclusionProof(entry: entry, in: checked)
            if output.json {
                print(try proof.inclusionProof(leafHash: MerkleHash.leaf(log.entry(entry))).json, terminator: "")
            } else {
                print(proof.text, terminator: "")
            }
        }
    }

    struct Consistency: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a proof that an older checkpoint is the start of a newer one (JSON).",
            discussion: """
                Shows that nothing the older checkpoint covered was changed or removed since. \
                --from is a checkpoint you kept (signed, or this machine's own); --to defaults to \
                the newest. Printed as JSON ({"size1","size2","root1","root2","proof"}); C2SP has \
                no text form for consistency proofs. Check it with 'kith audit verify-proof'.

                Example:
                  kith audit consistency --from 2026-11-01.checkpoint > since-november.json
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The older checkpoint.", valueName: "file"))
        var from: String
        @Option(help: ArgumentHelp("The newer checkpoint (default: the newest).", valueName: "file"))
        var to: String?

        func execute() throws {
            let (newest, log) = try AuditSupport.verifiedLog(global)
            let old = try AuditSupport.checkpoint(file: from, log: log)
            let new: Checkpoint
            if let to {
                new = try AuditSupport.checkpoint(file: to, log: log)
            } else {
                guard let newest else { throw KithVaultError.notFound("a checkpoint in this vault (it gets one with its next write)") }
                new = newest.checkpoint
            }
            print(try log.consistencyProof(from: old, to: new).json, terminator: "")
        }
    }

    struct VerifyProof: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-proof",
            abstract: "Check a proof offline: needs no vault and no identity.",
            discussion: """
                What an outside party runs on a proof an auditor gave them. A tlog-proof carries its \
                entry and checkpoint; a JSON proof needs the checkpoint(s) it is about \
                (--checkpoint, repeatable).

                Give --keys: the output of 'kith audit keys', received from someone you trust. \
                Then every checkpoint must be signed by the vault and cosigned by at least one \
                of its witnesses (auditors), and the entry in a tlog-proof must be signed by its \
                author; the output names who signed. A checkpoint nobody witnessed is refused: \
                any enrolled user, even a viewer or a removed member, can sign a checkpoint of a \
                log they made up. --allow-unwitnessed accepts one anyway and says so plainly; \
                --hashes-only checks only the hashes, without keys, and proves nothing about \
                who wrote the log. \
                Exit 0 when the proof holds; 65 when it does not.

                Examples:
                  kith audit verify-proof entry-42.tlog-proof --keys vault.vkeys
                  kith audit verify-proof since-november.json --keys vault.vkeys --checkpoint 2026-11-01.checkpoint --checkpoint today.checkpoint
                """)

        @Argument(help: ArgumentHelp("The proof file.", valueName: "file"))
        var proof: String
        @Option(name: .customLong("checkpoint"), help: ArgumentHelp("A checkpoint the proof must match (repeatable).", valueName: "file"))
        var checkpoints: [String] = []
        @Option(help: ArgumentHelp("The vault's verifier keys ('kith audit keys'), from someone you trust.", valueName: "file"))
        var keys: String?
        @Flag(help: "Accept a checkpoint no witness cosigned (the output says it is not witnessed).")
        var allowUnwitnessed = false
        @Flag(help: "Check only the hashes, with no keys: proves the arithmetic, not who wrote the log.")
        var hashesOnly = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            guard keys != nil || hashesOnly else {
                throw KithVaultError.invalidInput(
                    "a proof rests on the vault's keys: pass --keys FILE (the output of 'kith audit keys', from someone you trust), or --hashes-only to check only its hashes")
            }
            guard !(keys != nil && hashesOnly) else { throw KithVaultError.invalidInput("give --keys or --hashes-only, not both") }
            let proofText = try TextFile.read(proof, what: "proof")
            let checkpointTexts = try checkpoints.map { try TextFile.read($0, what: "checkpoint") }
            let trusted = try keys.map { try ProofVerifier.readKeys(TextFile.read($0, what: "verifier keys")) }
            if let keys, let trusted, trusted.signers.isEmpty { throw KithVaultError.invalidInput("\(keys) holds no verifier keys") }
            let verdict = try ProofVerifier.verify(proof: Array(proofText.utf8), checkpoints: checkpointTexts, keys: trusted, allowUnwitnessed: allowUnwitnessed)
            if output.json {
                try Output.json(verdict)
                return
            }
            if trusted == nil {
                print("The proof's hashes hold. Its signatures and witnesses were NOT checked (--hashes-only).")
            } else {
                print(verdict.witnessed ? "The proof holds." : "The proof's hashes hold, but NO WITNESS vouches for its checkpoint.")
            }
            // A proof file comes from someone else: what it says is neutralised.
            for line in verdict.proven { Output.say("  \(line)") }
            for line in verdict.unchecked {
                print("  Note: \(line)" + (trusted == nil ? " To check them, \(Remedy.giveNoteKeys.hint)." : ""))
            }
        }
    }
}
