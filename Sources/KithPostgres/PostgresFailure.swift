import Foundation
import KithVault
import PostgresNIO

/// Turns postgres-nio's errors into the vault's, so the CLI reports a
/// PostgreSQL failure with the same exit codes and the same "what to do"
/// as a SQLite one. The engine has no error type of its own: every caller
/// already handles `KithVaultError`, and a second type would only be
/// translated again.
enum PostgresFailure {
    static func translate(_ error: any Error, address: PostgresAddress, connecting: Bool, inTransaction: Bool = true) -> any Error {
        if error is KithVaultError || error is VaultStoreConflict { return error }
        guard let psql = error as? PSQLError else {
            return KithVaultError.storage("PostgreSQL at \(address): \(error); check the server is running and reachable")
        }
        if psql.code == .server {
            let state = psql.serverInfo?[.sqlState] ?? ""
            let message = psql.serverInfo?[.message] ?? "an error"
            return server(state: state, message: message, address: address)
        }
        switch psql.code {
        case .sslUnsupported:
            return KithVaultError.storage(
                "the server at \(address) does not offer TLS; ask its operator to turn TLS on (use sslmode=disable only for a server on a trusted private network)")
        case .authMechanismRequiresPassword:
            return KithVaultError.accessDenied("the server asks \(address.user) for a password and none is set; put it in PGPASSWORD or ~/.pgpass (never in the address)")
        case .unsupportedAuthMechanism, .saslError:
            return KithVaultError.accessDenied("the server asked for a login method Kith cannot use; ask its operator for scram-sha-256 or md5 password login")
        case .connectionError where connecting:
            let cause = psql.underlying.map { describe($0) } ?? "no answer"
            return KithVaultError.storage("cannot reach PostgreSQL at \(address) (\(cause)); check the server is running, the host and port, and the TLS settings (sslmode)")
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .connectionError:
            return lost(address: address, inTransaction: inTransaction)
        default:
            return KithVaultError.storage("PostgreSQL at \(address): \(psql.code)")
        }
    }

    /// A connection lost (a server restarted, a connection cut) before any
    /// COMMIT was sent: nothing of a change in progress was kept.
    static func lost(address: PostgresAddress, inTransaction: Bool) -> KithVaultError {
        guard inTransaction else { return .storage("the connection to PostgreSQL at \(address) was lost; try again") }
        return .storage(
            "the connection to PostgreSQL at \(address) was lost; a change in progress was rolled back by the server, so nothing is half-written; try again")
    }

    /// The connection was lost while COMMIT was on its way and the server
    /// could not be asked what became of it.
    static func outcomeUnknown(address: PostgresAddress) -> KithVaultError {
        .storage(
            "the connection to PostgreSQL at \(address) was lost while a change was being committed, and the server could not tell whether it was saved",
            remedy: .checkLogBeforeRetrying)
    }

    /// An error the server reported, by SQLSTATE.
    static func server(state: String, message: String, address: PostgresAddress) -> KithVaultError {
        switch state {
        case "28P01", "28000":
            return .accessDenied(
                "PostgreSQL refused the login of '\(address.user)' to \(address.database) (\(message)); check the password in PGPASSWORD or ~/.pgpass and the server's pg_hba.conf")
        case "3D000":
            return .notFound("database '\(address.database)' on \(address) (create it first; see docs/operations.md)")
        case "42501":
            return .accessDenied(
                "the database role '\(address.user)' lacks a privilege Kith needs (\(message)); see docs/operations.md for the grants")
        case "55P03", "40001", "40P01", "57014", "53300":
            return .busy("PostgreSQL at \(address): \(message)")
        case "53100":
            return .noSpace("the database server at \(address) cannot write (its operator must free space there)")
        case "57P01", "57P02", "57P03":
            // 57P01 is also what a session ended by pg_terminate_backend gets.
            return .storage(
                "PostgreSQL at \(address) ended the connection (\(message)): it is restarting, or its operator ended the session; a change in progress was not kept; try again shortly"
            )
        case "55000" where message.contains("accepting connections"):
            return .storage("PostgreSQL at \(address) is not taking connections to this database just now (\(message)); try again shortly")
        case "P0001", "23505", "23503", "23514":
            // The schema's own guards (append-only log, no gaps, checks).
            return .integrity("the database refused a write that would break the log (\(message))")
        default:
            return .storage("PostgreSQL at \(address) reported \(state): \(message)")
        }
    }

    /// A short description of a connection failure's cause.
    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if let tls = error as? NIOSSLError { return "TLS: \(tls)" }
        if let tls = error as? BoringSSLError { return "TLS: \(tls)" }
        return "\(error)"
    }
}
