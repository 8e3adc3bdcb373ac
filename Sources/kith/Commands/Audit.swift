import ArgumentParser
import Foundation
import KithLog
import KithVault

/// `kith audit`: check the log, and show what others need to check it.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the signed log and show its checkpoints (auditors, and anyone who wants to check).",
        subcommands: [Verify.self, CheckpointCommand.self, Keys.self])

    struct Verify: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every log entry, the rights behind it, and the newest checkpoint.",
            discussion: """
                Needs only the vault file, no identity: every entry's signature, the hash chain,
                that each entry's author held the right at that point, and that the newest signed
                checkpoint matches the log's Merkle root. Exit 0 only when everything holds;
                65 otherwise, naming the first bad entry.

                Examples:
                  kith audit verify --vault network.kith
                  kith audit verify --json
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: global.vaultPath()))
            if output.json {
                try Output.json(["entries": report.entries, "valid": report.valid, "root": report.root, "problems": report.problems])
            } else if report.valid {
                print("All \(report.entries) log entries verify: signatures, hash chain and rights.")
                print("Merkle root \(report.root)" + (report.checkpointSize.map { "; the newest signed checkpoint (\($0) entries) matches." } ?? "; no checkpoint stored yet."))
            } else {
                print("The log does NOT verify (\(report.entries) entries read):")
                for problem in report.problems { print("  \(problem)") }
            }
            if !report.valid { throw ExitCode(65) }
        }
    }

    struct CheckpointCommand: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the newest signed checkpoint (C2SP tlog-checkpoint).",
            discussion: """
                Keep a copy somewhere the vault's host cannot change: a later copy of the vault
                must be consistent with it. Checked against the log before printing.

                Examples:
                  kith audit checkpoint
                  kith audit checkpoint --out 2026-11-21.checkpoint
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Write it to this file instead (never overwrites).", valueName: "file"))
        var out: String?

        func execute() throws {
            let store = try SQLiteVaultStore(path: global.vaultPath())
            let report = try AuditVerifier.verify(store: store)
            guard report.valid else { throw KithVaultError.integrity(report.problems.first ?? "the log does not verify") }
            guard let note = try store.latestCheckpoint() else { throw KithVaultError.notFound("a checkpoint in this vault (it gets one with its next write)") }
            if let out {
                guard !FileManager.default.fileExists(atPath: out) else { throw KithVaultError.invalidInput("\(out) exists; choose another file") }
                do { try Data(note.utf8).write(to: URL(fileURLWithPath: out), options: .withoutOverwriting) } catch {
                    throw KithVaultError.storage("cannot write \(out); check the folder exists and is writable")
                }
                print("Wrote the checkpoint of \(report.checkpointSize ?? 0) entries to \(out).")
            } else {
                print(note, terminator: "")
            }
        }
    }

    struct Keys: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the verifier key of everyone who signs checkpoints (signed-note vkeys).",
            discussion: """
                One per line, name+keyid+base64, so anyone can check a checkpoint with any
                signed-note tool.

                Example:
                  kith audit keys > vault.vkeys
                """)

        @OptionGroup var global: GlobalOptions

        func execute() throws {
            for key in try global.openVault().checkpointKeys() { print(key.vkey) }
        }
    }
}
