import ArgumentParser
import KithVault

/// `kith revoke`: remove someone's role in a group and rotate its keys.
struct Revoke: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove someone's role in a group and start new keys they never see (leads).",
        discussion: """
            Every compartment the person could read gets a new epoch, sealed to the remaining
            members only; everything written from now on uses it. Records written before stay
            under their old keys (the person could read them already).

            Example:
              kith revoke "Trans Support" --from alex
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group.")
    var group: String
    @Option(help: ArgumentHelp("The person's handle.", valueName: "handle"))
    var from: String

    func execute() throws {
        try global.openVault().revoke(groupName: group, from: from)
        print("\(from) no longer has a role in \(group); new keys were sealed to the remaining members.")
    }
}
