import ArgumentParser
import Foundation
import KithVault

/// `kith attach`: files on cases.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach files to a case, list them, and save them back out.",
        discussion: """
            Files are sealed in 1 MiB chunks as they are read, so a file of any size \
            is never held whole in memory. The vault keeps them beside the vault file \
            (a folder named after it with '.files' added): back up both.
            """,
        subcommands: [Add.self, Get.self, List.self])

    struct Add: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach a file to a case.",
            discussion: """
                Examples:
                  kith attach add 3f9c0a... tenancy-letter.pdf
                  kith attach add 3f9c0a... scan.jpg --name "ID scan" --compartment sensitive
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The case's id.")
        var caseID: String
        @Argument(help: "The file to attach.")
        var file: String
        @Option(help: "The name to show for it (default: the file's name).")
        var name: String?
        @Option(help: "Who may open it: notes (the default: whoever reads the case's notes) or sensitive.")
        var compartment: String = "notes"
        @OptionGroup var output: OutputOptions

        func execute() throws {
            guard let compartment = Compartment(name: compartment) else {
                throw KithVaultError.invalidInput("'\(compartment)' is not a compartment: use notes, sensitive or profile")
            }
            try Vault.checkRecordIDText(caseID)
            let vault = try global.openVault()
            let id = try vault.addAttachment(caseID: vault.recordID(matching: caseID), file: file, name: name, compartment: compartment)
            if output.json { try Output.json(Created(id)) } else { print(id) }
        }
    }

    struct Get: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an attachment and save it to a new file. The read is logged.",
            discussion: """
                The file appears only after every chunk and the whole file's hash \
                checked; a damaged attachment leaves nothing behind. The saved file \
                is plaintext (mode 0600): delete it when you are done.

                Example:
                  kith attach get 9b1e77... --out ~/Desktop/tenancy-letter.pdf
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The attachment's id (see 'kith attach list CASE_ID').")
        var id: String
        @Option(help: ArgumentHelp("Where to save it; must not exist yet.", valueName: "file"))
        var out: String
        @OptionGroup var access: ReasonOption
        @OptionGroup var output: OutputOptions

        func execute() throws {
            try Vault.checkRecordIDText(id)
            let vault = try access.openVault(global)
            let info = try vault.saveAttachment(vault.recordID(matching: id), to: out)
            // A saved attachment was opened, so its name and size are known.
            let name = info.name ?? info.id.description, size = info.size ?? 0
            if output.json {
                try Output.json(["id": info.id.description, "name": name, "size": size, "out": out])
            } else {
                Output.say("Saved \(name) (\(Attach.size(size))) to \(out).")
            }
        }
    }

    struct List: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a case's attachments, oldest first. Each read is logged.",
            discussion: "Example:\n  kith attach list 3f9c0a... --json")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The case's id.")
        var caseID: String
        @OptionGroup var access: ReasonOption
        @OptionGroup var output: OutputOptions

        func execute() throws {
            try Vault.checkRecordIDText(caseID)
            let vault = try access.openVault(global)
            let files = try vault.attachments(caseID: vault.recordID(matching: caseID))
            if output.json {
                try Output.json(files)
            } else if files.isEmpty {
                print("No attachments yet. Add one with 'kith attach add \(caseID) FILE'.")
            } else {
                Output.table(
                    ["ID", "NAME", "SIZE", "BY", "WHEN"],
                    files.map { file in
                        [
                            file.id.description, file.name ?? "(withheld: \(file.compartment))", file.size.map(Attach.size) ?? "-", file.author,
                            RelativeTime.both(file.timeMillis),
                        ]
                    })
                if let first = files.first(where: \.withheld) {
                    print("withheld: sealed in a compartment your role may not read (\(first.compartment)); a lead can open it.")
                }
            }
        }
    }

    /// A byte count in words a person reads at a glance.
    static func size(_ bytes: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
