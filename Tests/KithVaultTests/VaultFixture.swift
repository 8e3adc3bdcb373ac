import GRDB
import Foundation
import KithCrypto
@testable import KithVault

/// A throwaway vault in a temporary folder with a founder, for tests. Keys
/// are generated per test; nothing here is a real key.
final class VaultFixture {
    let directory: URL
    /// The SQLite file (unused on PostgreSQL).
    let path: String
    /// Where the vault's store lives, on the engine under test.
    let place: TestStorePlace
    let founder: UnlockedIdentity
    let admin: Vault
    private(set) var identities: [String: UnlockedIdentity] = [:]

    init(engine: TestEngine = .sqlite) throws {
        place = try TestStorePlace(engine)
        directory = place.directory
        path = directory.appendingPathComponent("vault.kith").path
        founder = try UnlockedIdentity.generate()
        admin = try Vault.found(store: place.open(create: true), founder: founder, handle: Handle("founder"))
        identities["founder"] = founder
    }

    /// A new connection to (or handle on) the vault's store.
    func store() throws -> VaultStore { try place.open() }

    /// Enrols a new user through a real request and returns their open vault.
    @discardableResult
    func enroll(_ handle: String, role: OrgRole = .user) throws -> Vault {
        let identity = try UnlockedIdentity.generate()
        let request = try EnrollmentRequest.make(holder: identity, handle: Handle(handle), vaultFingerprint: admin.state.fingerprint)
        try admin.approve(EnrollmentRequest.parse(request.fileBytes), role: role)
        identities[handle] = identity
        return try open(handle)
    }

    /// Opens the vault again as `handle` (a fresh client: replays the log).
    func open(_ handle: String) throws -> Vault {
        guard let identity = identities[handle] else { throw KithVaultError.notFound(handle) }
        return try Vault(store: place.open(), holder: identity)
    }

    /// A group with a lead, a case worker and a viewer.
    func standardGroup(_ name: String = "Trans Support") throws -> (lead: Vault, caseworker: Vault, viewer: Vault) {
        try admin.createGroup(name: name)
        let lead = try enroll("lead-\(name.prefix(3).lowercased())")
        let caseworker = try enroll("cw-\(name.prefix(3).lowercased())")
        let viewer = try enroll("viewer-\(name.prefix(3).lowercased())")
        try admin.share(groupName: name, with: lead.whoami().handle, role: .lead)
        try lead.refresh()
        try lead.share(groupName: name, with: caseworker.whoami().handle, role: .caseworker)
        try lead.share(groupName: name, with: viewer.whoami().handle, role: .viewer)
        try caseworker.refresh()
        try viewer.refresh()
        return (lead, caseworker, viewer)
    }

    /// Flips one bit of stored log entry `seq`, `offsetFromEnd` bytes from its
    /// end, as a store's operator could (the no-update trigger dropped first).
    func flipLogEntry(seq: Int64, offsetFromEnd: Int) throws {
        try DatabaseQueue(path: path).write { db in
            var bytes = try Data.fetchOne(db, sql: "SELECT entry FROM log_entries WHERE seq = ?", arguments: [seq]) ?? Data()
            bytes[bytes.count - offsetFromEnd] ^= 0x01
            try db.execute(sql: "DROP TRIGGER IF EXISTS log_entries_no_update")
            try db.execute(sql: "UPDATE log_entries SET entry = ? WHERE seq = ?", arguments: [bytes, seq])
        }
    }

    /// Every byte of the vault's files (the database, its WAL and shared memory).
    func allStoreBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            out += [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + suffix)))
        }
        return out
    }
}

func fields(_ pairs: [(String, String)], kind: RecordKind = .member) throws -> [RecordField] {
    try pairs.map { try RecordField.parse("\($0.0)=\($0.1)", kind: kind) }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var index = 0
        while index <= count - needle.count {
            if self[index] == first && Array(self[index..<index + needle.count]) == needle { return true }
            index += 1
        }
        return false
    }
}

extension KithVaultError {
    /// A failure of the data itself (a bad byte, signature or entry): what the CLI reports with exit 65.
    var isDataError: Bool { code == .integrity || code == .invalidEntry }
}
