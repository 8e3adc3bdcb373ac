import ArgumentParser
import Foundation
import KithVault

/// `kith user`: the people enrolled in the vault.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List users, or remove someone from the vault (admins).",
        subcommands: [List.self, Remove.self])

    struct List: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List everyone enrolled, and who was removed (the same as 'kith enroll list').",
            discussion: "Example:\n  kith user list --json")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func execute() throws { try Enroll.List.show(try global.openVault().users(), json: output.json) }
    }

    struct Remove: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove someone from the vault: every role, and every key written from now on (admins).",
            discussion: """
                For someone who left, lost a device, or should never have had access. In one \
                logged step: every role they hold in every group goes; the key that seals handles \
                and group names is replaced and sealed to everyone who remains; for an auditor, the \
                audit key is retired (the next auditor to run 'kith audit log' makes a new one). \
                Whatever software they use, they read nothing written after this: no new record, \
                name, handle or audit detail.

                What it cannot undo: they keep what they could read before, in any copy of the \
                vault they already have. In each group they could read, nothing new is written \
                until a lead makes new keys; you do it here for the groups you lead, and the \
                output names the others. To also put old records out of reach of a copy taken \
                later, a lead runs 'kith group rekey GROUP --reencrypt'.

                The vault always keeps an admin, and an admin cannot remove themselves. On a \
                terminal you are asked to confirm; in a script pass --yes.

                Examples:
                  kith user remove alex
                  kith user remove alex --yes --json
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The handle of the person to remove.")
        var handle: String
        @Flag(help: "Remove without asking.")
        var yes = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let vault = try global.openVault()
            let target = try vault.user(handle: handle)
            if !yes {
                guard Terminal.inputIsTerminal else {
                    throw KithVaultError.invalidInput("not on a terminal: check the handle, then run again with --yes")
                }
                guard Terminal.confirm("Remove \(Terminal.safe(target.handle)) (\(target.role), key \(target.fingerprint)) from the vault?") else {
                    Output.error("Not removed; nothing was written.")
                    throw ExitCode(1)
                }
            }
            let removal = try vault.removeUser(handle: target.handle)
            if output.json {
                try Output.json(removal)
                return
            }
            Output.say("Removed \(removal.user.handle) (\(removal.user.role)) from the vault.")
            for group in removal.groupsRekeyed { Output.say("  \(group): new keys made (you lead it).") }
            for group in removal.groupsAwaitingNewKeys {
                Output.say("  \(group): nothing is written in it until a lead runs 'kith group rekey \"\(group)\" --rewrap'.")
            }
            if removal.auditKeyRetired {
                print("  The audit key was retired: ask a remaining auditor to run 'kith audit log' once, which makes the new one.")
            }
        }
    }
}
