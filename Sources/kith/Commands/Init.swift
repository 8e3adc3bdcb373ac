import ArgumentParser
import Foundation
import KithCrypto
import KithPostgres
import KithVault

struct KDFOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "How hard the passphrase is to guess by brute force: interactive (64 MiB, fastest), moderate (256 MiB, default), sensitive (1 GiB).",
            valueName: "profile"))
    var kdf: Argon2idProfile = .moderate

    func profile() throws -> Argon2idProfile { kdf }
}

/// `kith init`: founds a vault and its first admin.
struct Init: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Found a new vault, with you as its first admin.",
        discussion: """
            Creates the vault file (or, for a postgres:// address, the vault's tables in \
            an empty database) and your identity keyfile (mode 0600), asking for a \
            passphrase twice. Prints the vault fingerprint: read it aloud to people you \
            enrol so they can check they joined the right vault.

            By default an admin never holds a group's keys: admins enrol people and create \
            groups, leads decide who reads what (separation of duties). A small network run by \
            one person can found the vault with --founder-may-lead, so the founder may also lead \
            groups; the choice is a signed entry in the log, shown by 'kith status' to everyone, \
            and cannot be changed later.

            Example:
              kith init --vault network.kith --identity sam.kithid --handle sam
              kith init --vault network.kith --identity sam.kithid --handle sam --founder-may-lead
              PGPASSFILE=~/.pgpass kith init --vault postgres://kith@db.example.org/kith --identity sam.kithid --handle sam
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Your handle: how others will name you (letters, digits, . _ -).")
    var handle: String
    @OptionGroup var kdf: KDFOption
    @Flag(help: "Let the founder also lead groups (a network of one person). Off: admins never hold a group's keys.")
    var founderMayLead = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let location = try global.vaultLocation()
        let identityPath = try global.identityPath()
        let handle = try Handle(self.handle)
        let profile = try kdf.profile()
        // Refuse before asking anything if either file is in the way.
        var inTheWay = [(identityPath, "identity keyfile")]
        if case .sqlite(let path) = location { inTheWay.insert((path, "vault"), at: 0) }
        for (path, what) in inTheWay where FileManager.default.fileExists(atPath: path) {
            throw KithVaultError.invalidInput("\(path) already exists and was left untouched; choose another path for the new \(what)")
        }
        // A database is reached, set up and checked empty before the passphrase is asked for.
        var store: VaultStore? = nil
        if case .postgres = location { store = try location.open(create: true) }
        let passphrase = try Passphrase.read(options: global, confirm: true, for: handle.value)
        let founder = try UnlockedIdentity.generate()
        let vault = try Vault.found(
            store: store ?? location.open(create: true), founder: founder, handle: handle, memory: GlobalOptions.checkpointMemory(), founderMayLead: founderMayLead)
        do {
            try IdentityKeyfile.seal(founder, handle: handle, vaultFingerprint: vault.state.fingerprint, passphrase: passphrase, profile: profile)
                .write(to: identityPath)
            DeviceGuard.remembered.remember(identityPath)
        } catch {
            // No half-made vault: without its keyfile nobody could ever use it.
            switch location {
            case .sqlite(let path):
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            case .postgres:
                try? (vault.store as? PostgresVaultStore)?.dropNewVault()
            }
            throw error
        }
        if output.json {
            try Output.json([
                "fingerprint": vault.readableFingerprint, "vault": location.description, "engine": location.engine, "identity": identityPath,
                "user": founder.identity.userID.description, "founder_may_lead": founderMayLead,
            ])
        } else {
            print("Founded vault \(location) (\(location.engine)) with \(handle) as admin.")
            if founderMayLead {
                print("You may also lead groups ('kith share GROUP --with \(handle) --role lead'); everyone sees this in 'kith status'.")
            }
            print("Vault fingerprint: \(vault.readableFingerprint)")
            print("Your identity keyfile: \(identityPath) (keep it and its passphrase safe; Kith cannot recover either).")
        }
    }
}
