import Foundation
import KithCrypto
import KithVault

/// The lead's keyfile on disk and an unlock agent holding the lead's keys
/// on its own thread, as `kith unlock` leaves them (the command scenarios
/// time commands through it).
final class BenchAgent {
    let keyfilePath: String
    let socketPath: String
    let identity: PublicIdentity
    private let server: ServerBox

    init(vault: BenchVault, fingerprint: [UInt8], passphrase: borrowing SecureBytes, profile: Argon2idProfile) throws {
        let keyfile = try IdentityKeyfile.seal(vault.lead, handle: Handle("lead"), vaultFingerprint: fingerprint, passphrase: passphrase, profile: profile)
        keyfilePath = vault.directory.appendingPathComponent("lead.kithid").path
        try Data(keyfile.fileBytes).write(to: URL(fileURLWithPath: keyfilePath))
        identity = keyfile.identity
        let socketFolder = vault.directory.appendingPathComponent("agent").path
        try FileManager.default.createDirectory(atPath: socketFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        socketPath = socketFolder + "/lead.sock"
        let server = ServerBox(try AgentServer(holder: vault.lead, socketPath: socketPath, keyfilePath: keyfilePath, idleLimit: 600))
        self.server = server
        Thread.detachNewThread { _ = server.server.serve() }
    }

    /// Locks the agent (it forgets the keys and stops).
    func lock() {
        if let client = AgentClient.connect(socketPath: socketPath, identity: identity) { try? client.lockAgent() }
    }
}
