import ArgumentParser
import Foundation
import KithCrypto
import KithVault

/// `kith-bench`: named scenarios, each measured against a baseline in the
/// same run on the same data. See docs/performance.md.
@main
struct KithBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kith-bench",
        abstract: "Measure Kith against what libsodium and SQLite can do at most.",
        discussion: """
            Build in release mode first (make bench does). Ratios are Kith's rate over the
            baseline's rate, measured in the same process on the same data; higher is better.

            Examples:
              kith-bench --quick
              kith-bench --only revoke --json
              KITH_BENCH_POSTGRES=postgres://kith@127.0.0.1/soak kith-bench --only soak --soak-seconds 300
            """,
        subcommands: [ConcurrentWriter.self])

    @Flag(help: "Smaller sizes, so the whole run takes under two minutes on 2 cores.")
    var quick = false
    @Flag(help: "Print one JSON object per scenario line (see docs/performance.md).")
    var json = false
    @Option(help: ArgumentHelp("Run only scenarios whose name starts with this.", valueName: "name"))
    var only: [String] = []
    @Option(help: ArgumentHelp("How long the soak runs on each engine (it runs only with --only soak).", valueName: "seconds"))
    var soakSeconds = 120

    func run() throws {
        let sizes = quick ? (members: 99, records: 10_000) : (members: 99, records: 100_000)
        let log: (String) -> Void = { message in if !json { FileHandle.standardError.write(Data("\(message)\n".utf8)) } }
        log("kith-bench \(KithVersion.string), libsodium \(CryptoLibrary.versionString), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(quick ? "quick" : "full") sizes")
        var results: [BenchResult] = []
        if selected("ingest") || selected("read") {
            results += try IngestReadBench.run(records: sizes.records, log: log)
        }
        if selected("revoke") {
            results += try RevokeBench.run(members: sizes.members, records: sizes.records, log: log)
        }
        if selected("audit-verify") || selected("prove") {
            results += try AuditBench.run(sizes: quick ? [10_000, 100_000] : [100_000, 1_000_000], records: quick ? 5_000 : 50_000, log: log)
        }
        if selected("share-vs-age") {
            results += try ShareBench.run(records: quick ? 200 : 1_000, users: 50, log: log)
        }
        if selected("attach") {
            results += try AttachBench.run(megabytes: quick ? 128 : 1024, log: log)
        }
        if selected("erase") {
            results += try EraseBench.run(records: sizes.records, log: log)
        }
        if selected("journal") {
            results += try JournalBench.run(records: sizes.records, writes: quick ? 100 : 500, log: log)
        }
        if selected("find") {
            results += try FindBench.run(records: sizes.records, queries: quick ? 60 : 300, log: log)
        }
        if selected("command (agent)") {
            results += try CommandBench.run(commands: 10, log: log)
        }
        // Asked for by name only: it runs for a set time rather than a set amount.
        if only.contains(where: { "soak".hasPrefix($0) && !$0.isEmpty }) {
            results += try SoakBench.run(
                seconds: soakSeconds, postgres: ProcessInfo.processInfo.environment["KITH_BENCH_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }, log: log)
        }
        // Last: it grows a vault to a million entries in the full run.
        if selected("command-at-scale") {
            results += try ScaleBench.run(sizes: quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000], runs: quick ? 5 : 9, log: log)
        }
        if json {
            for result in results {
                let data = try JSONSerialization.data(withJSONObject: result.json, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            BenchTable.print(results)
        }
    }

    func selected(_ name: String) -> Bool {
        only.isEmpty || only.contains { name.hasPrefix($0) }
    }
}
