import Foundation
import Testing

@testable import KithPostgres
@testable import KithVault

/// Reading `postgres://` addresses and password files, as libpq would; no server needed.
@Suite("PostgreSQL addresses and passwords")
struct PostgresAddressTests {
    @Test("addresses: defaults, TLS by where the server is, Unix sockets")
    func parsing() throws {
        let remote = try PostgresAddress("postgres://kith@db.example.org/kith", environment: [:])
        #expect(remote.host == "db.example.org" && remote.port == 5432 && remote.user == "kith" && remote.database == "kith")
        #expect(remote.tlsMode == .verifyFull)
        #expect(try PostgresAddress("postgresql://kith@localhost:6543/v", environment: [:]).tlsMode == .prefer)
        #expect(try PostgresAddress("postgres://kith@10.0.0.5/v?sslmode=require&sslrootcert=/ca.pem", environment: [:]).rootCertificate == "/ca.pem")
        #expect(try PostgresAddress("postgres://kith@10.0.0.5/v", environment: ["PGSSLMODE": "verify-ca"]).tlsMode == .verifyCA)
        let socket = try PostgresAddress("postgres://kith@/kith?host=/run/postgresql", environment: [:])
        #expect(socket.socketFolder == "/run/postgresql" && socket.host == nil && socket.tlsMode == .disable)
        #expect(try PostgresAddress("postgres://db.example.org/kith", environment: ["USER": "sam"]).user == "sam")
        #expect(remote.description == "postgres://kith@db.example.org:5432/kith")
        #expect(PostgresAddress.redacted("postgres://kith:secret@db/kith") == "postgres://kith:***@db/kith")
    }

    @Test(
        "bad addresses are refused with what to write instead",
        arguments: [
            ("postgres://kith:secret@db/kith", "PGPASSWORD"), ("postgres://kith@db", "names no database"), ("postgres://kith@db/kith?sslmode=maybe", "not known"),
            ("postgres://kith@db/kith?user=x", "not supported"), ("postgres://kith@/kith?host=relative", "absolute path"),
            ("postgres://kith@/kith?host=/run/postgresql&sslmode=verify-full", "Unix socket"), ("postgres://kith@db:99999/kith", "out of range"),
        ])
    func refused(address: String, says: String) {
        #expect {
            _ = try PostgresAddress(address, environment: ["USER": "x"])
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .invalidInput else { return false }
            let detail = error.reason
            return detail.contains(says) && !detail.contains("secret")
        }
    }

    @Test("the password: PGPASSWORD first, then the first matching password file line, escapes and wildcards as libpq")
    func passwordFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kith-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("pgpass").path
        try Data("# comment\nother:5432:*:kith:nope\ndb.example.org:5432:kith:kith:pa\\:ss\\\\word\n*:*:*:*:fallback\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        let address = try PostgresAddress("postgres://kith@db.example.org/kith", environment: [:])
        #expect(try PostgresPassword.lookUp(for: address, environment: ["PGPASSFILE": file]) == "pa:ss\\word")
        #expect(try PostgresPassword.lookUp(for: address, environment: ["PGPASSFILE": file, "PGPASSWORD": "env"]) == "env")
        let other = try PostgresAddress("postgres://sam@elsewhere/x", environment: [:])
        #expect(try PostgresPassword.lookUp(for: other, environment: ["PGPASSFILE": file]) == "fallback")
        #expect(try PostgresPassword.lookUp(for: other, environment: ["PGPASSFILE": folder.appendingPathComponent("none").path]) == nil)
        chmod(file, 0o644)
        #expect(throws: KithVaultError.self) { _ = try PostgresPassword.lookUp(for: address, environment: ["PGPASSFILE": file]) }
    }

    @Test("schema scripts split into statements, keeping PL/pgSQL bodies whole")
    func scriptSplitting() {
        let statements = BlockingConnection.statements(PostgresMigrations.all[0].sql)
        #expect(statements.contains { $0.hasPrefix("CREATE FUNCTION kith_log_contiguous()") && $0.contains("RAISE EXCEPTION") && $0.hasSuffix("$$;") })
        #expect(statements.allSatisfy { !$0.hasPrefix("--") })
        #expect(statements.count == 14)
    }

    @Test("a full disk on the database server is no-space (exit 74 in the CLI), a full disk of the same words as on SQLite; other server states stay what they were")
    func serverStates() throws {
        let address = try PostgresAddress("postgres://kith@db.example.org/kith", environment: [:])
        #expect(PostgresFailure.server(state: "53100", message: "could not extend file", address: address).code == .noSpace)
        #expect(PostgresFailure.server(state: "53300", message: "too many connections", address: address).code == .busy)
        #expect(PostgresFailure.server(state: "XX000", message: "internal", address: address).code == .storage)
    }
}
