import ArgumentParser
import Foundation
import KithPostgres
import KithEngines
import KithVault

/// Options every vault command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The vault: a file, or postgres://USER@HOST:PORT/DATABASE for a shared one (default: $KITH_VAULT). A database password goes in PGPASSWORD or ~/.pgpass, never here.",
            valueName: "path|address"))
    var vault: String?

    @Option(name: .long, help: ArgumentHelp("Your identity keyfile (default: $KITH_IDENTITY).", valueName: "file"))
    var identity: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the passphrase from this file instead of asking (for scripts; or set KITH_PASSPHRASE). Never pass a passphrase itself on the command line.",
            valueName: "file"))
    var passphraseFile: String?

    // Read before parsing (see Diagnostics); declared here so --help shows it.
    @Flag(help: "Add detail for a bug report to errors (never a secret; or set KITH_VERBOSE=1).")
    var verbose = false

    /// The vault path or address from the option or the environment.
    func vaultPath() throws -> String {
        if let vault, !vault.isEmpty { return vault }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KITH_VAULT"], !fromEnvironment.isEmpty { return fromEnvironment }
        throw KithVaultError.invalidInput("no vault given: pass --vault PATH (or --vault postgres://USER@HOST/DATABASE) or set KITH_VAULT")
    }

    /// Where the vault lives, and which engine keeps it.
    func vaultLocation() throws -> VaultLocation {
        try VaultLocation(vaultPath())
    }

    /// Opens the vault's store (no identity needed: the audit commands).
    func openStore() throws -> VaultStore {
        try vaultLocation().open()
    }

    /// The identity path from the option or the environment.
    func identityPath() throws -> String {
        if let identity, !identity.isEmpty { return identity }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KITH_IDENTITY"], !fromEnvironment.isEmpty { return fromEnvironment }
        throw KithVaultError.invalidInput("no identity given: pass --identity FILE or set KITH_IDENTITY")
    }

    /// Opens the vault as the identity: loads the keyfile, asks for the
    /// passphrase, replays and checks the log.
    func openVault() throws -> Vault {
        let vault = try openVaultAsIs()
        Self.applyTestClock(vault)
        return vault
    }

    private func openVaultAsIs() throws -> Vault {
        try withIdentity { store, holder, fingerprint, memory in
            let vault = try Vault(store: store, holder: holder, expectedFingerprint: fingerprint, memory: memory)
            return (vault, vault)
        }
    }

    /// Loads the keyfile, reaches its identity (through the unlock agent,
    /// else by asking for the passphrase) and runs `open` with the vault's
    /// store; `open` returns its answer and the vault it opened, if any
    /// (the keyfile is pinned to that vault on first use).
    func withIdentity<T>(_ open: (VaultStore, PrivateKeyHolder, [UInt8]?, CheckpointMemory) throws -> (T, Vault?)) throws -> T {
        let location = try vaultLocation()
        let identityPath = try identityPath()
        let keyfile = try IdentityKeyfile.load(path: identityPath)
        // Open the store before asking for the passphrase, so a wrong path fails fast.
        let store = try location.open()
        // An unlock agent for this identity signs for us: no prompt, no Argon2id.
        if let agent = Self.agent(for: keyfile) {
            let started = Date()
            let (answer, vault) = try open(store, agent, keyfile.vaultFingerprint, Self.checkpointMemory())
            if let vault { Self.tellAcceptedRestore(vault) }
            if let vault {
                Diagnostics.note(
                    "vault \(location) (\(location.engine)): \(vault.state.count) log entries replayed in \(Self.millis(since: started)) \(Self.howOpened(vault)); signing through the unlock agent")
            }
            return answer
        }
        Diagnostics.note("no unlock agent for \(keyfile.handle.value) (or KITH_NO_AGENT=1, or the keyfile is not pinned yet): asking for the passphrase")
        let passphrase = try Passphrase.read(options: self, confirm: false, for: keyfile.handle.value)
        var started = Date()
        let unlocked = try DeviceGuard.unlock(keyfile, passphrase: passphrase, path: identityPath)
        Diagnostics.note("keyfile opened in \(Self.millis(since: started)) (Argon2id)")
        started = Date()
        let (answer, vault) = try open(store, unlocked, keyfile.vaultFingerprint, Self.checkpointMemory())
        if let vault { Self.tellAcceptedRestore(vault) }
        if let vault {
            Diagnostics.note("vault \(location) (\(location.engine)): \(vault.state.count) log entries replayed in \(Self.millis(since: started)) \(Self.howOpened(vault))")
            if keyfile.vaultFingerprint == nil {
                // First use: pin the keyfile to this vault, so a look-alike vault is refused from now on.
                try keyfile.pinned(to: vault.state.fingerprint, unlocked: unlocked, passphrase: passphrase).replace(at: identityPath)
                FileHandle.standardError.write(Data("kith: your identity is now pinned to vault \(vault.readableFingerprint); check it matches what your admin told you.\n".utf8))
            }
        }
        return answer
    }
}

extension GlobalOptions {
    /// Debug builds only (the tests' binary): KITH_TEST_CLOCK_OFFSET_DAYS
    /// moves this process's writer clock forward, so the retention tests
    /// can see months pass. A release build has no such hook.
    static func applyTestClock(_ vault: Vault) {
        #if DEBUG
            guard let text = ProcessInfo.processInfo.environment["KITH_TEST_CLOCK_OFFSET_DAYS"], let days = UInt64(text) else { return }
            let offset = days * 24 * 3600 * 1000
            vault.clock = { UInt64(Date().timeIntervalSince1970 * 1000) + offset }
        #endif
    }

    /// Whether the open resumed from this client's cache, for --verbose.
    static func howOpened(_ vault: Vault) -> String {
        if let note = vault.cacheNote ?? vault.journalNote { return "(\(note))" }
        if let from = vault.resumedFrom {
            return "(resumed from this client's cache at entry \(from): \(vault.state.count - from) new entries read and verified)"
        }
        switch vault.cacheProblem {
        case .missing?: return "(in full: no resume cache yet)"
        case .damaged?: return "(in full: the resume cache was damaged or not this identity's, and is rewritten)"
        case .notThisStore?: return "(in full: the resume cache did not fit this store)"
        case nil: return "(in full)"
        }
    }

    static func millis(since start: Date) -> String {
        String(format: "%.0f ms", Date().timeIntervalSince(start) * 1000)
    }

    /// The running agent holding `keyfile`'s identity, or nil: none
    /// answers, `KITH_NO_AGENT=1` asks for the passphrase path, or the
    /// keyfile is not pinned yet (pinning rewrites it, which needs the
    /// passphrase).
    static func agent(for keyfile: IdentityKeyfile) -> AgentClient? {
        guard keyfile.vaultFingerprint != nil, ProcessInfo.processInfo.environment["KITH_NO_AGENT"] != "1",
            let socket = try? AgentSocket.path(for: keyfile.identity.userID)
        else { return nil }
        return AgentClient.connect(socketPath: socket, identity: keyfile.identity)
    }

    /// Where this user's newest seen checkpoints live: `$KITH_STATE_DIR`,
    /// else `$XDG_STATE_HOME/kith`, else `~/.local/state/kith`.
    static func checkpointMemory() -> CheckpointMemory {
        // One rule, shared with the wipe that finds this device's other kith processes by it.
        CheckpointMemory(
            directory: OtherProcesses.stateDirectory(
                environment: ProcessInfo.processInfo.environment, home: FileManager.default.homeDirectoryForCurrentUser.path),
            journalEntries: journalEntries)
    }
}

/// `--json` for commands that print data.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON (documented in docs/cli.md).")
    var json = false
}

extension GlobalOptions {
    /// How many verified log entries this device keeps for `kith vault heal`:
    /// `KITH_JOURNAL_ENTRIES` (0 keeps none), else the library's default.
    static var journalEntries: UInt64 {
        guard let text = ProcessInfo.processInfo.environment["KITH_JOURNAL_ENTRIES"], !text.isEmpty else { return CheckpointMemory.defaultJournalEntries }
        guard let entries = UInt64(text) else {
            FileHandle.standardError.write(
                Data("kith: KITH_JOURNAL_ENTRIES must be a whole number of log entries (0 keeps none); keeping the default \(CheckpointMemory.defaultJournalEntries)\n".utf8))
            return CheckpointMemory.defaultJournalEntries
        }
        return entries
    }
}

extension GlobalOptions {
    /// Says, once, that this open accepted a restored vault and what this device lost.
    static func tellAcceptedRestore(_ vault: Vault) {
        guard let accepted = vault.acceptedRestore else { return }
        let kinds = accepted.lostByType.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        var lines = [
            "kith: \(Terminal.safe(vault.handle(ofUser: accepted.admin))) (an admin) accepted this vault as restored from a backup (log entry \(accepted.entry)).",
            accepted.lostEntries == 0
                ? "      What this device saw after the backup is gone (it kept no copy to count it)."
                : "      \(Output.count(accepted.lostEntries, "log entry", plural: "log entries")) this device saw \(accepted.lostEntries == 1 ? "is" : "are") gone: \(kinds).",
            "      Anything you wrote then must be written again; 'kith audit log' shows what the vault holds now.",
        ]
        for lost in accepted.lostRevocations {
            let who = Terminal.safe(vault.handle(ofUser: lost.user))
            if let group = lost.group {
                let name = vault.state.groups[group] == nil ? "a group" : Terminal.safe(vault.groupName(ofGroup: group))
                lines.append("      Lost: \(who)'s revocation from \(name). Until a lead revokes them again (kith revoke), they still have access.")
            } else {
                lines.append("      Lost: \(who)'s removal from the vault. Until an admin removes them again (kith user remove), they can still use the vault.")
            }
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
