import Foundation
import KithPostgres
import KithSQLite
import KithVault

/// Where a vault lives, from `--vault` or `KITH_VAULT`: a
/// `postgres://user@host:port/database` address selects the shared
/// PostgreSQL engine; anything else is the path of a SQLite vault file.
/// This module is the registry: the one place that knows every engine, so
/// the CLI, the benchmark and (later) the web interface open stores by
/// address and never name an engine. A new engine is one more case here.
public enum VaultLocation: CustomStringConvertible, Sendable {
    /// A SQLite vault file.
    case sqlite(path: String)
    /// A vault in a PostgreSQL database.
    case postgres(PostgresAddress)

    /// Reads a `--vault` value.
    public init(_ text: String) throws {
        if PostgresAddress.looksLikeAddress(text) {
            self = .postgres(try PostgresAddress(text))
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The engine's name, for messages.
    public var engine: String {
        switch self {
        case .sqlite: return "SQLite"
        case .postgres: return "PostgreSQL"
        }
    }

    /// The path or the address (never with a password).
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let address): return address.description
        }
    }

    /// Opens the store; with `create`, a new one (a new file, or the schema
    /// in an empty database).
    public func open(create: Bool = false) throws -> VaultStore {
        switch self {
        case .sqlite(let path): return try SQLiteVaultStore(path: path, create: create)
        case .postgres(let address): return try PostgresVaultStore(address: address, create: create)
        }
    }
}
