import ArgumentParser
import Foundation
import KithVault

/// `kith policy`: which role may read and write which compartment.
struct Policy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or change what each role of a group may read and write.",
        subcommands: [Show.self, Set.self])

    struct Show: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a group's policy.",
            discussion: """
                Example:
                  kith policy show "Trans Support"
                  kith policy show "Trans Support" --json > policy.json
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.")
        var group: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let policy = try global.openVault().policy(groupName: group)
            if output.json {
                try Output.json(PolicyOutput(group: group, policy: policy))
            } else {
                let list = { (set: Swift.Set<Compartment>?) in (set ?? []).sorted().map(\.description).joined(separator: ", ") }
                Output.table(
                    ["ROLE", "READS", "WRITES"],
                    GroupRole.allCases.map { role in
                        [role.description, list(policy.readable[role]).isEmpty ? "-" : list(policy.readable[role]), list(policy.writable[role]).isEmpty ? "-" : list(policy.writable[role])]
                    })
                Output.say(Policy.searchLine(policy))
                print(Policy.reasonsLine(policy))
                Output.say(Policy.retentionLine(policy))
            }
        }
    }

    struct Set: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a group's policy from a JSON file (leads).",
            discussion: """
                The file has the shape 'kith policy show --json' prints. A lead always reads and \
                writes everything, and no role may write what it cannot read. An optional \
                "search" object names the profile fields 'kith find' looks at and how:
                {"name": "words", "phone": "phone", "email": "prefixes", "member_no": "whole"} \
                (words: whole value, words, word starts and one typo; prefixes: the same without \
                typos; phone: as prefixes, and the number with or without its country code; \
                whole: the whole value only; digits: the number only). Without it, search looks \
                at the name-like and contact fields of the profile. Never notes or sensitive. An optional \
                "retention" object keeps records of a kind for so many months after they were last \
                touched: {"note": 24, "case": 36}; 'kith retention apply' then erases what is past it. \
                Keys follow at once:
                a role given a compartment receives its keys; a compartment taken from a role gets \
                new keys the role never sees (run 'kith group rekey GROUP --rewrap' to move older \
                records onto them too).

                Example:
                  kith policy show "Trans Support" --json > policy.json
                  (edit policy.json: give viewers "notes" to read)
                  kith policy set "Trans Support" policy.json
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.")
        var group: String
        @Argument(help: ArgumentHelp("The policy file (JSON).", valueName: "file"))
        var file: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let policy = try GroupPolicy(json: Data(SmallFile.read(file, what: "policy file", limit: 1 << 20)))
            let rotated = try global.openVault().setPolicy(groupName: group, policy)
            if output.json {
                try Output.json(PolicyOutput(group: group, policy: policy, newKeys: rotated.map(\.description)))
                return
            }
            print("The policy of \(group) is now:\n\(policy.summary)")
            Output.say(Policy.searchLine(policy))
            print(Policy.reasonsLine(policy))
            Output.say(Policy.retentionLine(policy))
            if !rotated.isEmpty {
                print("New keys for \(rotated.map(\.description).joined(separator: ", ")); older records stay under the old keys until 'kith group rekey \"\(group)\" --rewrap'.")
            }
        }
    }
}

extension Policy {
    /// What 'kith find' looks at under `policy`, in one line.
    static func searchLine(_ policy: GroupPolicy) -> String {
        guard let search = policy.search else { return "Search looks at the name-like and contact fields of the profile (the default)." }
        guard !search.isEmpty else { return "Search looks at no field of this group." }
        return "Search looks at: " + search.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value.rawValue))" }.joined(separator: ", ") + "."
    }

    /// How long `policy` keeps records, in one line.
    static func retentionLine(_ policy: GroupPolicy) -> String {
        guard !policy.retention.isEmpty else { return "Records are kept until a lead erases them (no retention is set)." }
        let rules = policy.retention.sorted { $0.key.rawValue < $1.key.rawValue }.map { kind, months in "\(kind) records \(Output.count(Int(months), "month"))" }
        return "Kept after they were last touched: " + rules.joined(separator: ", ") + " ('kith retention show' lists what is past it)."
    }

    /// What a reader must give a reason for under `policy`, in one line.
    static func reasonsLine(_ policy: GroupPolicy) -> String {
        guard !policy.reasons.isEmpty else { return "No reason is asked for reads or exports (a reader may still give one with --reason)." }
        return "A reason (--reason) is asked for: " + policy.reasons.sorted().map(\.words).joined(separator: ", ") + "."
    }
}

/// `policy show --json` and `policy set --json`: group, roles, search (only
/// when the policy names its searchable fields), and for set, new_keys.
private struct PolicyOutput: Encodable {
    let group: String
    let policy: GroupPolicy
    var newKeys: [String]? = nil

    private enum CodingKeys: String, CodingKey { case group, roles, search, reasons, retention, newKeys = "new_keys" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(policy.jsonRoles, forKey: .roles)
        try c.encodeIfPresent(policy.jsonSearch, forKey: .search)
        try c.encodeIfPresent(policy.jsonReasons, forKey: .reasons)
        try c.encodeIfPresent(policy.jsonRetention, forKey: .retention)
        try c.encodeIfPresent(newKeys, forKey: .newKeys)
    }
}
