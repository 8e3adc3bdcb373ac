import ArgumentParser
import Foundation
import KithPostgres
import KithEngines
import KithVault

/// `kith vault`: looking after the vault's storage itself.
struct VaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Look after the vault's storage: move it between SQLite and PostgreSQL.",
        subcommands: [Migrate.self])

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
