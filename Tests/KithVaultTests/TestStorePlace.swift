import Foundation
@testable import KithEngines
import GRDB
import Testing

@testable import KithPostgres
@testable import KithVault
import KithVaultTesting

/// The engines the store tests run on: SQLite and the in-memory engine
/// always, PostgreSQL when `make test` started a throwaway server
/// (KITH_TEST_POSTGRES).
enum TestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres
    case memory

    /// The throwaway server's address, set by scripts/with-test-postgres.sh.
    static let postgresURL = ProcessInfo.processInfo.environment["KITH_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// SQLite and memory, plus PostgreSQL when a test server is there.
    static var available: [TestEngine] { postgresURL == nil ? [.sqlite, .memory] : allCases }

    /// The engines with a database schema an operator can reach with SQL.
    static var withSchema: [TestEngine] { available.filter { $0 != .memory } }

    var testDescription: String {
        switch self {
        case .sqlite: return "SQLite"
        case .postgres: return "PostgreSQL"
        case .memory: return "memory"
        }
    }
}

/// Where one test's vault lives: a temporary folder, and on PostgreSQL a
/// database of its own (dropped afterwards). Also lets a test act as the
/// store's operator, with raw SQL the vault never runs.
final class TestStorePlace: @unchecked Sendable {
    let engine: TestEngine
    let directory: URL
    /// Where the store is (nil for the in-memory engine).
    let location: VaultLocation?
    /// The in-memory engine's one store, shared by every "connection".
    let memory: MemoryVaultStore?
    private let databaseName: String?

    init(_ engine: TestEngine) throws {
        self.engine = engine
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch engine {
        case .sqlite:
            databaseName = nil
            memory = nil
            location = .sqlite(path: directory.appendingPathComponent("vault.kith").path)
        case .postgres:
            let name = "kith_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try Self.admin { try $0.execute("CREATE DATABASE \(name)") }
            databaseName = name
            memory = nil
            location = .postgres(try Self.address(database: name))
        case .memory:
            databaseName = nil
            memory = MemoryVaultStore()
            location = nil
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
        if let databaseName { try? Self.admin { try $0.execute("DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)") } }
    }

    /// The test server's address with another database.
    static func address(database: String) throws -> PostgresAddress {
        guard let url = TestEngine.postgresURL, var components = URLComponents(string: url) else {
            throw KithVaultError.notFound("KITH_TEST_POSTGRES (run the tests with make test)")
        }
        components.path = "/" + database
        return try PostgresAddress(components.string ?? "")
    }

    /// Runs `body` on a connection to the test server's own database.
    static func admin(_ body: (BlockingConnection) throws -> Void) throws {
        guard let url = TestEngine.postgresURL else { throw KithVaultError.notFound("KITH_TEST_POSTGRES") }
        try body(BlockingConnection(address: PostgresAddress(url), environment: ProcessInfo.processInfo.environment))
    }

    /// A new store on this place; `create` makes it.
    func open(create: Bool = false) throws -> VaultStore {
        if let memory { return memory }
        guard let location else { throw KithVaultError.notFound("a store for this test") }
        return try location.open(create: create)
    }

    /// Runs statements as the database's owner or the file's holder would:
    /// what an operator or a thief with the files can do behind Kith's back.
    func operatorSQL(_ statements: [String]) throws {
        switch location {
        case nil:
            throw KithVaultError.invalidInput("the in-memory engine has no SQL")
        case .sqlite(let path):
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in for statement in statements { try db.execute(sql: statement) } }
        case .postgres(let address):
            let connection = try BlockingConnection(address: address, environment: ProcessInfo.processInfo.environment)
            for statement in statements { try connection.execute(statement) }
        }
    }

    /// Cuts the log back to its first `size` entries, as an operator
    /// restoring an old backup would: the schema's guards are switched off
    /// first, which the owner of the files or tables can always do.
    func rollBack(toSize size: UInt64) throws {
        switch engine {
        case .memory:
            memory?.rewind(toSize: size)
        case .sqlite:
            try operatorSQL([
                "DROP TRIGGER log_entries_no_delete",
                "DELETE FROM records WHERE entry_seq >= \(size)", "DELETE FROM checkpoints WHERE size > \(size)", "DELETE FROM log_entries WHERE seq >= \(size)",
            ])
        case .postgres:
            try operatorSQL([
                "ALTER TABLE log_entries DISABLE TRIGGER USER",
                "DELETE FROM records WHERE entry_seq >= \(size)", "DELETE FROM checkpoints WHERE size > \(size)", "DELETE FROM log_entries WHERE seq >= \(size)",
                "UPDATE log_head SET entry_count = \(size)", "ALTER TABLE log_entries ENABLE TRIGGER USER",
            ])
        }
    }
}

extension TestStorePlace {
    /// A backup of the store as it is now, taken as an operator would (the
    /// log, the records and the checkpoints; attachments' files aside).
    func backUp() throws -> MemoryVaultStore.Backup? {
        if let memory { return memory.backup() }
        try operatorSQL(
            ["log_entries", "records", "checkpoints"].flatMap { ["DROP TABLE IF EXISTS backup_\($0)", "CREATE TABLE backup_\($0) AS SELECT * FROM \($0)"] })
        return nil
    }

    /// Restores the backup `backUp` took, behind every client's back: what
    /// was written since is gone, what was erased or re-keyed since is back.
    func restore(_ backup: MemoryVaultStore.Backup?) throws {
        let copy = [
            "DELETE FROM records", "DELETE FROM checkpoints", "DELETE FROM log_entries", "INSERT INTO log_entries SELECT * FROM backup_log_entries ORDER BY seq",
            "INSERT INTO records SELECT * FROM backup_records", "INSERT INTO checkpoints SELECT * FROM backup_checkpoints",
        ]
        switch engine {
        case .memory:
            if let backup { memory?.restore(backup) }
        case .sqlite:
            try operatorSQL(["DROP TRIGGER IF EXISTS log_entries_no_delete", "DROP TRIGGER IF EXISTS log_entries_no_update"] + copy)
        case .postgres:
            try operatorSQL(
                ["ALTER TABLE log_entries DISABLE TRIGGER USER"] + copy + [
                    "UPDATE log_head SET entry_count = (SELECT count(*) FROM log_entries)", "ALTER TABLE log_entries ENABLE TRIGGER USER",
                ])
        }
    }

    /// Every byte of the files the store keeps, as someone holding the disk
    /// reads them: SQLite's file, its write-ahead and shared-memory files
    /// and the attachment folder; PostgreSQL's table, index and TOAST files
    /// of this test's database, after a checkpoint has flushed the server's
    /// buffers to them (its write-ahead log, pg_wal, is outside: see
    /// docs/operations.md). Nil for the in-memory engine, or when the test
    /// server's data folder is not known.
    func fileBytes() throws -> [[UInt8]]? {
        func files(under folder: String) -> [String] {
            guard let names = FileManager.default.subpaths(atPath: folder) else { return [] }
            return names.map { folder + "/" + $0 }.filter { path in
                var isFolder: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
            }
        }
        switch location {
        case nil:
            return nil
        case .sqlite(let path):
            let paths = ["", "-wal", "-shm"].map { path + $0 }.filter { FileManager.default.fileExists(atPath: $0) } + files(under: path + ".files")
            return try paths.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        case .postgres(let address):
            guard let data = ProcessInfo.processInfo.environment["KITH_TEST_POSTGRES_DATA"] else { return nil }
            let connection = try BlockingConnection(address: address, environment: ProcessInfo.processInfo.environment)
            try connection.execute("CHECKPOINT")
            guard let oid = try connection.query("SELECT oid::int8 FROM pg_database WHERE datname = current_database()").first?.decode(Int64.self) else {
                return nil
            }
            return try files(under: "\(data)/base/\(oid)").map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        }
    }
}
