import ArgumentParser
import Foundation
import KithVault

extension RecordCommand {
    /// `kith record erase`: a record gone for good, the log kept.
    struct Erase: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a record for good (leads): its content leaves the store, the log keeps that it was there.",
            discussion: """
                For a member who asks to be forgotten, a duplicate from a bad import, a case long \
                closed. One signed log entry says who erased what and when (your --reason is sealed \
                to auditors), and in the same transaction every version of the record leaves the \
                store; attachment files are overwritten and removed. A case goes with its notes and \
                attachments. For a member with cases about them, say whether those go too \
                (--with-linked) or stay (--keep-cases). Other people's devices drop the records from \
                their search index when they next open the vault. The id is never used again.

                It cannot reach copies made before: backups of the vault, a copy someone took, \
                or files exported or saved with 'kith attach get'. The people enrolled in the group \
                hold the keys that open such copies. See docs/operations.md for backups that age out. \
                The log keeps that the records were there: who wrote, read and searched, and when. \
                Its details, which auditors (and each writer, for their own entries) can read, keep \
                the names of fields (never their values), the reasons people gave and the words they \
                searched for, which can name the person.

                Run it again on an erased record to remove anything a crash left behind.

                Examples:
                  kith export --group "Trans Support" --member 3f9c0a... --out sam.json --reason "subject access request"
                  kith record erase 3f9c0a... --with-linked --reason "erasure request received 2026-11-30"
                  kith record erase 7a21bb... --reason "duplicate of 5c03de... from the March import"
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The record's id.")
        var id: String
        @Option(help: ArgumentHelp("Why it is erased (sealed to auditors; required).", valueName: "text"))
        var reason: String
        @Flag(help: "For a member: erase the cases about them too, with their notes and attachments.")
        var withLinked = false
        @Flag(help: "For a member: keep the cases about them.")
        var keepCases = false
        @Flag(help: "Do not ask first (a script).")
        var yes = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            guard !(withLinked && keepCases) else {
                throw KithVaultError.invalidInput("--with-linked and --keep-cases contradict each other; give one")
            }
            // Checked before a passphrase is asked.
            _ = try Vault.checkedReason(reason)
            try Vault.checkRecordIDText(id)
            let cases: LinkedCases = withLinked ? .erase : keepCases ? .keep : .ask
            let vault = try global.openVault()
            let recordID = try vault.recordID(matching: id)
            let erasedBefore = try vault.state.records.record(recordID)?.isErased == true
            var confirmed: [RecordID]?
            if !erasedBefore && !yes {
                let plan = try vault.erasurePlan(recordID, cases: cases)
                guard Terminal.inputIsTerminal else {
                    throw KithVaultError.invalidInput("kith record erase asks before it erases; pass --yes when no one can answer (a script)")
                }
                print("This erases, for good:")
                // Who wrote each and when (from the log: nothing is decrypted), so a pasted wrong id is noticed.
                Output.table(
                    ["ID", "KIND", "PART OF", "WRITTEN BY", "LAST CHANGED"],
                    try plan.map { item in
                        let last = try vault.history(item.id).last
                        return [
                            item.id.description, item.kind.description, item.parent?.description ?? "-", last?.author ?? "-",
                            last.map { RelativeTime.both($0.timeMillis) } ?? "-",
                        ]
                    })
                print("Check the ids with 'kith record show ID' first if you are not sure whose they are.")
                guard Terminal.confirm("Erase \(Output.count(plan.count, "record"))? It cannot be undone.") else {
                    print("Nothing was erased.")
                    return
                }
                // Exactly what was shown: if someone added a note meanwhile, nothing is erased and it says so.
                confirmed = plan.map(\.id)
            }
            let report = try vault.eraseRecord(recordID, cases: cases, reason: reason, confirmed: confirmed)
            if output.json { return try Output.json(report) }
            Self.describe(report)
        }

        /// What an erasure did, and what it cannot reach, in words.
        static func describe(_ report: ErasureReport) {
            let what = Output.count(report.records.count, "record")
            if report.alreadyErased {
                print("This was erased before (log entry \(report.entry), with \(what)).")
                print(
                    report.attachmentsRemoved > 0
                        ? "Removed \(Output.count(report.attachmentsRemoved, "attachment file")) it had left behind."
                        : "Nothing of it was left in the store.")
            } else {
                let kinds = RecordKind.allCases.compactMap { kind -> String? in
                    let count = report.records.filter { $0.kind == kind }.count
                    return count == 0 ? nil : Output.count(count, kind.description)
                }
                Output.say("Erased \(kinds.joined(separator: ", ")) from \(report.group) (log entry \(report.entry)).")
            }
            purgeLine(report.purge)
            print("Backups and copies of the vault made before now still hold it, sealed; see docs/operations.md.")
            print("Files anyone exported or saved from it are outside Kith: delete them too.")
        }

        /// What the store's files still hold, when something is left.
        static func purgeLine(_ purge: PurgeOutcome) {
            switch purge {
            case .complete:
                break
            case .writeAheadLogInUse:
                Output.warning(
                    "another kith was reading the vault, so SQLite's write-ahead file may still hold the erased bytes; run 'kith vault purge' when no one else is using it")
            case .tablesInUse:
                Output.warning(
                    "the rows are deleted, but other clients kept PostgreSQL's tables busy, so their bytes stay in the table files for now; run 'kith vault purge' at a quiet time")
            case .vacuumNotPermitted:
                Output.warning(
                    "the rows are deleted, but this database role may not VACUUM, so their bytes stay in PostgreSQL's table files until the database owner runs 'VACUUM FULL records, attachments, attachment_chunks' (docs/operations.md)"
                )
            }
        }
    }
}
