import ArgumentParser
import Foundation
import KithPostgres
import KithEngines
import KithVault

/// `kith vault`: looking after the vault's storage itself.
struct VaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Look after the vault's storage: move it between SQLite and PostgreSQL, purge erased bytes, heal a restored backup.",
        subcommands: [Migrate.self, Purge.self, Heal.self, AcceptRestore.self])

    struct Purge: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear the store's files of bytes that erasures and rekeys removed.",
            discussion: """
                'kith record erase' and 'kith group rekey' do this themselves. Run it when they \
                warned that they could not finish: SQLite's write-ahead file was in use by another \
                kith (run it when no one else is using the vault), or PostgreSQL's tables could not \
                be vacuumed by this role (run it as the database's owner). No identity is needed: \
                nothing is decrypted or written to the log.

                Example:
                  kith vault purge --vault network.kith
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let outcome = try global.openStore().purgeReplacedBytes()
            if output.json {
                try Output.json(["purge": outcome.rawValue])
                if outcome != .complete { throw ExitCode(75) }
                return
            }
            if outcome == .complete {
                print("The vault's files hold nothing of what was erased or replaced (as far as the engine can tell; see docs/threat-model.md).")
            } else {
                RecordCommand.Erase.purgeLine(outcome)
                throw ExitCode(75)
            }
        }
    }

    struct Migrate: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a vault to another engine (a SQLite file into PostgreSQL, or back), verifying both logs.",
            discussion: """
                Copies the exact log entries, every record version, every checkpoint (with \
                witnesses' cosignatures) and every attachment. Nothing is decrypted, so no \
                identity or passphrase is needed, and the copy is the same vault: same \
                fingerprint, same keyfiles. The source's log is verified in full before and \
                the copy's after; the source is never changed.

                The destination must be empty (a new file, or a database with no vault) or \
                hold what an interrupted run of the same copy left: the copy then carries on. \
                Stop everyone writing to the source first, and point clients at the \
                destination only when this reports success (docs/operations.md).

                Example:
                  kith vault migrate --from network.kith --to postgres://kith@db.example.org/kith
                """)

        @Option(help: ArgumentHelp("The vault to copy: a SQLite file or a postgres:// address.", valueName: "path|address"))
        var from: String
        @Option(help: ArgumentHelp("Where to copy it: a postgres:// address (password in PGPASSWORD or ~/.pgpass) or a new SQLite file.", valueName: "address|path"))
        var to: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let source = try VaultLocation(from)
            let destination = try VaultLocation(to)
            guard source.description != destination.description else {
                throw KithVaultError.invalidInput("--from and --to name the same vault; copy it somewhere else")
            }
            let sourceStore = try source.open()
            let destinationStore = try Self.openDestination(destination)
            let bar = ProgressBar("Copying")
            defer { bar.finish() }
            let report = try VaultCopy.copy(from: sourceStore, to: destinationStore) { done, total in
                bar.update(done: Int(done), total: Int(total))
            }
            bar.finish()
            if output.json {
                try Output.json([
                    "from": source.description, "to": destination.description, "engine": destination.engine, "entries": report.entries,
                    "copied_entries": report.copiedEntries, "copied_records": report.copiedRecords, "copied_attachments": report.copiedAttachments,
                    "copied_checkpoints": report.copiedCheckpoints, "root": report.root,
                ])
            } else {
                if report.copiedEntries < report.entries {
                    print("Carried on from an earlier copy: \(report.entries - report.copiedEntries) entries were already there.")
                }
                print(
                    "Copied \(report.copiedEntries) log \(report.copiedEntries == 1 ? "entry" : "entries"), "
                        + "\(Output.count(report.copiedRecords, "record version")), \(Output.count(report.copiedAttachments, "attachment")) and "
                        + "\(Output.count(report.copiedCheckpoints, "checkpoint")) into \(destination) (\(destination.engine)).")
                print("Both logs verify: \(report.entries) entries, root \(report.root).")
                print("Point everyone at the new vault, e.g. KITH_VAULT=\(destination) (the source was not changed).")
            }
        }

        /// The destination: made when missing; an existing one is opened so
        /// an interrupted copy can carry on (the copy checks what it holds).
        static func openDestination(_ location: VaultLocation) throws -> VaultStore {
            switch location {
            case .sqlite(let path):
                return try location.open(create: !FileManager.default.fileExists(atPath: path))
            case .postgres:
                do { return try location.open() } catch let error as KithVaultError where error.code == .notFound {
                    return try location.open(create: true)
                }
            }
        }
    }
}
