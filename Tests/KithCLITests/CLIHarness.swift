import Foundation
import GRDB

/// Runs the built `kith` binary in a scratch folder, as a user would.
/// Passphrases here are test-only values.
final class CLIHarness: @unchecked Sendable {
    // @unchecked: only immutable state; each run is its own process.
    struct Result {
        let code: Int32
        let out: String
        let err: String

        /// The standard output parsed as JSON.
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(out.utf8))
        }
    }

    let directory: URL
    let binary: URL
    /// KITH_VAULT for every run: a file in the scratch folder, or a postgres:// address.
    let vault: String

    init(vault: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        binary = try Self.findBinary()
        self.vault = vault ?? directory.appendingPathComponent("vault.kith").path
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The `kith` built next to this test bundle (`swift build --build-tests` builds both).
    static func findBinary() throws -> URL {
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["KITH_BIN"] { candidates.append(URL(fileURLWithPath: explicit)) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(folder.appendingPathComponent("kith"))
            folder = folder.deletingLastPathComponent()
        }
        candidates.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/kith"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "kith binary not found; run swift build first"])
        }
        return found
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs kith with `arguments`; `as` adds the identity and passphrase of a user.
    @discardableResult
    func run(_ arguments: [String], as user: String? = nil, stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        var args = arguments
        if let user {
            args += ["--identity", path("\(user).kithid"), "--passphrase-file", path("\(user).pass")]
            if !FileManager.default.fileExists(atPath: path("\(user).pass")) {
                try Data("test-only passphrase of \(user)\n".utf8).write(to: URL(fileURLWithPath: path("\(user).pass")))
            }
        }
        process.arguments = args
        return try collect(process, stdin: stdin, environment: environment)
    }

    /// Runs another program (script(1), say) in the same scratch environment.
    func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        return try collect(process, stdin: nil, environment: environment)
    }

    /// The script(1) arguments that run kith as `user` on a terminal (a
    /// pseudo-terminal), as a person would: its output is the terminal's.
    func terminalArguments(_ arguments: [String], as user: String) -> [String] {
        let command = [binary.path] + arguments + ["--identity", path("\(user).kithid"), "--passphrase-file", path("\(user).pass")]
        let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return ["-qfec", quoted, "/dev/null"]
    }

    /// Runs kith on a terminal (script(1)) with `arguments` as given (no
    /// passphrase file added), and types `reply` and Enter once the terminal
    /// shows `prompt`, as a person would (typing earlier would be flushed by
    /// the prompt turning echo off). Returns what the terminal showed.
    func runInTerminal(_ arguments: [String], answering prompt: String, with reply: String, environment: [String: String] = [:]) throws -> Result {
        let command = ([binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", command, "/dev/null"]
        process.environment = self.environment(environment)
        process.currentDirectoryURL = directory
        let out = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = input
        try process.run()
        var shown = Data()
        let deadline = Date().addingTimeInterval(30)
        while !String(decoding: shown, as: UTF8.self).contains(prompt) && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            shown.append(chunk)
        }
        // A moment for the prompt to turn echo off after writing itself.
        Thread.sleep(forTimeInterval: 0.3)
        input.fileHandleForWriting.write(Data((reply + "\n").utf8))
        shown.append(out.fileHandleForReading.readDataToEndOfFile())
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return Result(code: process.terminationStatus, out: String(decoding: shown, as: UTF8.self), err: "")
    }

    /// Runs kith on a terminal and returns what the terminal showed.
    func runInTerminal(_ arguments: [String], as user: String, environment: [String: String] = [:]) throws -> Result {
        try runProgram("/usr/bin/script", terminalArguments(arguments, as: user), environment: environment)
    }

    /// What every kith run here sees: the scratch vault, no colour, and
    /// state and agents kept in the scratch folder.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["KITH_VAULT"] = vault
        env["KITH_PASSPHRASE"] = nil
        env["NO_COLOR"] = "1"
        // Remembered checkpoints go to the scratch folder, never the tester's home.
        env["KITH_STATE_DIR"] = directory.appendingPathComponent("state").path
        // Agents too: a tester's own unlocked identity never meets a test's.
        env["KITH_AGENT_DIR"] = directory.appendingPathComponent("agent").path
        for (key, value) in extra { env[key] = value }
        return env
    }

    private func collect(_ process: Process, stdin: String?, environment: [String: String]) throws -> Result {
        process.environment = self.environment(environment)
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(code: process.terminationStatus, out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self))
    }

    /// Founds a vault as `founder` and enrols `users` (handle: role).
    func setUp(founder: String = "ana", users: [(String, String)]) throws {
        let founded = try run(["init", "--handle", founder, "--kdf", "interactive"], as: founder)
        guard founded.code == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: founded.err]) }
        try setUpMore(founder: founder, users: users)
    }

    /// Enrols more `users` (handle: role), approved by `founder`.
    func setUpMore(founder: String = "ana", users: [(String, String)]) throws {
        for (handle, role) in users {
            try run(["enroll", "request", "--handle", handle, "--out", path("\(handle).request"), "--kdf", "interactive"], as: handle)
            let approved = try run(["enroll", "approve", path("\(handle).request"), "--role", role, "--yes"], as: founder)
            guard approved.code == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: approved.err]) }
        }
    }

    /// The id in `{"id": ...}` output.
    func id(_ result: Result) throws -> String {
        guard let object = try result.json() as? [String: Any], let id = object["id"] as? String else {
            throw CocoaError(.coderReadCorrupt, userInfo: [NSLocalizedDescriptionKey: "no id in: \(result.out) \(result.err)"])
        }
        return id
    }
}

extension CLIHarness {
    /// A consistent copy of the vault file as it is now (`VACUUM INTO`), for
    /// rollback and fork tests; returns its path.
    func copyVault(to name: String) throws -> String {
        let copy = path(name)
        let queue = try DatabaseQueue(path: vault)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        try queue.close()
        return copy
    }

    /// A vault where robin leads "Trans Support" and alex is its case worker
    /// (ana founded it); throws when any step fails.
    static func transSupport() throws -> CLIHarness {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("alex", "user")])
        for (arguments, user) in [
            (["group", "create", "Trans Support"], "ana"), (["share", "Trans Support", "--with", "robin", "--role", "lead"], "ana"),
            (["share", "Trans Support", "--with", "alex", "--role", "caseworker"], "robin"),
        ] {
            let result = try cli.run(arguments, as: user)
            guard result.code == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: result.err]) }
        }
        return cli
    }

    /// A vault with a lead (robin), an auditor (kai), one group and one member record.
    static func auditedVault() throws -> CLIHarness {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("kai", "auditor")])
        for (arguments, user) in [
            (["group", "create", "Trans Support"], "ana"), (["share", "Trans Support", "--with", "robin", "--role", "lead"], "ana"),
            (["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam"], "robin"),
        ] {
            let result = try cli.run(arguments, as: user)
            guard result.code == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: result.err]) }
        }
        return cli
    }
}
