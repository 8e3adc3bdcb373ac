import Foundation
import KithCrypto
import KithVault

/// Finds the database password the way libpq does, so an operator's
/// existing set-up works unchanged: `PGPASSWORD`, else the first matching
/// line of the password file (`PGPASSFILE`, else `~/.pgpass`). Never from
/// the command line.
enum PostgresPassword {
    /// The password for `address`, or nil when none is configured (the
    /// server may not ask for one: peer or certificate login).
    static func lookUp(for address: PostgresAddress, environment: [String: String]) throws -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let path: String
        if let explicit = environment["PGPASSFILE"], !explicit.isEmpty {
            path = explicit
        } else if let home = environment["HOME"], !home.isEmpty {
            path = home + "/.pgpass"
        } else {
            return nil
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        // libpq ignores a password file others can read; so do we, and say so.
        if info.st_mode & 0o077 != 0 {
            throw KithVaultError.invalidInput("the password file \(path) can be read by other users; run 'chmod 600 \(path)'")
        }
        var bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw KithVaultError.storage("cannot read the password file \(path); check its permissions")
        }
        defer { SecureBytes.wipe(&bytes) }
        let host = address.socketFolder == nil ? (address.host ?? "localhost") : "localhost"
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if line.first == UInt8(ascii: "#") { continue }
            var fields = split(line)
            guard fields.count == 5 else { continue }
            defer { for index in fields.indices { SecureBytes.wipe(&fields[index]) } }
            let wanted = [host, String(address.port), address.database, address.user]
            let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in field == Array("*".utf8) || field == Array(value.utf8) }
            if matches {
                var password = fields[4]
                if password.last == UInt8(ascii: "\r") { password.removeLast() }
                return String(decoding: password, as: UTF8.self)
            }
        }
        return nil
    }

    /// A `.pgpass` line's fields: `:` separates, `\` escapes `:` and `\`.
    static func split(_ line: ArraySlice<UInt8>) -> [[UInt8]] {
        var fields: [[UInt8]] = [[]]
        var escaped = false
        for byte in line {
            if escaped {
                fields[fields.count - 1].append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: ":") && fields.count < 5 {
                fields.append([])
            } else {
                fields[fields.count - 1].append(byte)
            }
        }
        return fields
    }
}
