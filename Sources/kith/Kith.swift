import ArgumentParser
import KithCrypto
import KithVault

/// The `kith` command: an encrypted records vault for mutual-aid networks.
@main
struct Kith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kith",
        abstract: "An encrypted records vault for mutual-aid and peer-support networks.",
        discussion: """
            Everything in the vault is encrypted; who did what is kept in a signed log. \
            Set KITH_VAULT and KITH_IDENTITY once instead of passing --vault and --identity.

            Start here:
              kith init --vault network.kith --identity me.kithid --handle sam
              kith enroll request --identity alex.kithid --handle alex --out alex.request
              kith enroll approve alex.request --role user

            Every command has examples in its --help. --verbose adds detail to an error \
            for a bug report (never a secret). Colour only on a terminal, never with NO_COLOR.

            Exit codes: 0 ok, 64 usage, 65 integrity check failed, 66 not found, \
            74 disk full (free space, run it again), 75 busy (try again), 77 access denied, 1 anything else.
            """,
        version: "kith \(KithVersion.string) (libsodium \(CryptoLibrary.versionString))",
        subcommands: [
            Init.self, Unlock.self, Lock.self, Status.self, Enroll.self, User.self, Group.self, Share.self, Revoke.self, Policy.self, RecordCommand.self, Find.self, Note.self, Attach.self, Import.self, Export.self,
            Serve.self,
            Retention.self, Recovery.self,
            Audit.self,
            VaultCommand.self, SelfTest.self,
            PassphraseCommand.self, Panic.self, Duress.self, Completions.self,
            AgentCommand.self, WipeFolderCommand.self,
        ]
    )

    /// `--verbose` is taken out before parsing, so every command accepts it.
    static func main() {
        // Before anything is opened: a crash must never write content or keys to a core file.
        ProcessHardening.apply()
        // First: later code copies the environment into strings no one wipes.
        Passphrase.takeFromEnvironment()
        main(Diagnostics.argumentsWithoutVerbose())
    }
}
