import ArgumentParser
import KithVault

/// `kith share`: give someone a role in a group.
struct Share: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give someone a role in a group (its lead; an admin appoints the first lead).",
        discussion: """
            Roles: lead (everything, and shares), caseworker (profile and notes), viewer (profile). \
            The group's keys for what the role may read are sealed to the person at once.

            Example:
              kith share "Trans Support" --with alex --role caseworker
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group.")
    var group: String
    @Option(help: ArgumentHelp("The person's handle.", valueName: "handle"))
    var with: String
    @Option(help: "lead, caseworker or viewer.")
    var role: GroupRole
    @OptionGroup var output: OutputOptions

    func execute() throws {
        try global.openVault().share(groupName: group, with: with, role: role)
        if output.json {
            try Output.json(["group": group, "handle": with, "role": role.description])
        } else {
            Output.say("\(with) is now \(role) of \(group).")
        }
    }
}
