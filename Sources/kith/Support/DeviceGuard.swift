import Foundation
import KithCrypto
import KithVault

/// The device's wrong-passphrase limit around every passphrase check, and
/// the wipe both it and `kith panic` do.
enum DeviceGuard {
    static var attempts: PassphraseAttempts { PassphraseAttempts(stateDirectory: GlobalOptions.checkpointMemory().directory) }

    static var remembered: RememberedKeyfiles { RememberedKeyfiles(stateDirectory: GlobalOptions.checkpointMemory().directory) }

    /// `path` made absolute against the current folder.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Everything Kith keeps on this device, wiped: `keyfiles`, the one
    /// KITH_IDENTITY names, and every keyfile opened here before.
    static func wipe(keyfiles: [String]) -> DeviceWipeReport {
        var all = keyfiles.map(absolute)
        if let named = ProcessInfo.processInfo.environment["KITH_IDENTITY"], !named.isEmpty { all.append(absolute(named)) }
        all += remembered.paths
        var seen = Swift.Set<String>()
        all = all.filter { seen.insert($0).inserted }
        return DeviceWipe.wipe(keyfiles: all, stateDirectory: GlobalOptions.checkpointMemory().directory, agentDirectory: try? AgentSocket.directory())
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
            _ = wipe(keyfiles: [path])
            // A keyfile no passphrase opens is left in its place: every later attempt is just a wrong passphrase.
            try? keyfile.dud().write(to: path)
            throw KithVaultError.wrongPassphrase
        }
    }

    /// Counts a wrong passphrase for the keyfile at `path`; wipes at the limit.
    static func wrongPassphrase(keyfile path: String) {
        if attempts.recordFailure() { _ = wipe(keyfiles: [path]) }
    }
}
