import Foundation
@testable import KithSQLite
import KithCrypto
import KithLog
import Testing
@testable import KithVault

@Suite("Checkpoints and rollback detection")
struct RollbackTests {
    static let group = "Trans Support"

    func files(_ fixture: VaultFixture) -> [String] { ["", "-wal", "-shm"].map { fixture.path + $0 } }

    func snapshot(_ fixture: VaultFixture, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (index, file) in files(fixture).enumerated() where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.copyItem(atPath: file, toPath: folder.appendingPathComponent("\(index)").path)
        }
    }

    func restore(_ fixture: VaultFixture, from folder: URL) throws {
        for (index, file) in files(fixture).enumerated() {
            try? FileManager.default.removeItem(atPath: file)
            let saved = folder.appendingPathComponent("\(index)").path
            if FileManager.default.fileExists(atPath: saved) { try FileManager.default.copyItem(atPath: saved, toPath: file) }
        }
    }

    @Test("every commit stores a checkpoint signed by its writer, matching the tree")
    func signedCheckpoints() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Ari")]))
        let note = try SignedNote(parsing: #require(try SQLiteVaultStore(path: fixture.path).latestCheckpoint()))
        let checkpoint = try Checkpoint(text: note.text)
        #expect(checkpoint.origin == lead.origin)
        #expect(checkpoint.size == lead.state.count)
        #expect(checkpoint.root == (try lead.tree.root()))
        #expect(try note.verify(trusted: lead.state.noteKeys()) == [try lead.state.checkpointKey(of: lead.me)])
    }

    @Test("a store rolled back to an older copy is refused, and nothing is written to it")
    func rollback() throws {
        let fixture = try VaultFixture()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        let (_, _, _) = try fixture.standardGroup(Self.group)
        let lead = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        try SQLiteVaultStore(path: fixture.path).purgeReplacedBytes()
        try snapshot(fixture, to: fixture.directory.appendingPathComponent("old"))
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Written after the copy")]))
        try restore(fixture, from: fixture.directory.appendingPathComponent("old"))
        let before = try SQLiteVaultStore(path: fixture.path).entries(from: 0)
        #expect {
            _ = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("rolled back") && (error as? KithVaultError)?.isDataError == true
        }
        // The log is unchanged (SQLite may touch its own -shm file on open; the content is what matters).
        let after = try SQLiteVaultStore(path: fixture.path).entries(from: 0)
        let unchanged = before == after
        #expect(unchanged)
        // Someone who never saw the newer log opens it normally: rollback is only visible to those who saw more.
        _ = try fixture.open("cw-tra")
    }

    @Test("a forked store (same size, different history) is refused")
    func fork() throws {
        let fixture = try VaultFixture()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-lead"))
        _ = try fixture.standardGroup(Self.group)
        try SQLiteVaultStore(path: fixture.path).purgeReplacedBytes()
        try snapshot(fixture, to: fixture.directory.appendingPathComponent("base"))
        let lead = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "The real one")]))
        let size = lead.state.count
        // The same starting point, a different entry at the same position.
        try restore(fixture, from: fixture.directory.appendingPathComponent("base"))
        let forger = try fixture.open("lead-tra")
        try forger.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "A forged one")]))
        #expect(forger.state.count == size)
        #expect {
            _ = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("fork")
        }
    }

    @Test("the remembered checkpoint moves forward with every open and commit")
    func memoryMoves() throws {
        let fixture = try VaultFixture()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state"))
        _ = try fixture.standardGroup(Self.group)
        let lead = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: #require(fixture.identities["lead-tra"]), memory: memory)
        try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Ari")]))
        let remembered = try Checkpoint(text: #require(try memory.load(fingerprint: lead.state.fingerprint, user: lead.me)))
        #expect(remembered.size == lead.state.count)
        #expect(remembered.root == (try lead.tree.root()))
    }

    @Test("a damaged remembered checkpoint is an integrity error that names the file, not a silent pass")
    func damagedMemory() throws {
        let fixture = try VaultFixture()
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state"))
        let identity = try #require(fixture.identities["founder"])
        let vault = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: identity, memory: memory)
        let file = memory.file(fingerprint: vault.state.fingerprint, user: vault.me)
        try Data("not a checkpoint\n".utf8).write(to: file)
        #expect {
            _ = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: identity, memory: memory)
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .integrity else { return false }
            let detail = error.reason
            return detail.contains("damaged") && detail.contains(file.lastPathComponent)
        }
    }
}
