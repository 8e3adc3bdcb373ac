import ArgumentParser
import Foundation
import KithVault

/// `kith duress`: what this device does under pressure.
struct Duress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settings for when this device may be taken: the wrong-passphrase limit.",
        subcommands: [Set.self, Clear.self, Limit.self, Announce.self])

    struct Set: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Choose a duress passphrase: typed instead of yours, it wipes this device and says 'wrong passphrase'.",
            discussion: """
                If you are made to unlock Kith, type the duress passphrase instead of yours, \
                wherever the passphrase is asked (a prompt, kith unlock, --passphrase-file). Kith \
                then wipes this device exactly as 'kith panic --yes' does and answers as if the \
                passphrase were wrong. It takes the same time as any unlock, the prompt is the same, \
                and the keyfile does not say whether a duress passphrase is set (every keyfile has \
                the slot). It must differ from your passphrase. Asks for your passphrase first. \
                Copies of your keyfile made before keep their old duress setting. See docs/duress.md.

                Examples:
                  kith duress set
                  kith duress set --duress-passphrase-file duress.txt
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Read the duress passphrase from this file instead of asking (for scripts).", valueName: "file"))
        var duressPassphraseFile: String?

        func execute() throws {
            let path = try global.identityPath()
            let keyfile = try IdentityKeyfile.load(path: path)
            let passphrase = try Passphrase.read(options: global, confirm: false, for: keyfile.handle.value)
            let unlocked = try DeviceGuard.unlock(keyfile, passphrase: passphrase, path: path)
            let duress = try Passphrase.duress(file: duressPassphraseFile)
            try keyfile.withDuress(duress, unlocked: unlocked, passphrase: passphrase).replace(at: path)
            print("Duress passphrase set for \(Terminal.safe(keyfile.handle.value)): typed instead of yours, it wipes this device and says the passphrase was wrong.")
        }
    }

    struct Clear: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear",
            abstract: "Remove the duress passphrase (the keyfile still holds a slot, so nobody can tell).",
            discussion: """
                Asks for your passphrase and seals the keyfile again with a random duress slot.

                Example:
                  kith duress clear
                """)

        @OptionGroup var global: GlobalOptions

        func execute() throws {
            let path = try global.identityPath()
            let keyfile = try IdentityKeyfile.load(path: path)
            let passphrase = try Passphrase.read(options: global, confirm: false, for: keyfile.handle.value)
            let unlocked = try DeviceGuard.unlock(keyfile, passphrase: passphrase, path: path)
            try keyfile.withoutDuress(unlocked: unlocked, passphrase: passphrase).replace(at: path)
            print("No duress passphrase is set for \(Terminal.safe(keyfile.handle.value)) now.")
        }
    }

    struct Limit: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wipe this device (as 'kith panic' does) after this many wrong passphrases in a row.",
            discussion: """
                Off unless set. With a limit, every wrong passphrase typed for a keyfile on this \
                device counts; a right one starts the count again. When the count reaches the \
                limit, the device is wiped exactly as 'kith panic --yes' wipes it, and the command \
                says only that the passphrase was wrong. The setting and the count are kept in \
                Kith's state folder, on this device only: it guards against someone making you \
                type guesses here, not against a copy of the keyfile taken away (Argon2id guards \
                that). See docs/duress.md.

                Examples:
                  kith duress limit 5
                  kith duress limit off
                  kith duress limit
                """)

        @Argument(help: ArgumentHelp("3 to 100, or off; leave it out to see the setting.", valueName: "n|off"))
        var value: String?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let attempts = DeviceGuard.attempts
            if let value {
                if value == "off" {
                    try attempts.setLimit(nil)
                } else {
                    guard let number = Int(value) else {
                        throw KithVaultError.invalidInput("'\(value)' is not a limit: give a number from 3 to 100, or off")
                    }
                    try attempts.setLimit(number)
                }
            }
            let limit = attempts.limit
            if output.json {
                try Output.json(LimitOutput(limit: limit, wrongInARow: attempts.count))
            } else if let limit {
                print("This device is wiped after \(limit) wrong passphrases in a row (\(attempts.count) so far). 'kith duress limit off' turns it off.")
            } else {
                print("No wrong-passphrase limit on this device. 'kith duress limit 5' sets one.")
            }
        }
    }
}

extension Duress {
    struct Announce: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether 'kith panic' first says in the vault's log that it wiped this device.",
            discussion: """
                Off unless set. When on, and your identity is unlocked ('kith unlock') when you run \
                'kith panic', panic first appends one signed entry, "device wiped", so your leads and \
                admins know to remove this identity. It waits at most 2 seconds for the vault, then \
                wipes anyway; when locked, it asks no passphrase and says nothing to the log. The entry \
                also tells anyone who can read the log's public part (every member, the operator of \
                a shared vault) that you wiped a device, and when. The setting lives on this device \
                only. See docs/duress.md.

                Examples:
                  kith duress announce on
                  kith duress announce off
                  kith duress announce
                """)

        @Argument(help: ArgumentHelp("on or off; leave it out to see the setting.", valueName: "on|off"))
        var value: String?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let announcement = DeviceGuard.announcement
            switch value {
            case nil: break
            case "on": try announcement.set(true)
            case "off": try announcement.set(false)
            case let other?: throw KithVaultError.invalidInput("'\(other)' is not a setting: give on or off")
            }
            if output.json {
                try Output.json(["announce": announcement.isOn])
            } else if announcement.isOn {
                print("'kith panic' first says in the vault's log that it wiped this device (when your identity is unlocked). 'kith duress announce off' stops it.")
            } else {
                print("'kith panic' says nothing to the vault's log (the default). 'kith duress announce on' makes it say so first.")
            }
        }
    }
}

/// `duress limit --json`: limit (null when off), wrong_in_a_row.
private struct LimitOutput: Encodable {
    let limit: Int?
    let wrongInARow: Int

    private enum CodingKeys: String, CodingKey { case limit, wrongInARow = "wrong_in_a_row" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(limit, forKey: .limit)
        try c.encode(wrongInARow, forKey: .wrongInARow)
    }
}
