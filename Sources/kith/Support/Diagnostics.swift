import ArgumentParser
import Foundation
import KithCrypto
import KithVault

/// `--verbose` (or `KITH_VERBOSE=1`): more detail on standard error for a
/// bug report. It names the vault path, the handle, types, versions,
/// counts and timings; never a field, a value, a passphrase or a key.
enum Diagnostics {
    /// Whether `--verbose` was given anywhere before a `--`, or `KITH_VERBOSE=1`.
    static let verbose: Bool = {
        let arguments = CommandLine.arguments.dropFirst().prefix { $0 != "--" }
        return arguments.contains("--verbose") || ProcessInfo.processInfo.environment["KITH_VERBOSE"] == "1"
    }()

    /// The arguments without `--verbose` (it is read here, once, so every
    /// command takes it without declaring it).
    static func argumentsWithoutVerbose() -> [String] {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let end = arguments.firstIndex(of: "--") {
            arguments = arguments[..<end].filter { $0 != "--verbose" } + arguments[end...]
        } else {
            arguments.removeAll { $0 == "--verbose" }
        }
        return arguments
    }

    /// A line of detail, only with `--verbose`.
    static func note(_ message: @autoclosure () -> String) {
        guard verbose else { return }
        FileHandle.standardError.write(Data("kith: [verbose] \(message())\n".utf8))
    }

    /// The lines `--verbose` adds to an error.
    static func report(_ error: Error, command: String, code: Int32) -> [String] {
        [
            "kith: [verbose] command: \(command) (exit \(code))",
            "kith: [verbose] error: \(type(of: error)) \(caseName(error))",
            "kith: [verbose] kith \(KithVersion.string), libsodium \(CryptoLibrary.versionString), \(platform())",
            "kith: [verbose] report bugs with these lines; they hold no record content, passphrase or key",
        ]
    }

    /// The error's case without its associated text (which is already on line one).
    private static func caseName(_ error: Error) -> String {
        if let error = error as? KithVaultError { return "\(error.code)" + (error.remedy.map { " (remedy \($0))" } ?? "") }
        // A case with a payload has it as a labelled child. A case without
        // one prints as its description (line one already), so the type is
        // all there is to add.
        return Mirror(reflecting: error).children.first?.label ?? "(its message is line one)"
    }

    private static func platform() -> String {
        var name = utsname()
        uname(&name)
        let field = { (value: Any) -> String in
            Mirror(reflecting: value).children.compactMap { $0.value as? CChar }.prefix { $0 != 0 }.map { String(UnicodeScalar(UInt8(bitPattern: $0))) }.joined()
        }
        return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
    }

    /// The names from `kith` down to `target`, following the subcommands.
    static func path(to target: ParsableCommand.Type, from root: ParsableCommand.Type = Kith.self) -> [String]? {
        if ObjectIdentifier(root) == ObjectIdentifier(target) { return [root._commandName] }
        for sub in root.configuration.subcommands {
            if let rest = path(to: target, from: sub) { return [root._commandName] + rest }
        }
        return nil
    }
}
