import Foundation
import KithVault
import Logging
import PostgresNIO

/// One PostgreSQL connection used synchronously, as the vault's store
/// protocol is. Calls block the calling thread on NIO futures, which run on
/// NIO's own event loop threads, never on Swift's cooperative pool, so a
/// blocked caller cannot starve the work it waits for.
final class BlockingConnection: @unchecked Sendable {
    // @unchecked: `lock` serialises every use of `connection` and guards
    // `inTransaction`; a transaction holds it from BEGIN to COMMIT, so
    // another thread's statement can never land inside someone's transaction.
    private let connection: PostgresConnection
    /// How long a statement waits for a lock before it gives up (busy, exit 75).
    static let lockTimeout = "30s"
    private let lock = NSRecursiveLock()
    private var inTransaction = false
    private let logger = Logger(label: "kith.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    let address: PostgresAddress

    /// Connects and logs in; the password comes from `PostgresPassword`.
    init(address: PostgresAddress, environment: [String: String]) throws {
        self.address = address
        let password = try PostgresPassword.lookUp(for: address, environment: environment)
        var configuration: PostgresConnection.Configuration
        if let folder = address.socketFolder {
            configuration = .init(
                unixSocketPath: "\(folder)/.s.PGSQL.\(address.port)", username: address.user, password: password, database: address.database)
        } else {
            configuration = .init(
                host: address.host ?? "localhost", port: address.port, username: address.user, password: password, database: address.database,
                tls: try Self.tls(for: address))
        }
        configuration.options.connectTimeout = .seconds(15)
        // Seen by the operator in pg_stat_activity, so they can tell Kith's sessions apart.
        configuration.options.additionalStartupParameters = [("application_name", "kith")]
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger
            ).wait()
        } catch {
            throw PostgresFailure.translate(error, address: address, connecting: true)
        }
        // Another client holding the log head: wait for it as SQLite waits
        // for its write lock, then report busy (exit 75) rather than hang.
        try execute("SET lock_timeout = '\(Self.lockTimeout)'")
    }

    static func tls(for address: PostgresAddress) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch address.tlsMode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = address.rootCertificate {
            guard FileManager.default.isReadableFile(atPath: root) else {
                throw KithVaultError.notFound("the root certificate \(root) (sslrootcert or PGSSLROOTCERT)")
            }
            tls.trustRoots = .file(root)
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw KithVaultError.invalidInput("the TLS set-up for \(address) failed (\(error)); check sslrootcert is a PEM file")
        }
        return address.tlsMode == .prefer ? .prefer(context) : .require(context)
    }

    deinit {
        try? connection.close().wait()
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        Array(try run(sql, binds))
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> Int {
        try run(sql, binds).metadata.rows ?? 0
    }

    /// The one place a statement reaches the server: serialised, errors translated.
    private func run(_ sql: String, _ binds: PostgresBindings) throws -> PostgresQueryResult {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait()
        } catch {
            throw PostgresFailure.translate(error, address: address, connecting: false)
        }
    }

    /// Runs a schema script statement by statement (the extended protocol
    /// takes one statement at a time); `;` inside `$$` bodies is kept.
    func script(_ sql: String) throws {
        for statement in Self.statements(sql) { try execute(statement) }
    }

    /// `sql` split at each `;` that ends a statement, outside `$$` quotes;
    /// comment lines are dropped.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !inBody && trimmed.hasPrefix("--") { continue }
            current += line + "\n"
            inBody = current.components(separatedBy: "$$").count % 2 == 0
            if !inBody && trimmed.hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// Runs `body` in one transaction: committed when it returns, rolled
    /// back when it throws (the error is rethrown as it was). Called again
    /// inside `body`, it joins the transaction already open. Other threads
    /// wait until it ends.
    func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        // Only this thread can be here while a transaction is open: it holds the lock.
        if inTransaction { return try body() }
        try execute(begin)
        inTransaction = true
        defer { inTransaction = false }
        let value: T
        do {
            value = try body()
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
        return value
    }
}

/// A statement's parameters, `$1` onwards, in order.
func binds(_ values: any PostgresEncodable...) throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { try bindings.append(value) }
    return bindings
}
