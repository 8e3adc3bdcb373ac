import Foundation
import GRDB
import KithBaselines
import KithCrypto
import KithVault

/// Adding `records` member records of about 1 KiB to a fresh SQLite vault
/// in batches of 1,000, then reading and verifying every one of them.
///
/// Baselines, measured here on the same counts and byte sizes:
/// - ingest: raw SQLite inserts through GRDB in one transaction, of one row
///   per record with the mean stored record size and one row per log entry
///   with the mean entry size Kith stored (random bytes, so nothing compresses);
/// - read: a raw SQLite scan of the same vault's record rows, plus raw
///   XChaCha20-Poly1305 decryption of each record's two wrapped keys and
///   two content parts at their padded sizes (32, 32, 256 and 1,024 bytes).
/// Kith's reads also check the author's signature, the content commitment
/// and the log entry of every record, and log one signed read entry per
/// record (as `kith record show` does): the baselines do none of that.
enum IngestReadBench {
    static func run(records: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("ingest: a fresh vault with a lead (not timed)")
        let vault = try BenchVault(members: 0, records: 0)
        let lead = try vault.open(vault.path, as: vault.lead)
        var ids: [RecordID] = []
        let batch = 1000
        let ingestSeconds = try measure {
            var written = 0
            while written < records {
                let n = min(batch, records - written)
                ids += try lead.addRecords(groupName: BenchVault.group, kind: .member, (0..<n).map { try BenchVault.memberFields(written + $0) })
                written += n
            }
        }
        let queue = try DatabaseQueue(path: vault.path)
        let (recordBytes, entryBytes) = try queue.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT avg(length(body)) FROM records") ?? 0,
                try Int.fetchOne(db, sql: "SELECT avg(length(entry)) FROM log_entries") ?? 0
            )
        }
        let rawInsertSeconds = try rawInserts(count: records, recordBytes: recordBytes, entryBytes: entryBytes, in: vault.directory)
        var results = [
            BenchResult(
                name: "ingest", n: records, seconds: ingestSeconds, unit: "records/s",
                baseline: "raw SQLite inserts, one transaction", baselineSeconds: rawInsertSeconds,
                note: "batches of \(batch); stored record \(recordBytes) B, log entry \(entryBytes) B")
        ]

        log("read: reading and verifying every record")
        let reader = try vault.open(vault.path, as: vault.lead)
        let readSeconds = try measure {
            for start in stride(from: 0, to: ids.count, by: batch) {
                _ = try reader.readRecords(Array(ids[start..<min(start + batch, ids.count)]))
            }
        }
        let scanSeconds = try measure {
            try queue.read { db in
                let cursor = try Data.fetchCursor(db, sql: "SELECT body FROM records")
                var total = 0
                while let body = try cursor.next() { total += body.count }
                guard total > 0 else { throw KithVaultError.integrity("the benchmark vault holds no records") }
            }
        }
        let decryptSeconds = try Baseline.aeadOpens(count: records, lengths: [32, 32, 256, 1024])
        results.append(
            BenchResult(
                name: "read", n: records, seconds: readSeconds, unit: "records/s",
                baseline: "raw SQLite scan + raw AEAD decrypt", baselineSeconds: scanSeconds + decryptSeconds,
                note: "Kith also checks each author signature and logs a signed read entry per record"))
        return results
    }

    /// Seconds to insert `count` record rows and `count` entry rows of the given sizes in one transaction.
    static func rawInserts(count: Int, recordBytes: Int, entryBytes: Int, in directory: URL) throws -> Double {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("raw.sqlite").path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE records (id BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID")
            try db.execute(sql: "CREATE TABLE entries (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL)")
        }
        // Random bytes made before timing: what is measured is SQLite, not the random source.
        let bodies = try (0..<64).map { _ in Data(try Random.bytes(recordBytes)) }
        let entries = try (0..<64).map { _ in Data(try Random.bytes(entryBytes)) }
        let keys = try (0..<count).map { _ in Data(try Random.bytes(16)) }
        return try measure {
            try queue.write { db in
                let insertRecord = try db.makeStatement(sql: "INSERT INTO records (id, body) VALUES (?, ?)")
                let insertEntry = try db.makeStatement(sql: "INSERT INTO entries (seq, entry) VALUES (?, ?)")
                for index in 0..<count {
                    try insertRecord.execute(arguments: [keys[index], bodies[index % 64]])
                    try insertEntry.execute(arguments: [index, entries[index % 64]])
                }
            }
        }
    }
}
