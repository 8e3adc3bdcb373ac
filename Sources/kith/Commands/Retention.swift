import ArgumentParser
import Foundation
import KithVault

/// `kith retention`: records kept only as long as the group's policy says.
struct Retention: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and erase the records past their group's retention.",
        discussion: """
            A group's policy may keep records of a kind for so many months after they were last \
            touched (a new version; for a case, a note or attachment; for a member, anything in \
            their cases): "retention": {"note": 24, "case": 36} in 'kith policy set'. A case past \
            it goes with its notes and attachments, a member with their whole file. The audit log \
            itself has no retention: it is the record of what happened.
            """,
        subcommands: [Show.self, Apply.self])

    struct Show: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what is past the group's retention (nothing is decrypted, logged or erased).",
            discussion: """
                Examples:
                  kith retention show "Trans Support"
                  kith retention show --group "Trans Support" --json
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let plan = try global.openVault().retentionDue(groupName: named.group())
            if output.json { return try Output.json(plan) }
            Retention.describe(plan)
        }
    }

    struct Apply: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase what is past the group's retention (leads), in logged batches.",
            discussion: """
                Lists what would go first, as 'kith retention show' does, and asks. Each batch of up to \
                1,000 records is one signed entry naming the rule and one transaction: killed part \
                way, what was done is done and the rest is still there; run it again. Every client \
                checks that what a batch erased was past the rule. Like 'kith record erase', it \
                cannot reach backups or copies made before (docs/operations.md).

                Examples:
                  kith retention apply --group "Trans Support" --dry-run
                  kith retention apply --group "Trans Support"
                  kith retention apply --group "Trans Support" --yes     (a monthly script)
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @Flag(help: "Only list what would be erased.")
        var dryRun = false
        @Flag(help: "Do not ask first (a script).")
        var yes = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let group = try named.group()
            let vault = try global.openVault()
            let plan = try vault.retentionDue(groupName: group)
            if dryRun {
                if output.json { return try Output.json(plan) }
                Retention.describe(plan)
                if !plan.due.isEmpty { print("Nothing was erased (--dry-run).") }
                return
            }
            try vault.checkMayErase(groupName: group)
            guard !plan.due.isEmpty else {
                if output.json { return try Output.json(RetentionOutcome(group: plan.group, batches: [])) }
                return Retention.describe(plan)
            }
            var confirmed: Swift.Set<RecordID>?
            if !yes {
                guard Terminal.inputIsTerminal else {
                    throw KithVaultError.invalidInput("kith retention apply asks before it erases; pass --yes when no one can answer (a script), or --dry-run to list")
                }
                Retention.describe(plan)
                guard Terminal.confirm("Erase these \(Output.count(plan.total, "record")) for good? It cannot be undone.") else {
                    print("Nothing was erased.")
                    return
                }
                // Only what was shown, even if a rule was shortened meanwhile.
                confirmed = plan.ids
            }
            let bar = ProgressBar("Erasing")
            let outcome = try vault.applyRetention(groupName: group, confirmed: confirmed) { done, total in bar.update(done: done, total: total) }
            bar.finish()
            if output.json { return try Output.json(outcome) }
            Output.say("Erased \(Output.count(outcome.erased, "record")) of \(outcome.group) in \((outcome.batches.count == 1 ? "1 batch" : "\(outcome.batches.count) batches")).")
            if outcome.erased < plan.total {
                print("\(plan.total - outcome.erased) of those listed were touched meanwhile (or erased by someone else) and were kept.")
            }
            if let shortfall = outcome.batches.map(\.purge).first(where: { $0 != .complete }) { RecordCommand.Erase.purgeLine(shortfall) }
            print("Backups and copies of the vault made before now still hold them, sealed; see docs/operations.md.")
        }
    }

    /// A plan in words: the rules, then what is due.
    static func describe(_ plan: RetentionPlan) {
        guard !plan.rules.isEmpty else {
            Output.say("\(plan.group) has no retention rule: records are kept until a lead erases them ('kith policy set' can add one).")
            return
        }
        let rules = plan.rules.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) records \(Output.count(Int($0.value), "month"))" }
        Output.say("Retention in \(plan.group): \(rules.joined(separator: ", ")) after they were last touched.")
        guard !plan.due.isEmpty else {
            print("Nothing is past it.")
            return
        }
        Output.table(
            ["ID", "KIND", "LAST TOUCHED", "RULE", "GOES WITH IT"],
            plan.due.map { item in
                let linked = RecordKind.allCases.compactMap { kind -> String? in
                    let count = item.linked.filter { $0.kind == kind }.count
                    return count == 0 ? nil : Output.count(count, kind.description)
                }
                return [
                    item.record.id.description, item.record.kind.description, RelativeTime.both(item.lastTouchedMillis), Output.count(Int(item.months), "month"),
                    linked.isEmpty ? "-" : linked.joined(separator: ", "),
                ]
            })
        print("\(Output.count(plan.total, "record")) in all.")
    }
}
