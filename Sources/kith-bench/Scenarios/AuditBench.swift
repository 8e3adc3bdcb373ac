import Foundation
import KithBaselines
import KithCrypto
import KithLog
import KithSQLite
import KithVault

/// `kith audit verify` and proof generation on logs of each size in
/// `sizes`, grown in one vault: `records` member records written, then
/// record reads (the commonest entry in a working vault) up to each size.
///
/// Baselines, measured here:
/// - audit-verify: raw `crypto_sign_verify_detached` on one core, on
///   messages of the log's mean entry size, times the cores used; plus raw
///   SHA-256 of two Merkle inputs per entry (a leaf and, on average, one
///   node). Kith also reads the entries from SQLite, decodes them and
///   replays every right; the baseline does none of that.
/// - prove: absolute (the goal is under 1 ms a proof).
enum AuditBench {
    static func run(sizes: [Int], records: Int, log: (String) -> Void) throws -> [BenchResult] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        log("audit: building a vault of \(records) records (not timed)")
        let vault = try BenchVault(members: 1, records: records)
        let lead = try vault.open(vault.path, as: vault.lead)
        var results: [BenchResult] = []
        for size in sizes.sorted() {
            log("audit: adding record reads up to \(size) log entries (not timed)")
            var next = 0
            while lead.state.count < UInt64(size) {
                let n = min(2000, size - Int(lead.state.count))
                let ids = (0..<n).map { vault.recordIDs[(next + $0) % vault.recordIDs.count] }
                next += n
                _ = try lead.readRecords(ids)
            }
            results += try measureLog(path: vault.path, cores: cores, log: log)
        }
        return results
    }

    static func measureLog(path: String, cores: Int, log: (String) -> Void) throws -> [BenchResult] {
        let store = try SQLiteVaultStore(path: path)
        var report: AuditReport?
        // The log alone, as before the record check existed (that is measured apart below).
        let seconds = try measure { report = try AuditVerifier.verify(store: store, threads: cores, records: false) }
        guard let report, let audited = report.log else { throw KithVaultError.integrity("the benchmark log does not verify: \(report?.problems ?? [])") }
        let n = Int(report.entries)
        let meanLength = try store.entries(from: 0).reduce(0) { $0 + $1.count } / max(1, n)
        // The signed message is the entry without its signature, plus the context and vault id.
        let verifySeconds = try Baseline.ed25519Verifies(count: 20_000, messageLength: meanLength - 64 + 34)
        let shaSeconds = try Baseline.sha256Nodes(count: 1_000_000)
        let edRate = 20_000 / verifySeconds * Double(cores)
        let shaRate = 1_000_000 / shaSeconds
        let baselineSeconds = Double(n) / edRate + 2 * Double(n) / shaRate
        var results = [
            BenchResult(
                name: "audit-verify \(sizeLabel(n))", n: n, seconds: seconds, unit: "entries/s",
                baseline: "raw Ed25519 verify x \(cores) cores + SHA-256", baselineSeconds: baselineSeconds,
                note: "mean entry \(meanLength) B; raw Ed25519 \(Int(edRate / Double(cores)))/s per core, SHA-256 \(Int(shaRate)) nodes/s")
        ]

        // Resumed: every entry hashes to the checkpoint verified before; only the replay of rights is redone.
        let head = try audited.head()
        let resumedSeconds = try measure { _ = try AuditVerifier.verify(store: store, from: head, threads: cores, records: false) }
        results.append(
            BenchResult(
                name: "audit-verify \(sizeLabel(n)) resumed", n: n, seconds: resumedSeconds, unit: "entries/s",
                baseline: "raw SHA-256 (leaves and nodes)", baselineSeconds: 2 * Double(n) / shaRate,
                note: "what each later 'kith audit verify --log-only' (and prove) costs once this log was verified"))

        // The record check every 'kith audit verify' adds: each stored version read, decoded, hashed and its signature checked.
        var checked = 0
        let recordSeconds =
            try measure {
                checked = try AuditVerifier.verify(store: store, from: head, threads: cores, records: true).records?.versions ?? 0
            } - resumedSeconds
        let recordVerify = try Baseline.ed25519Verifies(count: 20_000, messageLength: 200)
        results.append(
            BenchResult(
                name: "audit-verify \(sizeLabel(n)) records", n: checked, seconds: max(recordSeconds, 1e-6), unit: "versions/s",
                baseline: "raw Ed25519 verify x \(cores) cores", baselineSeconds: Double(checked) / (20_000 / recordVerify * Double(cores)),
                note: "stored record versions checked against the log without decrypting (resumed log time subtracted)"))

        // Proofs from the kept interior hashes: random entries and random older sizes.
        let size = audited.tree.size
        var generator = SystemRandomNumberGenerator()
        let inclusionCount = 10_000
        var inclusionHashes = 0
        let inclusionSeconds = try measure {
            for _ in 0..<inclusionCount {
                inclusionHashes += try audited.tree.inclusionProof(index: UInt64.random(in: 0..<size, using: &generator), size: size).count
            }
        }
        let consistencyCount = 1000
        var consistencyHashes = 0
        let consistencySeconds = try measure {
            for _ in 0..<consistencyCount {
                consistencyHashes += try audited.tree.consistencyProof(from: UInt64.random(in: 1...size, using: &generator), to: size).count
            }
        }
        let inclusionBytes = 32 * inclusionHashes / inclusionCount
        let consistencyBytes = 32 * consistencyHashes / consistencyCount
        results.append(
            BenchResult(
                name: "prove inclusion \(sizeLabel(n))", n: inclusionCount, seconds: inclusionSeconds, unit: "proofs/s",
                baseline: "goal: under 1 ms each", baselineSeconds: nil,
                note: String(format: "%.2f us a proof, %d proof bytes on average", inclusionSeconds / Double(inclusionCount) * 1e6, inclusionBytes)))
        results.append(
            BenchResult(
                name: "prove consistency \(sizeLabel(n))", n: consistencyCount, seconds: consistencySeconds, unit: "proofs/s",
                baseline: "goal: under 1 ms each", baselineSeconds: nil,
                note: String(format: "%.2f us a proof, %d proof bytes on average", consistencySeconds / Double(consistencyCount) * 1e6, consistencyBytes)))
        log("audit: \(sizeLabel(n)) done")
        return results
    }

    static func sizeLabel(_ n: Int) -> String { n >= 1_000_000 ? "\(n / 1_000_000)M" : n >= 1000 ? "\(n / 1000)k" : "\(n)" }
}
