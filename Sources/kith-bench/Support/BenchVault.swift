import Foundation
import KithCrypto
import KithSQLite
import KithVault

/// A throwaway vault for benchmarks: in-memory identities (no keyfiles, no
/// Argon2id), a group with a lead and `members` case workers, and
/// `records` member records of about 1 KiB written in batches.
final class BenchVault {
    let directory: URL
    var path: String { directory.appendingPathComponent("vault.kith").path }
    let founder: UnlockedIdentity
    let lead: UnlockedIdentity
    private(set) var members: [String] = []
    /// The case workers' identities, in the order of `members`.
    private(set) var memberIdentities: [UnlockedIdentity] = []
    /// Every record written, in order.
    private(set) var recordIDs: [RecordID] = []
    static let group = "Bench Group"

    init(members count: Int, records: Int, batch: Int = 1000) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        founder = try UnlockedIdentity.generate()
        lead = try UnlockedIdentity.generate()
        let admin = try Vault.found(store: SQLiteVaultStore(path: path, create: true), founder: founder, handle: Handle("admin"))
        _ = try admin.approve(EnrollmentRequest.make(holder: lead, handle: Handle("lead"), vaultFingerprint: nil), role: .user)
        try admin.createGroup(name: Self.group)
        try admin.share(groupName: Self.group, with: "lead", role: .lead)
        let leadVault = try Vault(store: SQLiteVaultStore(path: path), holder: lead)
        for index in 0..<count {
            let handle = "member\(index)"
            let identity = try UnlockedIdentity.generate()
            _ = try admin.approve(EnrollmentRequest.make(holder: identity, handle: Handle(handle), vaultFingerprint: nil), role: .user)
            memberIdentities.append(identity)
            try leadVault.share(groupName: Self.group, with: handle, role: .caseworker)
            members.append(handle)
        }
        var written = 0
        while written < records {
            let n = min(batch, records - written)
            recordIDs += try leadVault.addRecords(groupName: Self.group, kind: .member, (0..<n).map { try Self.memberFields(written + $0) })
            written += n
        }
        try SQLiteVaultStore(path: path).purgeReplacedBytes()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// About 1 KiB of fields: a profile and a case-work need.
    static func memberFields(_ index: Int) throws -> [RecordField] {
        let need = String(repeating: "Needs help with housing, food and travel to appointments. ", count: 14)
        return try [
            RecordField.parse("name=Member \(index)", kind: .member), RecordField.parse("pronouns=they/them", kind: .member),
            RecordField.parse("phone=+44 7700 \(900_000 + index % 100_000)", kind: .member), RecordField.parse("notes:need=\(need)", kind: .member),
        ]
    }

    /// A copy of the vault file, so each measurement starts from the same state.
    func copy(named name: String) throws -> String {
        let target = directory.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: path, toPath: target)
        return target
    }

    func open(_ path: String, as identity: UnlockedIdentity) throws -> Vault {
        try Vault(store: SQLiteVaultStore(path: path), holder: identity)
    }
}
