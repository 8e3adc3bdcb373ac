import Foundation
import KithSQLite
import KithVault

/// What keeping a journal for `kith vault heal` costs, on copies of the
/// same vault of `records` member records:
/// - journal (writes): `writes` single-record commits by a lead whose state
///   folder keeps a journal, against the same commits with none kept
///   (`journalEntries: 0`) in the same run: each commit also keeps its own
///   entry and record version;
/// - journal (first open): the first open of the vault with a state folder
///   (a full replay, whose newest entries fill the journal), against the
///   same open keeping no journal.
/// A ratio of 1.0 is free; it is the price of a device being able to heal.
enum JournalBench {
    static func run(records: Int, writes: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("journal: building a vault of \(records) records (not timed)")
        let vault = try BenchVault(members: 1, records: records)
        func open(_ name: String, journal: UInt64) throws -> (Vault, Double) {
            let path = try vault.copy(named: name)
            let memory = CheckpointMemory(directory: vault.directory.appendingPathComponent("state-\(name)"), journalEntries: journal)
            var opened: Vault?
            let seconds = try measure { opened = try Vault(store: SQLiteVaultStore(path: path), holder: vault.lead, memory: memory) }
            guard let opened else { throw KithVaultError.integrity("the journal benchmark's vault did not open") }
            return (opened, seconds)
        }
        let (kept, openKept) = try open("journal-kept.kith", journal: CheckpointMemory.defaultJournalEntries)
        let (none, openNone) = try open("journal-none.kith", journal: 0)
        func write(_ lead: Vault) throws -> Double {
            try measure {
                for index in 0..<writes {
                    _ = try lead.addRecord(groupName: BenchVault.group, kind: .member, fields: try BenchVault.memberFields(records + index))
                }
            }
        }
        // Interleaved halves, so neither side gets the warmer disk cache.
        var keptSeconds = 0.0, noneSeconds = 0.0
        for _ in 0..<2 {
            keptSeconds += try write(kept)
            noneSeconds += try write(none)
        }
        let entries = Int(kept.state.count)
        log("journal: \(2 * writes) writes \(String(format: "%.2f", keptSeconds)) s kept, \(String(format: "%.2f", noneSeconds)) s without")
        return [
            BenchResult(
                name: "journal (writes)", n: 2 * writes, seconds: keptSeconds, unit: "commits/s", baseline: "same commits, no journal",
                baselineSeconds: noneSeconds, note: "one record per commit; the journal keeps each commit's entries and record"),
            BenchResult(
                name: "journal (first open)", n: entries, seconds: openKept, unit: "entries/s", baseline: "same open, no journal",
                baselineSeconds: openNone, note: "full replay; the newest \(CheckpointMemory.defaultJournalEntries) entries it read go into the journal"),
        ]
    }
}
