import Foundation
import KithVault

/// How a client protects its connection to the server, named as libpq
/// names its `sslmode` values so operators need learn nothing new.
public enum PostgresTLSMode: String, Sendable, CaseIterable {
    /// Plain TCP. Only for a server on this machine.
    case disable
    /// TLS when the server offers it, plain otherwise (libpq's default;
    /// a man in the middle can strip it).
    case prefer
    /// TLS always; the server's certificate is not checked.
    case require
    /// TLS always; the certificate must chain to a trusted root.
    case verifyCA = "verify-ca"
    /// TLS always; the certificate must chain to a trusted root and name
    /// the host. The default for any host that is not this machine.
    case verifyFull = "verify-full"
}

/// Where a shared vault lives: a `postgres://user@host:port/database` address
/// with libpq-style options after `?` (`sslmode`, `sslrootcert`, `host` for
/// a Unix socket folder). A password is never part of it: it comes from
/// `PGPASSWORD` or the password file (`PGPASSFILE`, else `~/.pgpass`), so it
/// never shows in `ps`, shell history or a script.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    /// The server's host name or address (nil with a Unix socket).
    public let host: String?
    /// The folder holding the server's Unix socket (nil with TCP).
    public let socketFolder: String?
    /// The TCP port, or the number in the socket's name.
    public let port: Int
    /// The database role to log in as.
    public let user: String
    /// The database.
    public let database: String
    /// How the connection is protected.
    public let tlsMode: PostgresTLSMode
    /// A PEM file of roots to trust instead of the system's (verify-ca, verify-full).
    public let rootCertificate: String?

    /// True for a `postgres://` or `postgresql://` address.
    public static func looksLikeAddress(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Parses an address; `environment` supplies libpq's fallbacks
    /// (`PGUSER`, `PGSSLMODE`, `PGSSLROOTCERT`) and `USER`.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.looksLikeAddress(text), let components = URLComponents(string: text) else {
            throw KithVaultError.invalidInput("'\(Self.redacted(text))' is not a PostgreSQL address; write postgres://USER@HOST:PORT/DATABASE")
        }
        if components.password != nil {
            throw KithVaultError.invalidInput(
                "the PostgreSQL address holds a password, which would show in your shell history and in 'ps'; remove it and put it in PGPASSWORD or ~/.pgpass instead"
            )
        }
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value, !value.isEmpty else {
                throw KithVaultError.invalidInput("the PostgreSQL address option '\(item.name)' has no value")
            }
            guard ["sslmode", "sslrootcert", "host"].contains(item.name) else {
                throw KithVaultError.invalidInput("the PostgreSQL address option '\(item.name)' is not supported: use sslmode, sslrootcert or host")
            }
            options[item.name] = value
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else {
            throw KithVaultError.invalidInput("the PostgreSQL address names no database; write postgres://USER@HOST:PORT/DATABASE")
        }
        database = path
        let socketFolder = options["host"]
        if let socketFolder, !socketFolder.hasPrefix("/") {
            throw KithVaultError.invalidInput("the address option host=\(socketFolder) must be the folder of a Unix socket, an absolute path")
        }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socketFolder != nil else {
            throw KithVaultError.invalidInput("the PostgreSQL address names no host; write postgres://USER@HOST:PORT/DATABASE or add ?host=/SOCKET/FOLDER")
        }
        self.host = socketFolder == nil ? host : nil
        self.socketFolder = socketFolder
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw KithVaultError.invalidInput("the PostgreSQL port \(port) is out of range") }
        guard let user = components.user ?? environment["PGUSER"] ?? environment["USER"], !user.isEmpty else {
            throw KithVaultError.invalidInput("the PostgreSQL address names no user; write postgres://USER@HOST/DATABASE")
        }
        self.user = user
        let modeText = options["sslmode"] ?? environment["PGSSLMODE"]
        var mode: PostgresTLSMode
        if let modeText {
            guard let named = PostgresTLSMode(rawValue: modeText) else {
                throw KithVaultError.invalidInput(
                    "sslmode=\(modeText) is not known; use one of \(PostgresTLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = named
        } else {
            // The server's certificate is checked unless the server is on this machine.
            mode = Self.isLocal(host: self.host) ? .prefer : .verifyFull
        }
        if socketFolder != nil {
            // A Unix socket never leaves this machine and carries no TLS.
            guard mode == .disable || mode == .prefer else {
                throw KithVaultError.invalidInput("sslmode=\(mode.rawValue) cannot apply to a Unix socket; drop sslmode or the host= option")
            }
            mode = .disable
        }
        tlsMode = mode
        rootCertificate = options["sslrootcert"] ?? environment["PGSSLROOTCERT"]
    }

    /// True for a host on this machine.
    static func isLocal(host: String?) -> Bool {
        guard let host else { return true }
        return ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
    }

    /// The address as the user gave it in spirit, for messages and logs
    /// (no password is ever in it).
    public var description: String {
        var text = "postgres://\(user)@\(host.map { $0.contains(":") && !$0.hasPrefix("[") ? "[\($0)]" : $0 } ?? "")"
        if host != nil || port != 5432 { text += ":\(port)" }
        text += "/\(database)"
        if let socketFolder { text += "?host=\(socketFolder)" }
        return text
    }

    /// `text` with anything between `://` and `@` that looks like a
    /// password cut out, for an error message.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex),
            let colon = text.range(of: ":", range: scheme.upperBound..<at.lowerBound)
        else { return text }
        return String(text[..<colon.upperBound]) + "***" + String(text[at.lowerBound...])
    }
}
