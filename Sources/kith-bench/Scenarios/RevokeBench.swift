import Foundation
import KithBaselines
import KithCrypto
import KithVault

/// Removing one of `members + 1` users from a group of `records` member
/// records, in the three modes, each on its own copy of the same vault.
///
/// Baselines, measured here on the same counts:
/// - default: `crypto_box_seal` of a 32-byte key to each remaining reader
///   of each rotated compartment (the public-key work a revocation must do);
/// - rewrap: raw XChaCha20-Poly1305 open and seal of one 32-byte key per part;
/// - reencrypt: the same, plus opening and sealing each part's padded
///   content (256 B profile, 1 KiB notes, as the records hold).
/// All baselines are raw libsodium on plain buffers (`Baseline`).
enum RevokeBench {
    static func run(members: Int, records: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("revoke: building a vault of \(members + 1) users and \(records) records (not timed)")
        let vault = try BenchVault(members: members, records: records)
        var results: [BenchResult] = []
        let target = vault.members[0]
        // Case workers read profile and notes: both rotate, each sealed to everyone left.
        let envelopes = 2 * members

        for mode in [RekeyMode?.none, .rewrap, .reencrypt] {
            let label = mode.map { "revoke --\($0)" } ?? "revoke (default)"
            let copy = try vault.copy(named: "revoke-\(mode?.description ?? "default").kith")
            let lead = try vault.open(copy, as: vault.lead)
            var changed = 0
            let seconds = try measure {
                let result = try lead.revoke(groupName: BenchVault.group, from: target, mode: mode)
                changed = result.rekey?.changed ?? 0
            }
            guard mode == nil || changed == records else {
                throw KithVaultError.integrity("the \(label) benchmark moved \(changed) of \(records) records")
            }
            switch mode {
            case nil:
                results.append(
                    BenchResult(
                        name: label, n: envelopes, seconds: seconds, unit: "keys sealed/s", baseline: "raw crypto_box_seal",
                        baselineSeconds: try sealBaseline(envelopes), note: nil))
            case .rewrap:
                results.append(
                    BenchResult(
                        name: label, n: records, seconds: seconds, unit: "records/s", baseline: "raw AEAD, 2 keys/record",
                        baselineSeconds: try rewrapBaseline(records), note: nil))
            case .reencrypt:
                results.append(
                    BenchResult(
                        name: label, n: records, seconds: seconds, unit: "records/s", baseline: "raw AEAD, keys+content",
                        baselineSeconds: try reencryptBaseline(records), note: nil))
            }
            log("\(label): \(String(format: "%.2f", seconds)) s")
        }
        return results
    }

    static func sealBaseline(_ count: Int) throws -> Double {
        try Baseline.sealedBoxSeals(count: count)
    }

    /// Two 32-byte record keys per record (profile and notes), opened and sealed again.
    static func rewrapBaseline(_ records: Int) throws -> Double {
        try Baseline.aeadOpenSeal(count: records, lengths: [32, 32])
    }

    /// Per record: both keys, and both parts' padded content (256 B and 1 KiB).
    static func reencryptBaseline(_ records: Int) throws -> Double {
        try Baseline.aeadOpenSeal(count: records, lengths: [32, 32, 256, 1024])
    }
}
