import Foundation
import KithPostgres
import KithVault

/// Where a vault lives, from `--vault` or `KITH_VAULT`: a
/// `postgres://user@host:port/database` address selects the shared
/// PostgreSQL engine; anything else is the path of a SQLite vault file.
enum VaultLocation: CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresAddress)

    init(_ text: String) throws {
        if PostgresAddress.looksLikeAddress(text) {
            self = .postgres(try PostgresAddress(text))
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The engine's name, for messages.
    var engine: String {
        switch self {
        case .sqlite: return "SQLite"
        case .postgres: return "PostgreSQL"
        }
    }

    /// The path or the address (never with a password).
    var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let address): return address.description
        }
    }

    /// Opens the store; with `create`, a new one (a new file, or the schema
    /// in an empty database).
    func open(create: Bool = false) throws -> VaultStore {
        switch self {
        case .sqlite(let path): return try SQLiteVaultStore(path: path, create: create)
        case .postgres(let address): return try PostgresVaultStore(address: address, create: create)
        }
    }
}
