import ArgumentParser
import Foundation
import KithVault

#if canImport(Glibc)
    import Glibc
#endif

/// `kith panic`: this device forgets Kith, now.
struct Panic: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wipe everything Kith keeps on this device, now: keys, caches, search index.",
        discussion: """
            For a checkpoint, a raid, a device about to be taken. Stops every unlock agent of \
            yours (their keys are wiped from memory) and every other kith command of this device \
            still running, overwrites and removes your identity \
            keyfile (--identity or KITH_IDENTITY), then everything in Kith's state folder (resume \
            caches, search indexes, remembered checkpoints) and agent folder, and any partial file \
            a save or an editor left. It asks no passphrase and prints nothing unless --verbose. \
            The vault itself, and everyone else's keys, are untouched: on a shared vault your \
            group carries on, and an admin should remove this identity ('kith user remove') \
            in case a copy of the keyfile was taken before. With 'kith duress announce on', and \
            your identity unlocked, panic first says so in the vault's log (at most 2 seconds). \
            See docs/duress.md for what a wipe cannot undo.

            On a terminal it asks once; --yes does not (for a shortcut or a script).

            Examples:
              kith panic
              kith panic --yes
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Do not ask first.")
    var yes = false

    func execute() throws {
        if !yes {
            guard Terminal.inputIsTerminal else {
                throw KithVaultError.invalidInput("kith panic asks before it wipes; pass --yes when no one can answer (a script or a shortcut)")
            }
            guard Terminal.confirm("Wipe Kith's keys and data from this device now? It cannot be undone.") else { return }
        }
        let keyfiles = (try? global.identityPath()).map { [$0] } ?? []
        let started = Date()
        let announced = DeviceGuard.announcement.isOn ? announce() : false
        let report = DeviceGuard.wipe(keyfiles: keyfiles)
        let millis = Int(Date().timeIntervalSince(started) * 1000)
        if Diagnostics.verbose {
            Output.error(
                "kith: wiped \(Output.count(report.files, "file")), stopped \(Output.count(report.agentsStopped, "agent")) and \(Output.count(report.processesStopped, "other kith command")) in \(millis) ms\(announced ? ", after saying so in the vault's log" : "")"
            )
            for failure in report.failures { Output.error("kith: could not remove \(Terminal.safe(failure))") }
        }
        // Nothing names what was there unless asked; only a failure is said, so it can be run again.
        if !report.failures.isEmpty {
            throw KithVaultError.storage("not everything could be removed; run 'kith panic --yes --verbose' to see what")
        }
    }
}

extension Panic {
    /// Appends the "device wiped" entry through the unlock agent, when one
    /// holds this identity; at most 2 seconds, then the wipe goes ahead
    /// whatever happened (a locked identity, an unreachable vault).
    func announce() -> Bool {
        guard let path = try? global.identityPath(), let keyfile = try? IdentityKeyfile.load(path: path), let agent = GlobalOptions.agent(for: keyfile),
            let location = try? global.vaultLocation()
        else { return false }
        let done = DispatchSemaphore(value: 0)
        let result = AnnounceResult()
        // On a thread of its own, so a vault that does not answer cannot hold the wipe back.
        Thread.detachNewThread {
            if let store = try? location.open(),
                let vault = try? Vault(store: store, holder: agent, expectedFingerprint: keyfile.vaultFingerprint, memory: GlobalOptions.checkpointMemory()),
                (try? vault.announceDeviceWiped()) != nil
            {
                result.set()
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 2)
        return result.value
    }
}

/// Whether the announcement landed, written by its thread.
private final class AnnounceResult: @unchecked Sendable {
    // @unchecked: every access holds the lock.
    private let lock = NSLock()
    private var landed = false
    func set() { lock.withLock { landed = true } }
    var value: Bool { lock.withLock { landed } }
}

/// `kith wipe-folder`: overwrites and removes what a wipe moved aside (not for people).
struct WipeFolderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wipe-folder", abstract: "Finish a wipe in the background (started by kith itself).", shouldDisplay: false)

    @Argument var folder: String

    func run() throws {
        // Its own session: the command that started it may end (and its terminal close) first.
        setsid()
        signal(SIGHUP, SIG_IGN)
        _ = DeviceWipe.erase(folder: folder)
    }
}
