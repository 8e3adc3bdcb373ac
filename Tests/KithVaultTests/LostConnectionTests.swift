import Foundation
import KithCrypto
import Testing

@testable import KithPostgres
@testable import KithVault

/// A connection to PostgreSQL cut while a write commits (issue 25, part 4).
/// The server may have committed before the reply was lost: the client asks
/// it, on a new connection, whether its entry landed, so the person is never
/// told "try again" about a write that happened (a retry would write it twice).
@Suite("Lost PostgreSQL connections", .enabled(if: TestEngine.postgresURL != nil))
struct LostConnectionTests {
    /// A case worker's vault on its own PostgreSQL store, and that store.
    static func caseworker() throws -> (VaultFixture, Vault, PostgresVaultStore) {
        let fixture = try VaultFixture(engine: .postgres)
        let (_, caseworker, _) = try fixture.standardGroup()
        let store = try #require(try fixture.store() as? PostgresVaultStore)
        _ = caseworker
        let identity = try #require(fixture.identities["cw-tra"])
        return (fixture, try Vault(store: store, holder: identity), store)
    }

    /// Cuts `connection` from the server's side, as a restart or a broken
    /// network would, and waits until the client has seen it close.
    static func cut(_ connection: BlockingConnection, fixture: VaultFixture) {
        guard let pid = try? connection.backendPID() else { return }
        try? fixture.place.operatorSQL(["SELECT pg_terminate_backend(\(pid))"])
        let deadline = Date().addingTimeInterval(10)
        while !connection.isLost && Date() < deadline { usleep(2_000) }
    }

    /// A hook that cuts the connection the first time it runs, then clears
    /// itself: the client's own check afterwards commits too.
    static func cutOnce(
        _ connection: BlockingConnection, _ hook: ReferenceWritableKeyPath<BlockingConnection, (() -> Void)?>, fixture: VaultFixture
    ) -> () -> Void {
        {
            connection[keyPath: hook] = nil
            cut(connection, fixture: fixture)
        }
    }

    static func names(_ fixture: VaultFixture) throws -> [String] {
        let lead = try fixture.open("lead-tra")
        return try lead.listRecords(groupName: "Trans Support", kind: .member).compactMap { row in
            try lead.readRecord(row.id).fields.first { $0.name == "name" }?.value
        }
    }

    @Test("the reply to COMMIT lost after the server committed: the write is reported done, is there once, and the next write reconnects")
    func lostAfterCommit() throws {
        let (fixture, vault, store) = try Self.caseworker()
        let before = try fixture.store().entries(from: 0).count
        store.connection.afterCommitForTesting = Self.cutOnce(store.connection, \.afterCommitForTesting, fixture: fixture)
        let id = try vault.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        store.connection.afterCommitForTesting = nil
        #expect(try fixture.store().entries(from: 0).count == before + 1)
        #expect(try Self.names(fixture) == ["Sam"])
        // The same store, its connection gone: the next write opens a new one.
        _ = try vault.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Noor")]))
        #expect(try Set(Self.names(fixture)) == ["Sam", "Noor"])
        #expect(try fixture.open("lead-tra").readRecord(id).version == 1)
        #expect(try AuditVerifier.verify(store: fixture.store()).valid)
    }

    @Test("the connection lost before COMMIT: the error says nothing was kept, nothing was, and doing it again works once")
    func lostBeforeCommit() throws {
        let (fixture, vault, store) = try Self.caseworker()
        let before = try fixture.store().entries(from: 0).count
        store.connection.beforeCommitForTesting = Self.cutOnce(store.connection, \.beforeCommitForTesting, fixture: fixture)
        #expect {
            _ = try vault.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .storage else { return false }
            return error.reason.contains("rolled back") && error.reason.contains("nothing is half-written")
        }
        store.connection.beforeCommitForTesting = nil
        #expect(try fixture.store().entries(from: 0).count == before)
        #expect(try Self.names(fixture).isEmpty)
        let again = try Vault(store: fixture.store(), holder: #require(fixture.identities["cw-tra"]))
        _ = try again.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        #expect(try Self.names(fixture) == ["Sam"])
        #expect(try AuditVerifier.verify(store: fixture.store()).valid)
    }
}
