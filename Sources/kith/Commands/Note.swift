import ArgumentParser
import Foundation
import KithVault

/// `kith note`: notes on cases.
struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add and list notes on a case.",
        subcommands: [Add.self, List.self])

    struct Add: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a note to a case.",
            discussion: """
                With neither --text nor --from-file, on a terminal, your editor ($VISUAL or \
                $EDITOR) opens on a private temporary file, which is wiped and removed when you \
                close it; without an editor set you type the note (end with Ctrl-D); piped in, it \
                is read from standard input. All of these keep the note out of the process list \
                and your shell history, which --text does not.

                Examples:
                  kith note add 3f9c0a...
                  EDITOR=nano kith note add 3f9c0a...
                  kith note add 3f9c0a... --from-file - < call-notes.txt
                  kith note add 3f9c0a... --text "Called the shelter; bed from Monday."
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The case's id.")
        var caseID: String
        @Option(help: "The note's text.")
        var text: String?
        @Option(help: ArgumentHelp("Read the note from this file, or - for standard input.", valueName: "file"))
        var fromFile: String?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let body: String
            switch (text, fromFile) {
            case (let text?, nil):
                body = text
            case (nil, let file?):
                let data = try TextFile.input(file, what: "file", limit: (1 << 20) + 2, tooLarge: "a note holds at most 1 MiB; attach the file to the case instead")
                guard let decoded = String(data: data, encoding: .utf8) else { throw KithVaultError.invalidInput("\(file) is not UTF-8 text") }
                // A file's final newline ends the file, not the note.
                body = String(decoded.reversed().drop(while: { $0 == "\n" || $0 == "\r" }).reversed())
            case (nil, nil) where Terminal.inputIsTerminal && NoteEditor.chosen != nil:
                // The vault is opened and the case checked first, so what is written in the editor is never lost to a wrong id.
                try Vault.checkRecordIDText(caseID)
                let vault = try global.openVault()
                let id = try vault.recordID(matching: caseID)
                try vault.checkNoteTarget(id)
                let text = try NoteEditor.write(with: NoteEditor.chosen ?? "", state: GlobalOptions.checkpointMemory().directory)
                guard !text.isEmpty else { throw KithVaultError.invalidInput("the note is empty; nothing was added") }
                let note = try vault.addNote(caseID: id, text: text)
                if output.json { try Output.json(Created(note)) } else { print(note) }
                return
            case (nil, nil):
                // No argv at all: the note comes from standard input (typed, or piped), never the process list.
                if Terminal.inputIsTerminal { Output.error("Type the note; end it with Ctrl-D on a line of its own (or set $EDITOR to write it in your editor).") }
                let data = try TextFile.input("-", what: "the note", limit: (1 << 20) + 2)
                guard let decoded = String(data: data, encoding: .utf8) else { throw KithVaultError.invalidInput("standard input is not UTF-8 text") }
                body = String(decoded.reversed().drop(while: { $0 == "\n" || $0 == "\r" }).reversed())
            default:
                throw KithVaultError.invalidInput("give the note with one of --text or --from-file, or neither to type it (or pipe it) in")
            }
            if text != nil {
                Output.warning("the note was given on the command line (--text), where other accounts on this machine and your shell history can see it; next time leave --text out and type it, or pipe it in")
            }
            let vault = try global.openVault()
            let id = try vault.addNote(caseID: vault.recordID(matching: caseID), text: body)
            if output.json { try Output.json(Created(id)) } else { print(id) }
        }
    }

    struct List: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case's notes, oldest first. Each read is logged.",
            discussion: "Example:\n  kith note list 3f9c0a... --json")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The case's id.")
        var caseID: String
        @OptionGroup var access: ReasonOption
        @OptionGroup var output: OutputOptions

        func execute() throws {
            try Vault.checkRecordIDText(caseID)
            let vault = try access.openVault(global)
            let notes = try vault.notes(caseID: vault.recordID(matching: caseID))
            let text = { (view: RecordView) in view.fields.first(where: { $0.name == "text" })?.value ?? "" }
            let withheld = { (view: RecordView) in view.withheld.contains(.notes) }
            if output.json {
                try Output.json(notes.map(\.note))
            } else if notes.isEmpty {
                print("No notes yet.")
            } else {
                for note in notes {
                    print(Terminal.styled("[\(RelativeTime.both(note.timeMillis))] \(Terminal.safe(note.author))", .bold) + " (\(note.id)):")
                    if withheld(note) {
                        print("  (withheld: your role may not read notes)")
                    } else {
                        // Every line of the note indented: a line of text cannot pass for a note's header.
                        print("  " + Terminal.safe(text(note), keepNewlines: true).replacingOccurrences(of: "\n", with: "\n  "))
                    }
                }
            }
        }
    }
}
