import Foundation
import KithBaselines
import KithCrypto
import KithVault

/// `attach`: sealing a large file into the vault and saving it back out.
///
/// Kith (`Vault.addAttachment` / `saveAttachment`): chunked secretstream,
/// the stored file's BLAKE2b, flushed to disk, a signed record in the log;
/// on the way out every chunk, the hash and the log are checked and the
/// read is logged.
///
/// Baselines on the same file in the same run: raw secretstream file to
/// file in the same 1 MiB chunks, flushed to disk the same way (the most
/// libsodium and the disk allow), and the `age` tool with one X25519
/// recipient, its output then flushed too (age itself does not flush; the
/// unflushed figure is printed as a note). Each side runs twice; the faster run
/// counts, so a cold cache or a stray flush does not decide the ratio.
enum AttachBench {
    static func run(megabytes: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("attach: a \(megabytes) MiB file (not timed: writing it)")
        let vault = try BenchVault(members: 0, records: 0)
        let lead = try vault.open(vault.path, as: vault.lead)
        let caseID = try lead.addRecord(groupName: BenchVault.group, kind: .case, fields: [RecordField.parse("need=housing", kind: .case)])
        let folder = vault.directory
        let input = folder.appendingPathComponent("input.bin").path
        try writeFile(input, megabytes: megabytes)
        let chunk = 1 << 20

        var raw = (seal: Double.infinity, open: Double.infinity)
        var kith = (seal: Double.infinity, open: Double.infinity)
        var ageTimes = (seal: Double.infinity, open: Double.infinity)
        var ageUnflushed = (seal: Double.infinity, open: Double.infinity)
        let age = AgeTool.find()
        let ageKey = folder.appendingPathComponent("age-id.txt").path
        let recipient = try age?.newIdentity(at: ageKey)
        for round in 0..<2 {
            let sealed = folder.appendingPathComponent("raw.sealed").path, opened = folder.appendingPathComponent("raw.opened").path
            let times = try Baseline.secretStreamFiles(input: input, sealed: sealed, opened: opened, chunkSize: chunk)
            try? FileManager.default.removeItem(atPath: sealed)
            try? FileManager.default.removeItem(atPath: opened)
            raw = (min(raw.seal, times.seal), min(raw.open, times.open))

            var id: RecordID?
            let sealSeconds = try measure { id = try lead.addAttachment(caseID: caseID, file: input) }
            let out = folder.appendingPathComponent("kith.out\(round)").path
            guard let id else { throw BenchFailure("no attachment id") }
            let openSeconds = try measure { try lead.saveAttachment(id, to: out) }
            guard (try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) == megabytes << 20 else {
                throw BenchFailure("the saved attachment has the wrong size")
            }
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: "\(vault.path).files/\(id)")
            kith = (min(kith.seal, sealSeconds), min(kith.open, openSeconds))

            if let age, let recipient {
                let encrypted = folder.appendingPathComponent("age.out").path, decrypted = folder.appendingPathComponent("age.opened").path
                var sealUnflushed = 0.0, openUnflushed = 0.0
                let sealAge = try measure {
                    sealUnflushed = try measure { try age.run(age.age, ["-r", recipient, "-o", encrypted, input]) }
                    try flush(encrypted)
                }
                let openAge = try measure {
                    openUnflushed = try measure { try age.run(age.age, ["-d", "-i", ageKey, "-o", decrypted, encrypted]) }
                    try flush(decrypted)
                }
                try? FileManager.default.removeItem(atPath: encrypted)
                try? FileManager.default.removeItem(atPath: decrypted)
                ageTimes = (min(ageTimes.seal, sealAge), min(ageTimes.open, openAge))
                ageUnflushed = (min(ageUnflushed.seal, sealUnflushed), min(ageUnflushed.open, openUnflushed))
            }
            log("attach round \(round + 1): Kith \(f(sealSeconds)) s in, \(f(openSeconds)) s out; raw \(f(times.seal)) / \(f(times.open)) s")
        }
        var results = [
            BenchResult(
                name: "attach add", n: megabytes, seconds: kith.seal, unit: "MiB/s", baseline: "raw secretstream+fsync",
                baselineSeconds: raw.seal, note: "goal: at least 0.9 of raw secretstream, and faster than age"),
            BenchResult(
                name: "attach get", n: megabytes, seconds: kith.open, unit: "MiB/s", baseline: "raw secretstream+fsync",
                baselineSeconds: raw.open, note: nil),
        ]
        if age != nil {
            results += [
                BenchResult(
                    name: "attach add vs age", n: megabytes, seconds: kith.seal, unit: "MiB/s", baseline: "age -r, then fsync",
                    baselineSeconds: ageTimes.seal,
                    note: "age leaves flushing to the system; without the fsync it ran at \(rate(megabytes, ageUnflushed.seal)) in, \(rate(megabytes, ageUnflushed.open)) out"),
                BenchResult(name: "attach get vs age", n: megabytes, seconds: kith.open, unit: "MiB/s", baseline: "age -d, then fsync", baselineSeconds: ageTimes.open, note: nil),
            ]
        } else {
            results.append(.unavailable("attach vs age", AgeTool.missing))
        }
        return results
    }

    private static func f(_ seconds: Double) -> String { String(format: "%.2f", seconds) }

    private static func rate(_ megabytes: Int, _ seconds: Double) -> String { String(format: "%.0f MiB/s", Double(megabytes) / seconds) }

    /// Flushes a file another program wrote, as Kith flushes its own.
    private static func flush(_ path: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw BenchFailure("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.synchronize()
    }

    /// `megabytes` MiB of random bytes (one random MiB repeated with a
    /// counter, so no two chunks are alike and nothing compresses).
    private static func writeFile(_ path: String, megabytes: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw BenchFailure("cannot create \(path)")
        }
        defer { try? handle.close() }
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for index in block.indices { block[index] = UInt8.random(in: 0...255) }
        for index in 0..<megabytes {
            block[0] = UInt8(truncatingIfNeeded: index)
            block[1] = UInt8(truncatingIfNeeded: index >> 8)
            try handle.write(contentsOf: block)
        }
    }
}
