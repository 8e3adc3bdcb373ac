import ArgumentParser
import Foundation
import KithVault

/// `kith policy`: which role may read and write which compartment.
struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or change what each role of a group may read and write.",
        subcommands: [Show.self, Set.self])

    struct Show: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a group's policy.",
            discussion: """
                Example:
                  kith policy show "Trans Support"
                  kith policy show "Trans Support" --json > policy.json
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.")
        var group: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let policy = try global.openVault().policy(groupName: group)
            if output.json {
                try Output.json(["group": group, "roles": policy.jsonRoles])
            } else {
                let list = { (set: Swift.Set<Compartment>?) in (set ?? []).sorted().map(\.description).joined(separator: ", ") }
                Output.table(
                    ["ROLE", "READS", "WRITES"],
                    GroupRole.allCases.map { role in
                        [role.description, list(policy.readable[role]).isEmpty ? "-" : list(policy.readable[role]), list(policy.writable[role]).isEmpty ? "-" : list(policy.writable[role])]
                    })
            }
        }
    }

    struct Set: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a group's policy from a JSON file (leads).",
            discussion: """
                The file has the shape 'kith policy show --json' prints. A lead always reads and
                writes everything, and no role may write what it cannot read. Keys follow at once:
                a role given a compartment receives its keys; a compartment taken from a role gets
                new keys the role never sees (run 'kith group rekey GROUP --rewrap' to move older
                records onto them too).

                Example:
                  kith policy show "Trans Support" --json > policy.json
                  (edit policy.json: give viewers "notes" to read)
                  kith policy set "Trans Support" policy.json
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.")
        var group: String
        @Argument(help: ArgumentHelp("The policy file (JSON).", valueName: "file"))
        var file: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let policy = try GroupPolicy(json: Data(SmallFile.read(file, what: "policy file", limit: 1 << 20)))
            let rotated = try global.openVault().setPolicy(groupName: group, policy)
            if output.json {
                try Output.json(["group": group, "roles": policy.jsonRoles, "new_keys": rotated.map(\.description)])
                return
            }
            print("The policy of \(group) is now:\n\(policy.summary)")
            if !rotated.isEmpty {
                print("New keys for \(rotated.map(\.description).joined(separator: ", ")); older records stay under the old keys until 'kith group rekey \"\(group)\" --rewrap'.")
            }
        }
    }
}
