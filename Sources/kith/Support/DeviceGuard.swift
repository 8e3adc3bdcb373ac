import Foundation
import KithCrypto
import KithVault

/// The device's wrong-passphrase limit around every passphrase check, and
/// the wipe both it and `kith panic` do.
enum DeviceGuard {
    static var attempts: PassphraseAttempts { PassphraseAttempts(stateDirectory: GlobalOptions.checkpointMemory().directory) }

    /// Everything Kith keeps on this device, wiped (`keyfiles` first among the files).
    static func wipe(keyfiles: [String]) -> DeviceWipeReport {
        DeviceWipe.wipe(keyfiles: keyfiles, stateDirectory: GlobalOptions.checkpointMemory().directory, agentDirectory: try? AgentSocket.directory())
    }

    /// Opens `keyfile` with `passphrase`, counting a wrong one against the
    /// limit. At the limit the device is wiped, and the error is the same
    /// wrong-passphrase error as before: nothing says a wipe happened.
    static func unlock(_ keyfile: IdentityKeyfile, passphrase: borrowing SecureBytes, path: String) throws -> UnlockedIdentity {
        do {
            let unlocked = try keyfile.unlock(passphrase: passphrase)
            attempts.reset()
            return unlocked
        } catch let error as KithVaultError where error.code == .wrongPassphrase {
            wrongPassphrase(keyfile: path)
            throw error
        }
    }

    /// Counts a wrong passphrase for the keyfile at `path`; wipes at the limit.
    static func wrongPassphrase(keyfile path: String) {
        if attempts.recordFailure() { _ = wipe(keyfiles: [path]) }
    }
}
