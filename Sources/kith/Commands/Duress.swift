import ArgumentParser
import Foundation
import KithVault

/// `kith duress`: what this device does under pressure.
struct Duress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settings for when this device may be taken: the wrong-passphrase limit.",
        subcommands: [Limit.self])

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
