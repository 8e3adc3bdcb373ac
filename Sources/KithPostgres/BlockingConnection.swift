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
    private var connection: PostgresConnection
    /// How long a statement waits for a lock before it gives up (busy, exit 75).
    static let lockTimeout = "30s"
    private let lock = NSRecursiveLock()
    private var inTransaction = false
    /// A transaction opened by a plain BEGIN statement (an attachment's
    /// chunks): its connection is never replaced while it is open.
    private var statementTransaction = false
    private let logger = Logger(label: "kith.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private let configuration: PostgresConnection.Configuration
    let address: PostgresAddress

    /// Test-only: runs just before COMMIT is sent (a test cuts the
    /// connection there, from the server's side).
    var beforeCommitForTesting: (() -> Void)?
    /// Test-only: runs just after the server committed; a connection it cut
    /// is treated as a reply lost on the way back.
    var afterCommitForTesting: (() -> Void)?

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
        self.configuration = configuration
        connection = try Self.connect(configuration, address: address, logger: logger)
    }

    deinit { try? connection.close().wait() }

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

    /// The future's value, waiting no longer than the connection lives: a
    /// statement sent on a connection the server closed meanwhile would
    /// otherwise wait forever (seen when a session was terminated just as
    /// it logged in). Connecting (`connection` nil) waits at most 30 s.
    private static func bounded<T>(_ future: EventLoopFuture<T>, while connection: PostgresConnection?, address: PostgresAddress) throws -> T {
        let finished = DispatchSemaphore(value: 0)
        future.whenComplete { _ in finished.signal() }
        let started = Date()
        var closedAt: Date?
        while finished.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if let connection {
                // Closed, and no answer within a second after: none is coming.
                if connection.isClosed {
                    let since = closedAt ?? Date()
                    closedAt = since
                    if Date().timeIntervalSince(since) > 1 { throw lost(address) }
                }
            } else if Date().timeIntervalSince(started) > 30 {
                throw KithVaultError.storage("PostgreSQL at \(address) did not finish logging in within 30 s; check the server is running and reachable")
            }
        }
        return try future.wait()
    }

    private static func lost(_ address: PostgresAddress) -> KithVaultError {
        PostgresFailure.lost(address: address, inTransaction: true)
    }

    /// A logged-in connection with Kith's session settings.
    private static func connect(_ configuration: PostgresConnection.Configuration, address: PostgresAddress, logger: Logger) throws -> PostgresConnection {
        let connection: PostgresConnection
        let connecting = PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger)
        do {
            connection = try Self.bounded(connecting, while: nil, address: address)
        } catch {
            // Given up on: if it logs in after all, it is closed, not left open.
            connecting.whenSuccess { late in late.close().whenComplete { _ in } }
            throw PostgresFailure.translate(error, address: address, connecting: true)
        }
        // Another client holding the log head: wait for it as SQLite waits
        // for its write lock, then report busy (exit 75) rather than hang.
        do {
            _ = try bounded(connection.query(PostgresQuery(unsafeSQL: "SET lock_timeout = '\(lockTimeout)'"), logger: logger), while: connection, address: address)
        } catch {
            try? connection.close().wait()
            throw PostgresFailure.translate(error, address: address, connecting: true)
        }
        return connection
    }

    /// Whether the server or the network closed the connection.
    var isLost: Bool { lock.withLock { connection.isClosed } }

    /// Whether a transaction is open on this connection (this thread's: another waits for the lock).
    var isInTransaction: Bool { lock.withLock { inTransaction || statementTransaction } }

    /// The server process serving this connection (what an operator's
    /// pg_terminate_backend names).
    func backendPID() throws -> Int32 {
        try query("SELECT pg_backend_pid()").first?.decode(Int32.self) ?? 0
    }

    /// A new connection in place of one that was lost, between transactions
    /// only (a server restarted, a connection cut): a long-running client
    /// such as `kith serve` carries on once the server is back.
    private func reconnectIfLost() throws {
        guard connection.isClosed, !inTransaction, !statementTransaction else { return }
        connection = try Self.connect(configuration, address: address, logger: logger)
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
        let word = sql.prefix(8).uppercased()
        // Whatever COMMIT or ROLLBACK gives back, the transaction is over.
        defer { if word.hasPrefix("COMMIT") || word.hasPrefix("ROLLBACK") { statementTransaction = false } }
        try reconnectIfLost()
        // A connection lost inside a transaction is not replaced (the
        // transaction is gone with it); a statement on it would wait forever.
        guard !connection.isClosed else { throw PostgresFailure.lost(address: address, inTransaction: true) }
        do {
            let result = try Self.bounded(connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger), while: connection, address: address)
            if word.hasPrefix("BEGIN") && !inTransaction { statementTransaction = true }
            return result
        } catch {
            // A read outside any transaction, cut off with its connection, is asked again once.
            if connection.isClosed, !inTransaction, !statementTransaction, word.hasPrefix("SELECT") {
                try reconnectIfLost()
                do {
                    return try Self.bounded(connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger), while: connection, address: address)
                } catch {
                    throw PostgresFailure.translate(error, address: address, connecting: false, inTransaction: false)
                }
            }
            throw PostgresFailure.translate(error, address: address, connecting: false, inTransaction: inTransaction || statementTransaction)
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
    /// With `resolvingCommit`, a connection lost while COMMIT was on its way
    /// throws `CommitOutcomeUnknown` for the caller to settle (the log's
    /// appends look for their entry); otherwise an error that says so.
    func transaction<T>(_ begin: String = "BEGIN", resolvingCommit: Bool = false, _ body: () throws -> T) throws -> T {
        do {
            return try openTransaction(begin, body)
        } catch let unknown as CommitOutcomeUnknown where !resolvingCommit {
            _ = unknown
            throw PostgresFailure.outcomeUnknown(address: address)
        }
    }

    private func openTransaction<T>(_ begin: String, _ body: () throws -> T) throws -> T {
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
        beforeCommitForTesting?()
        do {
            try execute("COMMIT")
        } catch {
            // Cut off while committing: the server may have committed before
            // the reply was lost. The caller finds out (CommitOutcomeUnknown).
            if connection.isClosed { throw CommitOutcomeUnknown(value: value, lost: error) }
            throw error
        }
        if let afterCommitForTesting {
            afterCommitForTesting()
            if connection.isClosed { throw CommitOutcomeUnknown(value: value, lost: PostgresFailure.lost(address: address, inTransaction: true)) }
        }
        return value
    }
}

/// The connection was lost while COMMIT was on its way: the transaction may
/// or may not have been committed. Carries the transaction's result and the
/// error a caller that cannot tell reports.
struct CommitOutcomeUnknown: Error {
    let value: Any
    let lost: any Error
}

/// A statement's parameters, `$1` onwards, in order.
func binds(_ values: any PostgresEncodable...) throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { try bindings.append(value) }
    return bindings
}
