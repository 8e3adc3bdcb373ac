import ArgumentParser
import Foundation
import KithLog
import KithVault

extension Audit {
    struct Verify: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every log entry, the rights behind it, the newest checkpoints, and every stored record.",
            discussion: """
                Needs only the vault file, no identity: every entry's signature, the hash chain, \
                that each entry's author held the right at that point, and that the newest signed \
                checkpoint (and the newest witnessed one) match the log's Merkle root.

                Then every stored record version the log names, without decrypting anything: it is \
                there, it is what the log's entry commits to, its author's signature holds, and its \
                key epochs are ones the log made; every attachment's file is there. Damaged or \
                missing ones are named by id. --log-only checks the log alone.

                Exit 0 only when everything holds; 65 otherwise, naming the first bad entry.

                Incremental: this machine remembers the head of the last log that verified. Next \
                time, entries up to there must still hash to it (so their signatures hold as \
                before); only newer entries' signatures are checked, in parallel on every core. \
                --full checks every signature again; --from-checkpoint resumes from a checkpoint \
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
        @Flag(help: "Check the log only, not the stored records and attachment files.")
        var logOnly = false

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
            let report = try AuditVerifier.verify(store: store, from: from, memory: memory, resume: !full, records: !logOnly)
            if output.json {
                try Output.json(report)
            } else if report.log != nil {
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
                if let records = report.records {
                    let checked = "\(Output.count(records.versions, "stored record version")) and \(Output.count(records.attachments, "attachment file"))"
                    if records.problems.isEmpty {
                        print("All \(checked) match the log and their authors' signatures (nothing was decrypted).")
                        if records.erased > 0 {
                            print("  \(Output.count(records.erased, "record")) erased by leads: the log keeps who wrote and erased them and when; nothing of them is left in the store.")
                        }
                    } else {
                        let damaged = records.problems.count
                        print(Terminal.styled("Of \(checked), \(damaged) \(damaged == 1 ? "does" : "do") NOT match the log:", .red))
                        for problem in records.problems {
                            print("  record \(problem.record) version \(problem.version): \(problem.missing ? "MISSING: " : "")\(problem.reason)")
                        }
                        if records.problems.contains(where: \.erased) {
                            print("Something erased is still stored: the store was restored or altered under the log. A lead runs 'kith record erase ID' again to remove what is left.")
                        }
                        print("Restore the vault (and its attachment folder) from a good copy; the log itself is intact.")
                    }
                } else {
                    print("Stored records were not checked (--log-only).")
                }
            } else {
                print("The log does NOT verify (\(report.entries) entries read):")
                for problem in report.problems { print("  \(problem)") }
            }
            if !report.valid { throw ExitCode(65) }
        }
    }
}
