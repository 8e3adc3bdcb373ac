import Foundation
import KithCrypto
import KithVault

/// The device's wrong-passphrase limit around every passphrase check, and
/// the wipe both it and `kith panic` do.
enum DeviceGuard {
    static var attempts: PassphraseAttempts { PassphraseAttempts(stateDirectory: GlobalOptions.checkpointMemory().directory) }

    static var announcement: WipeAnnouncement { WipeAnnouncement(stateDirectory: GlobalOptions.checkpointMemory().directory) }
    static var remembered: RememberedKeyfiles { RememberedKeyfiles(stateDirectory: GlobalOptions.checkpointMemory().directory) }

    /// `path` made absolute against the current folder.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Everything Kith keeps on this device, wiped: `keyfiles`, the one
    /// KITH_IDENTITY names, and every keyfile opened here before.
    /// With `background`, the state folder's files are overwritten by a
    /// detached kith process after the folder is renamed away, so the
    /// command answers at once (the duress passphrase, the limit).
    static func wipe(keyfiles: [String], background: Bool = false) -> DeviceWipeReport {
        var all = keyfiles.map(absolute)
        if let named = ProcessInfo.processInfo.environment["KITH_IDENTITY"], !named.isEmpty { all.append(absolute(named)) }
        all += remembered.paths
        var seen = Swift.Set<String>()
        all = all.filter { seen.insert($0).inserted }
        let report = DeviceWipe.wipe(
            keyfiles: all, stateDirectory: GlobalOptions.checkpointMemory().directory, agentDirectory: try? AgentSocket.directory(), deferring: background)
        for folder in report.deferred where !spawnEraser(folder) {
            // No helper process: overwrite here, late rather than never.
            _ = DeviceWipe.erase(folder: folder)
        }
        return report
    }

    /// Starts `kith wipe-folder FOLDER`, detached, to overwrite what a deferred wipe moved aside.
    private static func spawnEraser(_ folder: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["wipe-folder", folder]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return (try? process.run()) != nil
    }

    /// Opens `keyfile` with `passphrase`, counting a wrong one against the
    /// limit. At the limit, or for the keyfile's duress passphrase, the
    /// device is wiped, and the error is the same wrong-passphrase error as
    /// any: nothing says a wipe happened.
    static func unlock(_ keyfile: IdentityKeyfile, passphrase: borrowing SecureBytes, path: String) throws -> UnlockedIdentity {
        let opening: IdentityKeyfile.Opening
        do {
            opening = try keyfile.open(passphrase: passphrase)
        } catch let error as KithVaultError where error.code == .wrongPassphrase {
            wrongPassphrase(keyfile: path)
            throw error
        }
        switch consume opening {
        case .unlocked(let unlocked):
            attempts.reset()
            remembered.remember(path)
            return unlocked
        case .duress:
            _ = wipe(keyfiles: [path], background: true)
            // A keyfile no passphrase opens is left in its place: every later attempt is just a wrong passphrase.
            try? keyfile.dud().write(to: path)
            throw KithVaultError.wrongPassphrase
        }
    }

    /// Counts a wrong passphrase for the keyfile at `path`; wipes at the limit.
    static func wrongPassphrase(keyfile path: String) {
        if attempts.recordFailure() { _ = wipe(keyfiles: [path], background: true) }
    }
}
