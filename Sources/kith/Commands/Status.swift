import ArgumentParser
import Foundation
import KithLog
import KithPostgres
import KithVault

/// `kith status`: what is in use, and whether it is unlocked.
struct Status: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the vault and identity in use, whether they are unlocked, your roles and the log's newest checkpoint.",
        discussion: """
            Never asks for a passphrase: when your identity is locked it shows what the \
            vault's public parts tell, and says how to unlock.

            Examples:
              kith status
              kith status --json
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let location = try global.vaultLocation()
        let identityPath = try global.identityPath()
        let keyfile = try IdentityKeyfile.load(path: identityPath)
        let store = try location.open()
        let newest = try store.latestCheckpoint().map { try Checkpoint.read(noteOrText: $0).checkpoint }
        let agent = GlobalOptions.agent(for: keyfile)
        var object: [String: Any] = [
            "vault": location.description, "engine": location.engine, "identity": identityPath, "handle": keyfile.handle.value, "user_id": keyfile.identity.userID.description,
            "unlocked": agent != nil,
        ]
        if let newest {
            object["checkpoint"] = ["size": newest.size, "root": Data(newest.root).base64EncodedString()] as [String: Any]
        }
        // The founding settings are public, in entry 1: shown to everyone, locked or not.
        let founderMayLead =
            try store.entry(at: 1).flatMap { try? LogEntry.decode($0) }.map { entry -> Bool in
                if case .vaultSettings(let allowed) = entry.body { return allowed }
                return false
            } ?? false
        object["founder_may_lead"] = founderMayLead
        var lines = ["Vault:     \(location) (\(location.engine))", "Identity:  \(keyfile.handle.value) (\(identityPath))"]
        lines.append(
            founderMayLead
                ? "Founding:  the founder may also lead groups (chosen when the vault was founded)"
                : "Founding:  separation of duties (admins never hold a group's keys)")
        if let agent {
            object["idle_seconds_left"] = agent.status.idleSecondsLeft
            object["idle_limit_seconds"] = agent.status.idleLimit
            lines.append("Unlocked:  yes, locks after \(Unlock.words(agent.status.idleSecondsLeft)) more without use (limit \(Unlock.words(agent.status.idleLimit)))")
            let vault = try Vault(store: store, holder: agent, expectedFingerprint: keyfile.vaultFingerprint, memory: GlobalOptions.checkpointMemory())
            let me = try vault.whoami()
            let groups = try vault.groups().filter { $0.myRole != nil }
            object["role"] = me.role.description
            object["groups"] = groups.map { ["name": $0.name, "role": $0.myRole?.description ?? ""] }
            object["log_size"] = vault.state.count
            lines.append("Role:      \(me.role)")
            lines.append("Groups:    " + (groups.isEmpty ? "none yet" : groups.map { "\($0.name) (\($0.myRole?.description ?? ""))" }.joined(separator: ", ")))
            lines.append("Log:       \(vault.state.count) entries")
        } else {
            lines.append("Unlocked:  no (each command asks for your passphrase; 'kith unlock' asks once)")
            lines.append("Roles:     unlock to see them")
        }
        if let newest {
            lines.append("Checkpoint: size \(newest.size), root \(Data(newest.root).base64EncodedString())")
        } else {
            lines.append("Checkpoint: none stored yet")
        }
        if output.json { try Output.json(object) } else { lines.forEach(Output.say) }
    }
}
