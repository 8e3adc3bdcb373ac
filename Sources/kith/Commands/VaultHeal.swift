import ArgumentParser
import Foundation
import KithVault

extension VaultCommand {
    /// `kith vault heal`: puts back, from this device, what a store restored from a backup lost.
    struct Heal: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put back what a vault restored from an older backup lost, from what this device saw.",
            discussion: """
                When a vault's disk dies and it comes back from a backup, everything written \
                after the backup is missing, a revocation or an erasure included, and every \
                device that saw more refuses the vault as rolled back. Each device keeps the \
                newest log entries it verified (KITH_JOURNAL_ENTRIES, 50000 by default) and \
                the records it wrote itself. This command puts the entries the vault lacks \
                back, exactly as they were signed, each checked as a replay checks it and \
                together against the newest checkpoint this device saw; with them the records \
                this device wrote, each checked and opened, and erasures applied again. When \
                the backup holds a group's records on keys a revoked person had, a lead's heal \
                re-keys the group (others are told to ask a lead). The entries go in one \
                transaction: all of them or nothing.

                Run it first on the device that saw the most (any member's will do: it needs \
                no role), then on every device that wrote after the backup, so that each puts \
                back the records only it kept. What no device kept is listed as still missing.

                It refuses, writing nothing, when someone wrote to the restored vault before it \
                was healed (the histories differ), or when this device's copy does not verify. \
                Then an admin decides which copy to keep: docs/operations.md, "A store restored \
                from a backup".

                Examples:
                  kith vault heal --dry-run     (what it would put back; writes nothing)
                  kith vault heal
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Check everything and say what would be put back, writing nothing.")
        var dryRun = false

        func execute() throws {
            let report = try global.withIdentity { store, holder, fingerprint, memory in
                try Vault.heal(store: store, holder: holder, expectedFingerprint: fingerprint, memory: memory, dryRun: dryRun)
            }
            if output.json {
                try Output.json(report)
                return
            }
            for line in Self.lines(report, dryRun: dryRun) { print(line) }
        }

        /// What the report says, for a person.
        static func lines(_ report: HealReport, dryRun: Bool) -> [String] {
            var lines: [String] = []
            let would = dryRun ? "Would put back" : "Put back"
            let seen = report.seenEntries.map { ", and this device saw \($0)" } ?? ""
            lines.append("The vault holds \(Output.count(Int(report.storeEntries), "log entry", plural: "log entries"))\(seen).")
            if report.restoredEntries > 0 {
                let last = report.storeEntries + UInt64(report.restoredEntries) - 1
                let which = report.restoredEntries == 1 ? "entry \(last)" : "\(report.storeEntries) to \(last)"
                lines.append(
                    "\(would) \(Output.count(report.restoredEntries, "log entry", plural: "log entries")) (\(which)), "
                        + "each checked as every client checks it, and together against the checkpoint this device remembers.")
            }
            if report.restoredRecords > 0 { lines.append("\(would) \(Output.count(report.restoredRecords, "record version")) the vault had lost.") }
            if report.erasedAgain > 0 {
                lines.append("\(dryRun ? "Would apply" : "Applied") \(Output.count(report.erasedAgain, "erased record")) again: the backup had brought \(report.erasedAgain == 1 ? "it" : "them") back.")
            }
            for group in report.rekeyedGroups {
                lines.append("Re-keyed \(Terminal.safe(group)) again: the backup held its records on keys a revoked person had.")
            }
            if report.wasWhole && !dryRun { lines.append("Nothing was missing that this device kept.") }
            if report.stillMissingCount > 0 {
                lines.append(
                    "Still missing: \(Output.count(report.stillMissingCount, "record version")) written after the backup (\(report.stillMissing.joined(separator: ", "))\(report.stillMissingCount > report.stillMissing.count ? ", ..." : ""))."
                )
                lines.append("  Their writers' devices may hold them: run 'kith vault heal' there too. Until then they cannot be read.")
            }
            if !report.attachmentsLost.isEmpty {
                lines.append("Attachment files added after the backup are gone (no device keeps them): \(report.attachmentsLost.joined(separator: ", ")).")
                lines.append("  Whoever added them should add them again with 'kith attach add'.")
            }
            for lag in report.stillOnOldKeys {
                lines.append(
                    "\(Terminal.safe(lag.group)): \(Output.count(lag.versions, "record version")) \(lag.versions == 1 ? "is" : "are") still on keys from before a \(lag.mode) (a revocation after the backup).")
                lines.append(
                    "  Once every device has healed, a lead of the group runs 'kith group rekey \(Terminal.commandLineName(lag.group)) --\(lag.mode)' (a lead's heal does it when nothing is missing).")
            }
            if dryRun {
                lines.append("Nothing was written (--dry-run).")
            } else if report.restoredEntries > 0 {
                lines.append("Every device accepts the vault again. Run 'kith audit verify' to check the whole log.")
            }
            return lines
        }
    }
}

extension VaultCommand {
    /// `kith vault accept-restore`: an admin accepts a restored vault whose losses no device can put back.
    struct AcceptRestore: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept-restore",
            abstract: "As an admin, accept a vault restored from a backup when no device can heal what it lost.",
            discussion: """
                Use it only when 'kith vault heal' cannot help: no device kept what the backup \
                lacks, or someone wrote to the restored vault before it was healed, so the \
                histories differ. It appends one signed entry (your reason sealed to auditors) \
                saying that the vault as it is now is the one to use. Every device that saw more \
                accepts it on its next command and says what it lost; whatever was written \
                after the backup (records, notes, and revocations too) must be done again.

                Before you run it: ask everyone to try 'kith vault heal --dry-run' on their \
                devices. After it: a lead of each group re-checks who may read it, and runs \
                'kith group rekey GROUP --rewrap' if a revocation was lost (docs/operations.md).

                Example:
                  kith vault accept-restore --reason "disk failed 5 Dec; restored the 4 Dec backup"
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("What happened and which backup was restored (sealed to auditors).", valueName: "text"))
        var reason: String
        @Flag(help: "Do not ask for confirmation (for scripts).")
        var yes = false

        func execute() throws {
            if !yes {
                try Terminal.confirmOrStop(
                    "Accept the vault as it is now? Whatever any device saw after this backup is given up, and every device will accept it.",
                    notOnTerminal: "accepting a restored vault gives up what was lost; run it on a terminal, or pass --yes",
                    declined: "Nothing was written.")
            }
            let (acceptance, _) = try global.withIdentity { store, holder, fingerprint, memory in
                let done = try Vault.acceptRestore(store: store, holder: holder, expectedFingerprint: fingerprint, memory: memory, reason: reason)
                return (done, done.vault)
            }
            if output.json {
                try Output.json(acceptance)
                return
            }
            let seen = acceptance.seenEntries.map { "; this device had seen \($0) of another history, now given up" } ?? ""
            print("Accepted the vault as restored: log entry \(acceptance.entry) says so, with your reason sealed to auditors. It kept \(acceptance.entry) entries\(seen).")
            print("Every device accepts it on its next command. Ask the leads to check their groups' members, and to redo lost revocations and records.")
        }
    }
}
