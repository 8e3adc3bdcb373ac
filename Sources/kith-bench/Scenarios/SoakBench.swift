import Foundation
import KithCrypto
import KithEngines
import KithPostgres
import KithSQLite
import KithVault

/// `soak`: eight clients of one vault doing a case worker's mix (writes,
/// reads, searches, notes) for a set time, one of them a lead who rekeys
/// the group half way, on SQLite and (given an empty database) PostgreSQL.
/// Reports errors (there must be none), throughput, and latency percentiles
/// per sixth of the run, so a slow leak or a lock convoy shows as a trend.
enum SoakBench {
    /// One finished operation: when it started (seconds into the run), how long it took, whether it failed.
    struct Sample {
        let at: Double
        let seconds: Double
        let failed: Bool
    }

    final class Samples: @unchecked Sendable {
        // @unchecked: `lock` guards `items` and `failures`.
        private let lock = NSLock()
        private var items: [Sample] = []
        private var failures: [String] = []
        func add(_ sample: Sample) { lock.withLock { items.append(sample) } }
        func fail(_ text: String) { lock.withLock { failures.append(text) } }
        var all: [Sample] { lock.withLock { items } }
        var errors: [String] { lock.withLock { failures } }
    }

    static func run(seconds: Int, postgres: String?, log: (String) -> Void) throws -> [BenchResult] {
        log("soak: building a vault of 8 case workers and 2,000 members")
        let bench = try BenchVault(members: 8, records: 2_000)
        var results = try soak(engine: "sqlite", location: bench.path, bench: bench, seconds: seconds, log: log)
        if let postgres {
            _ = try VaultCopy.copy(from: SQLiteVaultStore(path: bench.path), to: PostgresVaultStore(postgres, create: true))
            results += try soak(engine: "postgres", location: postgres, bench: bench, seconds: seconds, log: log)
        } else {
            results.append(.unavailable("soak postgres", "set KITH_BENCH_POSTGRES to an empty database's postgres:// address"))
        }
        return results
    }

    static func soak(engine: String, location: String, bench: BenchVault, seconds: Int, log: (String) -> Void) throws -> [BenchResult] {
        let samples = Samples()
        let started = Date()
        let deadline = started.addingTimeInterval(Double(seconds))
        let identities = [bench.lead] + Array(bench.memberIdentities.prefix(7))
        let existing = bench.recordIDs
        DispatchQueue.concurrentPerform(iterations: identities.count) { index in
            let isLead = index == 0
            do {
                let client = try Vault(store: VaultLocation(location).open(), holder: identities[index])
                let caseID = try client.addRecord(groupName: BenchVault.group, kind: .case, fields: [RecordField.parse("need=housing", kind: .case)])
                var rekeyed = false
                var step = 0
                while Date() < deadline {
                    step += 1
                    let at = Date().timeIntervalSince(started)
                    let began = Date()
                    var failed = false
                    do {
                        if isLead && !rekeyed && at > Double(seconds) / 2 {
                            rekeyed = true
                            _ = try client.rekey(groupName: BenchVault.group, mode: .rewrap)
                        } else {
                            switch (step + index) % 7 {
                            case 0, 1, 2: _ = try client.addRecord(groupName: BenchVault.group, kind: .member, fields: BenchVault.memberFields(step * 10 + index))
                            case 3, 4: _ = try client.readRecord(existing[(step * 7919 + index * 104_729) % existing.count])
                            case 5: _ = try client.search(SearchQuery.parse(line: "Member \((step * 31 + index) % 2_000)"), groupName: BenchVault.group)
                            default: _ = try client.addNote(caseID: caseID, text: "Called back, round \(step).")
                            }
                        }
                    } catch {
                        failed = true
                        samples.fail("\(engine) client \(index): \(error)")
                    }
                    samples.add(Sample(at: at, seconds: Date().timeIntervalSince(began), failed: failed))
                }
            } catch {
                samples.fail("\(engine) client \(index) could not start: \(error)")
            }
        }
        let all = samples.all
        let errors = samples.errors
        for error in errors.prefix(5) { log("soak: \(error)") }
        var results: [BenchResult] = []
        let window = Double(seconds) / 6
        for part in 0..<6 {
            let inWindow = all.filter { $0.at >= Double(part) * window && $0.at < Double(part + 1) * window }
            let latencies = inWindow.map(\.seconds).sorted()
            func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000 }
            let failed = inWindow.filter(\.failed).count
            results.append(
                BenchResult(
                    name: "soak \(engine) \(Int(Double(part) * window))-\(Int(Double(part + 1) * window)) s", n: inWindow.count, seconds: window, unit: "ops",
                    baseline: "", baselineSeconds: nil,
                    note: String(format: "p50 %.1f ms, p99 %.1f ms, %d errors", percentile(0.5), percentile(0.99), failed)))
        }
        log("soak \(engine): \(all.count) operations by 8 clients in \(seconds) s, \(errors.count) errors")
        return results
    }
}
