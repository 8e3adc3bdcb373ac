import ArgumentParser
import Foundation
import KithVault

/// How `kith revoke` and `kith group rekey` treat records written before.
enum RekeyFlag: String, EnumerableFlag {
    case rewrap, reencrypt

    var mode: RekeyMode { self == .rewrap ? .rewrap : .reencrypt }

    static func help(for value: RekeyFlag) -> ArgumentHelp? {
        switch value {
        case .rewrap: return "Also rewrap every record key under the new keys (fast; the content is not re-encrypted)."
        case .reencrypt: return "Also re-encrypt every record with fresh keys (for a lost or compromised device)."
        }
    }
}

/// A rekey's summary for `--json` (null when none ran).
/// `group rekey --json` and `revoke --json`: the group (and for a revoke the
/// handle and the role removed) with the rekey's summary, null without one.
struct RekeyOutput: Encodable {
    let group: String
    var handle: String? = nil
    var removedRole: String? = nil
    let rekey: RekeySummary?
    var isRevoke = false

    private enum CodingKeys: String, CodingKey { case group, handle, removedRole = "removed_role", rekey }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        if isRevoke {
            try c.encode(handle, forKey: .handle)
            try c.encode(removedRole, forKey: .removedRole)
        }
        try c.encode(rekey, forKey: .rekey)
    }
}

/// Prints what a rekey did.
func reportRekey(_ summary: RekeySummary?, group: String) {
    guard let summary else { return }
    let verb = summary.mode == .rewrap ? "Rewrapped" : "Re-encrypted"
    let resumed = summary.resumed ? " (finished an interrupted run)" : ""
    print("\(verb) \(summary.changed) of \(summary.scanned) record versions in \(group)\(resumed); the log records its start and completion.")
}

/// `kith revoke`: remove someone's role in a group and rotate its keys.
struct Revoke: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove someone's role in a group and start new keys they never see (leads).",
        discussion: """
            Every compartment the person could read gets a new epoch, sealed to the remaining \
            members only; everything written from now on uses it. What happens to records \
            written before depends on the option:

              (none)        they stay under their old keys. The person could read them already.
              --rewrap      every record key is rewrapped under the new keys, so the old group
                            keys open nothing in the store. Fast. Use when someone leaves.
              --reencrypt   every record gets fresh keys and fresh ciphertext. Use when a device
                            or keyfile was lost or stolen: even record keys it may hold are useless.

            Both options run in batches. If the command is interrupted, run it again: it finishes \
            the job. Every record stays readable by the remaining members throughout.

            Examples:
              kith revoke "Trans Support" --from alex
              kith revoke "Trans Support" --from alex --reencrypt
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The group.")
    var group: String
    @Option(help: ArgumentHelp("The person's handle.", valueName: "handle"))
    var from: String
    @Flag(exclusivity: .exclusive)
    var rekey: RekeyFlag?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let bar = ProgressBar(rekey?.rawValue ?? "rekey")
        defer { bar.finish() }
        let result = try global.openVault().revoke(groupName: group, from: from, mode: rekey?.mode) { bar.update(done: $0, total: $1) }
        bar.finish()
        if output.json {
            try Output.json(RekeyOutput(group: group, handle: from, removedRole: result.removedRole?.description, rekey: result.rekey, isRevoke: true))
            return
        }
        if let role = result.removedRole {
            Output.say("\(from) is no longer \(role) of \(group); new keys were sealed to the remaining members.")
        }
        reportRekey(result.rekey, group: group)
    }
}
