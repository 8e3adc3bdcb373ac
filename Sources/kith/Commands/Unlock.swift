import ArgumentParser
import Foundation
import KithCrypto
import KithVault

#if canImport(Glibc)
    import Glibc
#endif

/// `kith unlock`: ask once, then let later commands sign through an agent.
struct Unlock: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unlock your identity once; later commands ask for nothing until it locks.",
        discussion: """
            Starts a small agent that holds your secret keys in locked, wiped memory and \
            signs or opens keys for your own kith commands through a private socket \
            ($XDG_RUNTIME_DIR/kith, or /tmp/kith-<uid>; folder 0700, socket 0600, and \
            every caller's user id checked). The keys never leave it. It locks itself \
            after --for without use, on 'kith lock', and when your keyfile changes.

            As your first command, unlock also opens the vault (--vault or KITH_VAULT) and \
            pins your keyfile to it, as any first command does, so later commands use the \
            agent at once.

            Examples:
              kith unlock
              kith unlock --for 2h
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("for"), help: ArgumentHelp("Lock after this long without use: 90s, 15m, 2h (1 minute to 12 hours).", valueName: "time"))
    var idle: String = "15m"
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let seconds = try Self.parseDuration(idle)
        let identityPath = try global.identityPath()
        let absolute = URL(fileURLWithPath: identityPath).standardizedFileURL.path
        let keyfile = try IdentityKeyfile.load(path: absolute)
        let socketPath = try AgentSocket.path(for: keyfile.identity.userID)
        if let running = AgentClient.connect(socketPath: socketPath, identity: keyfile.identity) {
            if output.json {
                try Output.json(["handle": keyfile.handle.value, "unlocked": true, "already": true, "idle_seconds_left": running.status.idleSecondsLeft])
                return
            }
            print("Already unlocked: locks after \(Self.words(running.status.idleSecondsLeft)) without use. Run 'kith lock' first to change that.")
            return
        }
        let passphrase = try Passphrase.read(options: global, confirm: false, for: keyfile.handle.value)
        if keyfile.vaultFingerprint == nil {
            // Later commands use the agent only once the keyfile names its vault, so a first unlock pins it first.
            guard (try? global.vaultLocation()) != nil else {
                throw KithVaultError.invalidInput(
                    "your identity is not tied to a vault yet, and none is given: pass --vault PATH or set KITH_VAULT, and unlock checks that vault and ties your identity to it")
            }
            let unlocked = try DeviceGuard.unlock(keyfile, passphrase: passphrase, path: absolute)
            let vault = try Vault(store: global.vaultLocation().open(), holder: unlocked, memory: GlobalOptions.checkpointMemory())
            try keyfile.pinned(to: vault.state.fingerprint, unlocked: unlocked, passphrase: passphrase).replace(at: absolute)
            Output.error("kith: your identity is now pinned to vault \(vault.readableFingerprint); check it matches what your admin told you.")
        }

        // The agent is this same program, started detached. The passphrase
        // goes to it through a pipe, never a file or an argument.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["agent", "--identity", absolute, "--idle-seconds", String(seconds)]
        let input = Pipe(), reply = Pipe()
        process.standardInput = input
        process.standardOutput = reply
        process.standardError = FileHandle.nullDevice
        try process.run()
        try passphrase.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(input.fileHandleForWriting.fileDescriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                guard written > 0 else { throw KithVaultError.storage("could not hand the passphrase to the agent") }
                offset += written
            }
        }
        try input.fileHandleForWriting.close()
        let answer = String(decoding: reply.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if answer.hasPrefix("ready") {
            if output.json {
                try Output.json(["handle": keyfile.handle.value, "unlocked": true, "already": false, "idle_seconds_left": seconds])
                return
            }
            print("Unlocked \(keyfile.handle.value): later commands ask for nothing until \(Self.words(seconds)) pass without use. Lock now with 'kith lock'.")
            return
        }
        process.waitUntilExit()
        // The agent counted it against the limit (and wiped at the limit, or for the duress passphrase).
        if answer.hasPrefix("wrong-passphrase") { throw KithVaultError.wrongPassphrase }
        throw KithVaultError.storage("the agent did not start: \(answer.isEmpty ? "it exited with \(process.terminationStatus)" : answer.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// `90s`, `15m`, `2h`, or a bare number of minutes.
    static func parseDuration(_ text: String) throws -> UInt64 {
        let units: [Character: UInt64] = ["s": 1, "m": 60, "h": 3600]
        var digits = text
        var unit: UInt64 = 60
        if let last = text.last, let factor = units[last] {
            unit = factor
            digits = String(text.dropLast())
        }
        guard let value = UInt64(digits), value > 0, value * unit >= 60, value * unit <= 12 * 3600 else {
            throw KithVaultError.invalidInput("'\(text)' is not a time from 1 minute to 12 hours: write 90s, 15m or 2h")
        }
        return value * unit
    }

    static func words(_ seconds: UInt64) -> String {
        if seconds >= 3600 && seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds >= 60 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}

/// `kith agent`: the agent process `kith unlock` starts (not for people).
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "The unlock agent (started by 'kith unlock').", shouldDisplay: false)

    @Option var identity: String
    @Option var idleSeconds: UInt64

    func run() throws {
        // Reads the passphrase from the pipe straight into one array, then guarded memory.
        var bytes = [UInt8](repeating: 0, count: 4096)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress.map { $0 + count }, $0.count - count) }
            if got <= 0 { break }
            count += got
        }
        var passphraseBytes = Array(bytes[0..<count])
        SecureBytes.wipe(&bytes)
        let reply = { (text: String) in FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
        let server: AgentServer
        do {
            let passphrase = try SecureBytes(wiping: &passphraseBytes)
            let keyfile = try IdentityKeyfile.load(path: identity)
            // The duress passphrase wipes here too, and answers as a wrong one.
            let unlocked = try DeviceGuard.unlock(keyfile, passphrase: passphrase, path: identity)
            server = try AgentServer(
                holder: unlocked, socketPath: AgentSocket.path(for: keyfile.identity.userID), keyfilePath: identity, idleLimit: idleSeconds)
        } catch let error as KithVaultError where error.code == .wrongPassphrase {
            reply("wrong-passphrase")
            throw ExitCode(77)
        } catch {
            reply("\(error)")
            throw ExitCode(1)
        }
        // Detach: its own session, no terminal, immune to the shell's hangup.
        setsid()
        signal(SIGHUP, SIG_IGN)
        reply("ready \(getpid())")
        let null = open("/dev/null", O_RDWR)
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] { dup2(null, fd) }
        _ = server.serve()
    }
}

/// `kith lock`: stop the agent now.
struct Lock: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lock your identity now: the agent wipes your keys and stops.",
        discussion: "Example:\n  kith lock")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let keyfile = try IdentityKeyfile.load(path: try global.identityPath())
        guard let agent = AgentClient.connect(socketPath: try AgentSocket.path(for: keyfile.identity.userID), identity: keyfile.identity) else {
            if output.json {
                try Output.json(["handle": keyfile.handle.value, "was_unlocked": false])
            } else {
                print("\(keyfile.handle.value) was not unlocked; nothing to lock.")
            }
            return
        }
        try agent.lockAgent()
        if output.json {
            try Output.json(["handle": keyfile.handle.value, "was_unlocked": true])
            return
        }
        print("Locked \(keyfile.handle.value): the agent wiped your keys and stopped.")
    }
}
