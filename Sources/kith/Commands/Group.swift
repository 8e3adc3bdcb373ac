import Foundation
import ArgumentParser
import KithVault

/// `kith group`: groups of people who share records.
struct Group: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and list groups; move their records onto new keys.",
        subcommands: [Create.self, List.self, Rekey.self])

    struct Create: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a group (admins). Its name is stored encrypted.",
            discussion: "Then appoint its lead with kith share.\n\nExample:\n  kith group create \"Trans Support\"\n  kith share \"Trans Support\" --with robin --role lead")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group's name.")
        var name: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let group = try global.openVault().createGroup(name: name)
            if output.json {
                try Output.json(group)
            } else {
                Output.say("Created group \(group.name). Appoint its lead with: kith share \"\(group.name)\" --with HANDLE --role lead")
            }
        }
    }

    struct List: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List groups, their ids and your role in each.",
            discussion: """
                Wherever a command takes a group, its id (or its first 8 digits, as listed \
                here) works as well as its name. When two groups' names look alike (one \
                letter swapped for another drawn the same, an invisible character), both \
                are marked and neither can be named by its name: use the id of the one \
                you mean, and ask an admin why there are two.

                Examples:
                  kith group list
                  kith group list --ids
                """)

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Show each group's whole id, not its first 8 digits.")
        var ids = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let groups = try global.openVault().groups()
            if output.json {
                try Output.json(groups)
            } else {
                Output.table(
                    ["GROUP", "ID", "YOUR ROLE", "MEMBERS", ""],
                    groups.map {
                        [
                            $0.name, ids ? $0.id.description : String($0.id.description.prefix(8)), $0.myRole?.description ?? "-",
                            "\($0.memberCount)", $0.looksLikeAnother ? "looks like another group: use its id" : "",
                        ]
                    })
            }
        }
    }

    struct Rekey: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring every record of a group onto its newest keys (leads).",
            discussion: """
                Use after a policy change took a compartment away from a role, or to finish an \
                interrupted 'kith revoke --rewrap/--reencrypt'. It resumes an unfinished run first.

                Examples:
                  kith group rekey "Trans Support" --rewrap
                  kith group rekey "Trans Support" --reencrypt
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.")
        var group: String
        @Flag(exclusivity: .exclusive)
        var mode: RekeyFlag
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let bar = ProgressBar(mode.rawValue)
            defer { bar.finish() }
            let summary = try global.openVault().rekey(groupName: group, mode: mode.mode) { bar.update(done: $0, total: $1) }
            bar.finish()
            if output.json {
                try Output.json(RekeyOutput(group: group, rekey: summary))
            } else {
                reportRekey(summary, group: group)
            }
        }
    }
}
