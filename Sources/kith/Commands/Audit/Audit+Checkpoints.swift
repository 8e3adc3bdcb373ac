import ArgumentParser
import Foundation
import KithLog
import KithVault

extension Audit {
    struct CheckpointCommand: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the newest signed checkpoint (C2SP tlog-checkpoint) with its cosignatures.",
            discussion: """
                Keep a copy somewhere the vault's host cannot change: a later copy of the vault \
                must be consistent with it ('kith audit consistency --from FILE'). Checked against \
                the log before printing. The witness count goes to standard error, so the \
                output stays a clean note.

                Examples:
                  kith audit checkpoint
                  kith audit checkpoint --out 2026-11-21.checkpoint
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Write it to this file instead (never overwrites).", valueName: "file"))
        var out: String?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let (newest, _) = try AuditSupport.verifiedLog(global)
            guard let newest else { throw KithVaultError.notFound("a checkpoint in this vault (it gets one with its next write)") }
            let summary = "the checkpoint of \(newest.checkpoint.size) entries, \(AuditSupport.witnesses(newest.witnesses.count))"
            if let out { try TextFile.writeNew(newest.note.encoded, to: out) }
            if output.json {
                var object: [String: Any] = [
                    "size": newest.checkpoint.size, "root": Data(newest.checkpoint.root).base64EncodedString(),
                    "witnesses": newest.witnesses.count, "note": newest.note.encoded,
                ]
                if let out { object["file"] = out }
                try Output.json(object)
            } else if let out {
                print("Wrote \(summary) to \(out).")
            } else {
                print(newest.note.encoded, terminator: "")
                Output.error("kith: \(summary)")
            }
        }
    }

    struct Keys: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the keys outsiders check this vault's proofs with.",
            discussion: """
                A small text file: the vault's origin and id, then every enrolled user's \
                checkpoint key with their user id and role, then every auditor's witness key \
                (named <vault>/witness/<user id>). The keys are signed-note vkeys, so any \
                signed-note tool reads them too. Anyone can check a checkpoint or a proof with \
                'kith audit verify-proof --keys FILE'. Hand the file over in person or over a \
                channel the vault's host does not control, and make it again after someone is \
                enrolled or removed.

                Example:
                  kith audit keys > vault.vkeys
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let (_, log) = try AuditSupport.verifiedLog(global)
            let keys = try log.state.verifierKeys()
            if output.json {
                try Output.json(keys)
            } else {
                print(keys.text, terminator: "")
            }
        }
    }

    struct Witness: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "As an auditor: check the log grew honestly since you last witnessed it, and cosign its newest checkpoint.",
            discussion: """
                Opens the vault (checking every entry), proves the newest checkpoint consistent \
                with the last one you cosigned, and adds your C2SP tlog-cosignature to it. Refuses, \
                cosigning nothing, when the log was rolled back or history was rewritten. What you \
                cosigned last is kept in your state directory ($KITH_STATE_DIR, else \
                $XDG_STATE_HOME/kith, else ~/.local/state/kith); back it up.

                The first time an auditor runs this (or 'kith audit log'), the vault's audit key is \
                made; later, auditors enrolled since receive it from you once you confirm their \
                key fingerprint (asked on a terminal, or --confirm-auditor).

                Example:
                  kith audit witness
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var confirming: AuditorConfirmation

        func execute() throws {
            let vault = try global.openVault()
            try confirming.share(vault)
            let result = try vault.witness()
            let size = result.checkpoint.size
            if output.json {
                try Output.json(result)
            } else if result.alreadyCosigned {
                print("You already witnessed the newest checkpoint (\(size) entries); it has \(AuditSupport.witnesses(result.witnesses)).")
            } else if let previous = result.previous {
                print("Cosigned the checkpoint of \(size) entries: it extends the one you cosigned at \(previous.size) entries. It now has \(AuditSupport.witnesses(result.witnesses)).")
            } else {
                print("Cosigned the checkpoint of \(size) entries (your first). It now has \(AuditSupport.witnesses(result.witnesses)).")
            }
        }
    }
}
