import ArgumentParser
import Foundation
import KithCrypto
import KithVault

/// `kith passphrase`: the passphrase that opens your keyfile.
struct PassphraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passphrase",
        abstract: "Change the passphrase that opens your identity keyfile.",
        subcommands: [Change.self])

    struct Change: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal your keyfile under a new passphrase (optionally a stronger --kdf profile).",
            discussion: """
                Asks for your passphrase, then the new one twice, and replaces the keyfile in one \
                step: a crash or a power cut leaves the old file or the new one, never neither. \
                Nothing in the vault changes; your identity, handle and rights stay the same. A \
                running unlock agent locks (its keyfile changed): unlock again with the new \
                passphrase, and change any passphrase file or KITH_PASSPHRASE a script uses.

                Copies of the keyfile made before (a backup, a synced folder, a stick) still open \
                with the OLD passphrase: delete them, or, if one may have been taken, ask an admin \
                to remove this identity from the vault ('kith user remove') and enrol anew.

                A duress passphrase, if you set one, keeps working; with a new --kdf profile, or on \
                a keyfile made before this version, it is cleared (set it again with 'kith duress \
                set'). --kdf may keep or strengthen the profile, never weaken it. New passphrases \
                are compared as Unicode NFKC, so the same words typed on another keyboard open \
                the keyfile.

                Examples:
                  kith passphrase change
                  kith passphrase change --kdf sensitive
                  kith passphrase change --new-passphrase-file new.txt     (a script; delete the file after)
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Read the new passphrase from this file instead of asking twice.", valueName: "file"))
        var newPassphraseFile: String?
        @Option(
            help: ArgumentHelp(
                "Seal under this Argon2id profile instead of the keyfile's: interactive (64 MiB), moderate (256 MiB), sensitive (1 GiB).",
                valueName: "profile"))
        var kdf: Argon2idProfile?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let path = try global.identityPath()
            let keyfile = try IdentityKeyfile.load(path: path)
            let old = try Passphrase.read(options: global, confirm: false, for: keyfile.handle.value)
            // The duress passphrase and the wrong-passphrase limit apply here as at every unlock.
            _ = try DeviceGuard.unlock(keyfile, passphrase: old, path: path)
            let new = try Passphrase.newPassphrase(file: newPassphraseFile)
            // A profile given that is the keyfile's own changes nothing but the passphrase.
            let profile = try kdf.flatMap { try $0.parameters == keyfile.kdfParameters ? nil : $0 }
            if let profile, try profile.parameters.memLimit < keyfile.kdfParameters.memLimit || profile.parameters.opsLimit < keyfile.kdfParameters.opsLimit {
                throw KithVaultError.invalidInput(
                    "--kdf \(profile.rawValue) is weaker than this keyfile's \(keyfile.kdfProfile) profile; a passphrase change keeps or strengthens it, never weakens it")
            }
            let (changed, what) = try keyfile.changingPassphrase(old: old, new: new, profileName: profile?.rawValue, parameters: try profile?.parameters)
            try changed.replace(at: path)
            let warning =
                "copies of the keyfile made before still open with the old passphrase; delete them, or if one may have been taken, ask an admin to remove this identity and enrol again"
            if output.json {
                try Output.json([
                    "handle": keyfile.handle.value, "kdf": changed.kdfProfile, "duress_cleared": what == .duressCleared, "old_copies_open_with_old_passphrase": true,
                ])
                Output.warning(warning)
                return
            }
            Output.say("Your keyfile opens with the new passphrase now (Argon2id profile: \(changed.kdfProfile)).")
            print("If an unlock agent was running, it has locked: unlock with the new passphrase, and change any passphrase file or KITH_PASSPHRASE a script uses.")
            if what == .duressCleared { print("If you had set a duress passphrase, set it again ('kith duress set'): this change cleared it.") }
            Output.warning(warning)
        }
    }
}
