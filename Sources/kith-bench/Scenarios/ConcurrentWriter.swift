import ArgumentParser
import Foundation
import KithCrypto
import KithPostgres
import KithEngines
import KithVault

/// `kith-bench writer`: one client of the concurrency scenario and of the
/// concurrency tests. It opens a vault as one identity and writes records
/// one commit each, reading another writer's newest record after each
/// write, so writers append and read at the same time. Prints one JSON
/// line: how many it wrote and read, and how long that took.
struct ConcurrentWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writer",
        abstract: "One concurrent client: write records one commit each, reading others' as it goes (for tests and the concurrency scenario).",
        discussion:
            "The passphrase comes from KITH_PASSPHRASE (test identities only).\n\nExample:\n  KITH_PASSPHRASE=... kith-bench writer --vault postgres://kith@127.0.0.1/kith --identity w1.kithid --group Support --records 200 --tag w1",
        shouldDisplay: false)

    @Option(help: ArgumentHelp("The vault: a file or a postgres:// address.", valueName: "path|address"))
    var vault: String
    @Option(help: ArgumentHelp("The writer's identity keyfile.", valueName: "file"))
    var identity: String
    @Option(help: "The group to write into (the identity needs a writing role).")
    var group: String
    @Option(help: "Records to write.")
    var records = 200
    @Option(help: "Names this writer's records: TAG-1, TAG-2, …")
    var tag: String

    func run() throws {
        var bytes = Array((ProcessInfo.processInfo.environment["KITH_PASSPHRASE"] ?? "").utf8)
        guard !bytes.isEmpty else { throw ValidationError("set KITH_PASSPHRASE to the identity's (test) passphrase") }
        let passphrase = try SecureBytes(wiping: &bytes)
        let keyfile = try IdentityKeyfile.load(path: identity)
        let holder = try keyfile.unlock(passphrase: passphrase)
        let client = try Vault(store: VaultLocation(vault).open(), holder: holder, expectedFingerprint: keyfile.vaultFingerprint)
        let prefix = "\(tag)-"
        var reads = 0
        let started = Date()
        for number in 1...records {
            try client.addRecord(groupName: group, kind: .member, fields: [RecordField.parse("name=\(prefix)\(number)", kind: .member)])
            // Someone else's newest record, as a case worker would open it.
            let others = try client.state.records.all().filter { record in
                record.kind == .member && record.versions.first?.author != client.me
            }
            if let newest = others.max(by: { ($0.versions.last?.seq ?? 0) < ($1.versions.last?.seq ?? 0) }) {
                _ = try client.readRecord(newest.id)
                reads += 1
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let line: [String: Any] = ["tag": tag, "written": records, "reads": reads, "seconds": seconds]
        print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
    }
}
