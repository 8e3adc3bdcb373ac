import ArgumentParser
import Foundation
import KithVault

/// Reads field lists from the command line or from JSON.
enum FieldInput {
    /// `--field` values and an optional `--from-json` file (or `-` for stdin).
    static func collect(fields: [String], fromJSON: String?, kind: RecordKind) throws -> [RecordField] {
        var out: [RecordField] = []
        var standardInput: [String]?
        for field in fields {
            guard let equals = field.firstIndex(of: "="), field[field.index(after: equals)...] == "-" else {
                let parsed = try RecordField.parse(field, kind: kind)
                if parsed.compartment == .sensitive { warnOnce(parsed.name) }
                out.append(parsed)
                continue
            }
            // NAME=-: the value is typed unseen at the terminal, or is the next line of standard input.
            let name = String(field[..<equals])
            let value: String
            if Terminal.inputIsTerminal {
                value = try Passphrase.hiddenValue("value of \(name) (not shown): ")
            } else {
                if standardInput == nil {
                    let data = try TextFile.input("-", what: "standard input")
                    standardInput = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
                        $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
                    }
                }
                guard let next = standardInput?.first else { throw KithVaultError.invalidInput("standard input has no line left for the value of \(name)") }
                standardInput?.removeFirst()
                value = next
            }
            out.append(try RecordField.parse("\(name)=\(value)", kind: kind))
        }
        if let fromJSON {
            let data = try TextFile.input(fromJSON, what: "JSON file")
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw KithVaultError.invalidInput("\(fromJSON == "-" ? "standard input" : fromJSON) is not a JSON object of field names to string values, like {\"name\": \"Sam\", \"sensitive:status\": \"...\"}")
            }
            for key in object.keys.sorted() {
                guard let value = object[key] as? String else {
                    throw KithVaultError.invalidInput("the JSON value of '\(key)' is not a string; quote it")
                }
                out.append(try RecordField.parse("\(key)=\(value)", kind: kind))
            }
        }
        return out
    }
}

extension FieldInput {
    /// Says once per command that a sensitive value came on the command line.
    static func warnOnce(_ name: String) {
        guard !warned else { return }
        warned = true
        Output.warning(
            "the sensitive value of \(name) was given on the command line, where other accounts on this machine and your shell history can see it; next time type it unseen with --field 'sensitive:\(name)=-'"
        )
    }

    nonisolated(unsafe) private static var warned = false
}

/// `--field` and `--from-json`, shared by `record add` and `record update`.
struct FieldOptions: ParsableArguments {
    @Option(
        name: .customLong("field"),
        help: ArgumentHelp(
            "A field, [compartment:]name=value; repeat for more. name=- asks for the value unseen (or reads the next line of standard input), so it never shows in the process list or your shell history: use it for anything sensitive.",
            valueName: "field"))
    var fields: [String] = []
    @Option(help: ArgumentHelp("Read fields from a JSON object in this file, or - for standard input.", valueName: "file"))
    var fromJSON: String?

    func collect(kind: RecordKind) throws -> [RecordField] {
        try FieldInput.collect(fields: fields, fromJSON: fromJSON, kind: kind)
    }
}

/// `kith record`: member and case records.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Add, show, list, update, trace and erase records.",
        subcommands: [Add.self, Show.self, List.self, Update.self, History.self, Erase.self])

    struct Add: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a member or case record to a group.",
            discussion: """
                Fields are name=value. Put a field in another compartment with a prefix:
                profile:, notes: or sensitive: (default: profile for members, notes for cases).

                Examples:
                  kith record add --group "Trans Support" --kind member --field name="Sam Rivera" \\
                      --field pronouns=they/them --field sensitive:hiv_status=positive
                  echo '{"need": "housing"}' | kith record add --group "Trans Support" --kind case --from-json -
                  kith record add --group "Trans Support" --kind case --member 3f9c0a... --field need=housing
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "The group the record belongs to.")
        var group: String
        @Option(help: "member (a person the network supports) or case.")
        var kind: RecordKind
        @Option(help: ArgumentHelp("For a case: the member record it is about ('kith record show' of the member lists its cases).", valueName: "id"))
        var member: String?
        @OptionGroup var input: FieldOptions
        @OptionGroup var output: OutputOptions

        func execute() throws {
            guard kind == .member || kind == .case else {
                throw KithVaultError.invalidInput("'\(kind)' is not a record kind here: use member or case (notes are added with 'kith note add', files with 'kith attach add')")
            }
            if member != nil && kind != .case {
                throw KithVaultError.invalidInput("--member names the member a case is about; give it with --kind case")
            }
            if let member { try Vault.checkRecordIDText(member) }
            let fields = try input.collect(kind: kind)
            let vault = try global.openVault()
            let about = try member.map { try vault.recordID(matching: $0) }
            let id = try vault.addRecord(groupName: group, kind: kind, fields: fields, parent: about)
            if output.json { try Output.json(Created(id)) } else { print(id) }
        }
    }

    struct Show: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a record (its newest version unless --version). The read is logged.",
            discussion: "Example:\n  kith record show 3f9c0a...")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The record's id.")
        var id: String
        @Option(name: .customLong("at-version"), help: ArgumentHelp("Show this version instead of the newest (see 'kith record history').", valueName: "n"))
        var version: UInt32?
        @OptionGroup var access: ReasonOption
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let vault = try access.openVault(global)
            let view = try vault.readRecord(vault.recordID(matching: id), version: version)
            if output.json {
                try Output.json(view)
            } else {
                Output.say("\(view.kind) \(view.id), version \(view.version), group \(view.group)")
                Output.say("written by \(view.author) \(RelativeTime.ago(view.timeMillis)) (\(Output.time(view.timeMillis)))")
                Output.table(["FIELD", "VALUE", "COMPARTMENT"], view.fields.map { [$0.name, $0.value, $0.compartment.description] })
                if !view.withheld.isEmpty {
                    print("withheld (your role may not read them): \(view.withheld.map(\.description).joined(separator: ", "))")
                }
                if view.kind == .case, let member = view.parent { print("about member \(member)") }
                if view.kind == .member {
                    let cases = try vault.cases(ofMember: view.id)
                    if !cases.isEmpty {
                        print("")
                        print("Cases about this member:")
                        Output.table(["ID", "VERSION", "UPDATED", "BY"], cases.map { [$0.id.description, "\($0.version)", RelativeTime.both($0.timeMillis), $0.author] })
                    }
                }
            }
        }
    }

    struct List: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a group's records (nothing is decrypted, nothing is logged).",
            discussion: "Example:\n  kith record list --group \"Trans Support\" --kind case")

        @OptionGroup var global: GlobalOptions
        @Option(help: "The group.")
        var group: String
        @Option(help: "Only this kind: member, case, note or attachment.")
        var kind: RecordKind?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let records = try global.openVault().listRecords(groupName: group, kind: kind)
            if output.json {
                try Output.json(records)
            } else {
                Output.table(
                    ["ID", "KIND", "VERSION", "AUTHOR", "UPDATED"],
                    records.map { [$0.id.description, $0.kind.description, "\($0.version)", $0.author, RelativeTime.both($0.timeMillis)] })
            }
        }
    }

    struct Update: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new version of a record; named fields are replaced, others kept.",
            discussion: "Nothing is overwritten: 'kith record history' lists every version.\n\nExample:\n  kith record update 3f9c0a... --field pronouns=she/they")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The record's id.")
        var id: String
        @OptionGroup var input: FieldOptions
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let vault = try global.openVault()
            let recordID = try vault.recordID(matching: id)
            guard let kind = try vault.state.records.record(recordID)?.kind else { throw KithVaultError.notFound("record \(id)", remedy: .listRecords) }
            let changes = try input.collect(kind: kind)
            guard !changes.isEmpty else { throw KithVaultError.invalidInput("nothing to update: give at least one --field name=value") }
            let version = try vault.updateRecord(recordID, fields: changes)
            if output.json {
                try Output.json(Created(recordID, version: version))
            } else {
                print("\(recordID) is now at version \(version).")
                let carried = try vault.state.records.record(recordID)?.versions.first { $0.version == version }?.carried ?? []
                if !carried.isEmpty {
                    print("Its \(carried.map(\.description).joined(separator: " and ")) fields were kept exactly as they were (carried forward unchanged, unread).")
                }
            }
        }
    }

    struct History: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every version of a record: who wrote it and when, and with --diff what each changed.",
            discussion: """
                Without --diff nothing is decrypted and nothing is logged. With --diff every version \
                is read (logged, as reading them would be) and each is shown as what it changed from \
                the one before, field by field, in the compartments your role may read; of the others \
                only whether a version kept them unchanged or wrote them again.

                Examples:
                  kith record history 3f9c0a...
                  kith record history 3f9c0a... --diff
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The record's id.")
        var id: String
        @Flag(help: "Show what each version changed, field by field (reads every version; logged).")
        var diff = false
        @OptionGroup var access: ReasonOption
        @OptionGroup var output: OutputOptions

        func execute() throws {
            if diff { return try showChanges() }
            let vault = try global.openVault()
            let recordID = try vault.recordID(matching: id)
            let versions = try vault.history(recordID)
            if output.json {
                try Output.json(versions)
            } else {
                Output.table(
                    ["VERSION", "AUTHOR", "WRITTEN", "COMPARTMENTS"],
                    versions.map { version in
                        let compartments = version.compartments.map { version.carried.contains($0) ? "\($0) (carried)" : $0.description }
                        return ["\(version.version)", version.author, RelativeTime.both(version.timeMillis), compartments.joined(separator: ",")]
                    })
                if versions.contains(where: { !$0.carried.isEmpty }) {
                    print("(carried: kept exactly as the version before held it, without its author reading it)")
                }
                if let erasure = try vault.state.records.record(recordID)?.erasure {
                    Output.say(
                        "Erased by \(vault.handle(ofUser: erasure.actor)) \(RelativeTime.both(erasure.timeMillis)) (log entry \(erasure.seq)): only the log's account of it is left, not its content.")
                }
            }
        }

        private func showChanges() throws {
            let vault = try access.openVault(global)
            let versions = try vault.historyChanges(vault.recordID(matching: id))
            if output.json { return try Output.json(versions) }
            let value = { (text: String) in Terminal.isolated(Terminal.safe(text)) }
            for (index, version) in versions.enumerated() {
                if index > 0 { print("") }
                Output.say("version \(version.version) by \(version.author), \(RelativeTime.both(version.timeMillis))")
                let name = { (change: FieldChange) in
                    Terminal.isolated(Terminal.safe(change.name)) + (change.compartment == .profile ? "" : " (\(change.compartment))")
                }
                for change in version.changes {
                    switch (change.before, change.after) {
                    case (nil, let after?): print("  + \(name(change)): \(value(after))")
                    case (let before?, nil): print("  - \(name(change)) (was: \(value(before)))")
                    case (let before?, let after?): print("  ~ \(name(change)): \(value(before)) -> \(value(after))")
                    case (nil, nil): continue
                    }
                }
                for compartment in version.withheldAdded { print("  \(compartment): written (your role may not read it)") }
                for compartment in version.withheldRewritten {
                    print("  \(compartment): written again (your role may not read it, so what changed is not shown)")
                }
                for compartment in version.withheldKept { print("  \(compartment): kept unchanged (your role may not read it)") }
                for compartment in version.withheldRemoved { print("  \(compartment): left out of this version (your role may not read it)") }
                if version.changes.isEmpty && version.withheldRewritten.isEmpty && version.withheldKept.isEmpty && version.withheldAdded.isEmpty
                    && version.withheldRemoved.isEmpty
                {
                    print("  (nothing you may read changed)")
                }
            }
        }
    }
}
