import ArgumentParser
import Foundation
import KithLog
import KithVault

extension Audit {
    struct Verify: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every log entry, the rights behind it, and the newest checkpoints.",
            discussion: """
                Needs only the vault file, no identity: every entry's signature, the hash chain,
                that each entry's author held the right at that point, and that the newest signed
                checkpoint (and the newest witnessed one) match the log's Merkle root.
                Exit 0 only when everything holds; 65 otherwise, naming the first bad entry.

                Incremental: this machine remembers the head of the last log that verified. Next
                time, entries up to there must still hash to it (so their signatures hold as
                before); only newer entries' signatures are checked, in parallel on every core.
                --full checks every signature again; --from-checkpoint resumes from a checkpoint
                you keep yourself.

                Examples:
                  kith audit verify --vault network.kith
                  kith audit verify --from-checkpoint 2026-11-01.checkpoint
                  kith audit verify --full --json
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Resume from this checkpoint (one you verified before) instead of this machine's memory.", valueName: "file"))
        var fromCheckpoint: String?
        @Flag(help: "Check every entry's signature again, ignoring what was verified before.")
        var full = false

        func validate() throws {
            if full && fromCheckpoint != nil { throw ValidationError("--full and --from-checkpoint contradict each other; choose one") }
        }

        func execute() throws {
            let store = try global.openStore()
            var from: Checkpoint?
            if let fromCheckpoint {
                let text = try TextFile.read(fromCheckpoint, what: "checkpoint")
                from = try Checkpoint.read(noteOrText: text).checkpoint
            }
            let memory = GlobalOptions.checkpointMemory()
            // A full run is remembered too, so the next run can resume from it.
            let report = try AuditVerifier.verify(store: store, from: from, memory: memory, resume: !full)
            if output.json {
                try Output.json(report)
            } else if report.valid {
                print("All \(report.entries) log entries verify: signatures, hash chain and rights.")
                if report.resumedFrom > 0 {
                    print("  Entries 0-\(report.resumedFrom - 1) hash to the checkpoint verified before; only later signatures were checked (--full checks all).")
                }
                print("  Merkle root \(report.root)")
                if let newest = report.newest {
                    print("  Newest checkpoint: \(newest.checkpoint.size) entries, signed, \(AuditSupport.witnesses(newest.witnesses.count)); it matches.")
                } else {
                    print("  No checkpoint stored yet (the vault gets one with its next write).")
                }
                if let witnessed = report.newestWitnessed {
                    print("  Newest witnessed checkpoint: \(witnessed.checkpoint.size) entries, \(AuditSupport.witnesses(witnessed.witnesses.count)); it matches.")
                } else {
                    print("  No auditor has witnessed a checkpoint yet ('kith audit witness').")
                }
            } else {
                print("The log does NOT verify (\(report.entries) entries read):")
                for problem in report.problems { print("  \(problem)") }
            }
            if !report.valid { throw ExitCode(65) }
        }
    }
}
