import Foundation
import GRDB
import KithCrypto
import KithSQLite
import KithVault

/// Erasing from a vault of `records` member records of about 1 KiB, on
/// copies of the same vault:
/// - erase: one lead's `record erase` of one record (one signed entry, the
///   rows deleted in its transaction, the write-ahead file emptied);
/// - erase-retention: a retention run erasing every record, in batches of 1,000.
///
/// Baseline, measured here on the same counts: raw SQLite deletes by id of
/// rows of the same size, with `secure_delete` on, 1,000 per transaction,
/// then `wal_checkpoint(TRUNCATE)`: what the store itself needs to forget
/// them. Kith also signs and replays an entry per batch, and checks every
/// record's rule before it goes.
enum EraseBench {
    static func run(records: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("erase: building a vault of \(records) records (not timed)")
        let vault = try BenchVault(members: 1, records: records)
        var results: [BenchResult] = []

        let single = try vault.copy(named: "erase-one.kith")
        let lead = try vault.open(single, as: vault.lead)
        let seconds = try measure { _ = try lead.eraseRecord(vault.recordIDs[records / 2], reason: "benchmark") }
        results.append(
            BenchResult(
                name: "erase (one record)", n: 1, seconds: seconds, unit: "erasures/s", baseline: "raw SQLite delete + checkpoint",
                baselineSeconds: try rawDeletes(count: 1, recordBytes: 1400, in: vault.directory, name: "raw-one.sqlite"), note: "one signed entry per erasure"))
        log("erase (one record): \(String(format: "%.3f", seconds)) s")

        let all = try vault.copy(named: "erase-all.kith")
        let retiring = try vault.open(all, as: vault.lead)
        let start = UInt64(Date().timeIntervalSince1970 * 1000)
        retiring.clock = { start }
        var policy = try retiring.policy(groupName: BenchVault.group)
        policy.retention = [.member: 1]
        try retiring.setPolicy(groupName: BenchVault.group, policy)
        retiring.clock = { start + 2 * VaultState.millisPerMonth }
        var erased = 0
        let retention = try measure { erased = try retiring.applyRetention(groupName: BenchVault.group).erased }
        guard erased == records else { throw KithVaultError.integrity("the retention benchmark erased \(erased) of \(records) records") }
        results.append(
            BenchResult(
                name: "erase-retention", n: records, seconds: retention, unit: "records/s", baseline: "raw SQLite deletes + checkpoint",
                baselineSeconds: try rawDeletes(count: records, recordBytes: 1400, in: vault.directory, name: "raw-all.sqlite"),
                note: "batches of 1,000; each rule checked"))
        log("erase-retention: \(String(format: "%.2f", retention)) s for \(records) records")
        return results
    }

    /// Seconds to delete `count` rows of `recordBytes` by id, 1,000 per
    /// transaction, with secure_delete on, then empty the write-ahead file.
    static func rawDeletes(count: Int, recordBytes: Int, in directory: URL, name: String) throws -> Double {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let queue = try DatabaseQueue(path: directory.appendingPathComponent(name).path, configuration: configuration)
        let keys = try (0..<count).map { _ in Data(try Random.bytes(16)) }
        let body = Data(try Random.bytes(recordBytes))
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE records (id BLOB NOT NULL, version INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (id, version)) WITHOUT ROWID")
            let insert = try db.makeStatement(sql: "INSERT INTO records (id, version, body) VALUES (?, 1, ?)")
            for key in keys { try insert.execute(arguments: [key, body]) }
        }
        _ = try queue.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return try measure {
            for start in stride(from: 0, to: count, by: 1000) {
                try queue.write { db in
                    let delete = try db.makeStatement(sql: "DELETE FROM records WHERE id = ?")
                    for key in keys[start..<min(start + 1000, count)] { try delete.execute(arguments: [key]) }
                }
            }
            _ = try queue.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
    }
}
