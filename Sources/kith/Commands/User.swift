import ArgumentParser
import Foundation
import KithVault

/// `kith user`: the people enrolled in the vault.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List users, remove someone from the vault, or replace a lost identity (admins).",
        subcommands: [List.self, Remove.self, Replace.self])

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
                try Terminal.confirmOrStop(
                    "Remove \(Terminal.safe(target.handle)) (\(target.role), key \(target.fingerprint)) from the vault?",
                    notOnTerminal: "not on a terminal: check the handle, then run again with --yes", declined: "Not removed; nothing was written.")
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

    struct Replace: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a new identity for someone who lost every device, as the same person (admins).",
            discussion: """
                The person makes a new identity and request on a new device ('kith enroll request', \
                with their old handle). Compare its fingerprint with what they read to you, as for \
                any enrolment. In one logged step the old identity is removed from the vault \
                (as 'kith user remove': nothing written later reaches a thief holding it), the new \
                one is enrolled with the same vault role, and the log says it is the same person.

                Their group roles do not move by themselves: each group's lead gives them again \
                with 'kith share' (the output lists them and the leads). A group whose only lead \
                was this person is recovered by its trustees: the new identity runs 'kith recovery \
                request'. If they were a recovery trustee, that group's lead sets the recovery up \
                again.

                Examples:
                  kith user replace robin --with robin-new.request
                  kith user replace robin --with robin-new.request --yes --json
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The handle of the identity that was lost.")
        var handle: String
        @Option(name: .customLong("with"), help: ArgumentHelp("The new identity's request file.", valueName: "request"))
        var request: String
        @Flag(help: "Replace without asking (only after comparing the fingerprint).")
        var yes = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let parsed = try EnrollmentRequest.load(path: request)
            let vault = try global.openVault()
            let old = try vault.user(handle: handle)
            try vault.checkMayReplace(handle: old.handle)
            Output.error("New identity for \(Terminal.safe(old.handle)) (\(old.role)), requested as \(Terminal.safe(parsed.handle.value))")
            Output.error("  new key fingerprint: \(parsed.identity.fingerprint)")
            Output.error("Compare this with what \(Terminal.safe(old.handle)) reads to you.")
            if !yes {
                try Terminal.confirmOrStop(
                    "Remove \(Terminal.safe(old.handle))'s old identity (key \(old.fingerprint)) and enrol this one as the same person?",
                    notOnTerminal: "not on a terminal: compare the fingerprint, then run again with --yes", declined: "Not replaced; nothing was written.")
            }
            let replaced = try vault.replaceUser(handle: old.handle, with: parsed)
            if output.json { return try Output.json(replaced) }
            Output.say("Replaced \(old.handle)'s lost identity: \(replaced.new.handle) (\(replaced.new.role), key \(replaced.new.fingerprint)) is enrolled as the same person, and the old identity is removed.")
            for group in replaced.removal.groupsAwaitingNewKeys {
                Output.say("  \(group): nothing is written in it until a lead makes new keys ('kith group rekey \"\(group)\" --rewrap').")
            }
            guard !replaced.roles.isEmpty else { return print("They held no group role.") }
            print("Their group roles, to be given again:")
            for role in replaced.roles {
                if role.leads.isEmpty {
                    Output.say("  \(role.group): \(role.role); it has no lead now. \(replaced.new.handle) can ask its trustees: kith recovery request \"\(role.group)\"")
                } else {
                    Output.say("  \(role.group): \(role.role); ask \(role.leads.joined(separator: " or ")) to run: kith share \"\(role.group)\" --with \(replaced.new.handle) --role \(role.role)")
                }
            }
        }
    }
}
