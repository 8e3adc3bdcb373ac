import Foundation
import KithCrypto
import KithSQLite
import KithVault

/// `command`: the cost of one `kith note add` as a command pays it: load
/// the keyfile, get the private-key holder, open (replay) the vault, add
/// the note, once through the unlock agent and once with the passphrase
/// (one Argon2id derivation at the keyfile's profile).
///
/// Baseline: one raw Argon2id derivation at the same profile (moderate,
/// Kith's default), in the same run. Measured in process: starting the
/// `kith` binary itself adds the same few milliseconds to both.
enum CommandBench {
    static func run(commands: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("command: \(commands) note adds with the agent and without, Argon2id moderate")
        let vault = try BenchVault(members: 0, records: 0)
        let lead = try vault.open(vault.path, as: vault.lead)
        let caseID = try lead.addRecord(groupName: BenchVault.group, kind: .case, fields: [RecordField.parse("need=housing", kind: .case)])
        var passphraseBytes = Array("bench-only passphrase, not a real one".utf8)
        let passphrase = try SecureBytes(wiping: &passphraseBytes)
        let profile = Argon2idProfile.moderate
        // The agent serves on its own thread, as the detached process would.
        let agent = try BenchAgent(vault: vault, fingerprint: lead.state.fingerprint, passphrase: passphrase, profile: profile)
        let (keyfilePath, socketPath) = (agent.keyfilePath, agent.socketPath)

        let withAgent = try measure {
            for index in 0..<commands {
                let loaded = try IdentityKeyfile.load(path: keyfilePath)
                guard let holder = AgentClient.connect(socketPath: socketPath, identity: loaded.identity) else { throw BenchFailure("the agent did not answer") }
                let opened = try Vault(store: SQLiteVaultStore(path: vault.path), holder: holder, expectedFingerprint: loaded.vaultFingerprint)
                try opened.addNote(caseID: caseID, text: "Note \(index) through the agent")
            }
        }
        let withoutAgent = try measure {
            for index in 0..<commands {
                let loaded = try IdentityKeyfile.load(path: keyfilePath)
                let holder = try loaded.unlock(passphrase: passphrase)
                let opened = try Vault(store: SQLiteVaultStore(path: vault.path), holder: holder, expectedFingerprint: loaded.vaultFingerprint)
                try opened.addNote(caseID: caseID, text: "Note \(index) with the passphrase")
            }
        }
        agent.lock()
        let salt = try Random.bytes(Argon2id.saltLength)
        let parameters = try profile.parameters
        let derivations = 3
        let argon = try measure {
            for _ in 0..<derivations { _ = try Argon2id.deriveKey(length: 32, passphrase: passphrase, salt: salt, parameters: parameters) }
        }
        let perDerivation = argon / Double(derivations)
        log(
            "command: \(String(format: "%.1f", withAgent / Double(commands) * 1000)) ms with the agent, \(String(format: "%.0f", withoutAgent / Double(commands) * 1000)) ms without; Argon2id \(String(format: "%.0f", perDerivation * 1000)) ms"
        )
        return [
            BenchResult(
                name: "command (agent)", n: commands, seconds: withAgent, unit: "commands/s", baseline: "one Argon2id (moderate)",
                baselineSeconds: perDerivation * Double(commands),
                note: String(
                    format: "%.1f ms a note add with the agent, %.0f ms without; one Argon2id derivation %.0f ms", withAgent / Double(commands) * 1000, withoutAgent / Double(commands) * 1000, perDerivation * 1000)),
            BenchResult(
                name: "command (passphrase)", n: commands, seconds: withoutAgent, unit: "commands/s", baseline: "one Argon2id (moderate)",
                baselineSeconds: perDerivation * Double(commands), note: nil),
        ]
    }
}
