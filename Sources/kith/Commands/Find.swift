import ArgumentParser
import Foundation
import KithVault

/// `kith find`: finds people by name, phone or e-mail, as case workers type them.
struct Find: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find records by name, phone or e-mail, in Arabic or Latin script, with or without accents.",
        discussion: """
            Looks in the name-like and contact fields of the profile (name, \
            first_name, alias, الاسم, phone, email, ...) of every record you may \
            read. What you type finds what was written:
              with or without accents and tashkeel   Jose finds José, محمد finds مُحَمَّد
              with أ إ آ as ا, ى as ي, ة as ه          احمد finds أحمد
              digits in any script                   ٠٧٧٠٠ finds 07700
              a phone with or without country code   07700 900123 finds +44 7700 900123
              the start of a word                    sa finds Sam
              one typo in words of 5 letters or more Mohamad finds Mohammed

            Best matches first: whole value, every word, word starts, one typo.

            The index lives on this device only, sealed under your identity. The \
            first search of a group builds it, logged like reading each record. \
            Every search is logged with what you typed, sealed to auditors. \
            Opening a result ('kith record show ID') is a read like any other.

            Without text (or with -), kith find asks for it, or reads the first \
            line of standard input: the name then stays out of the process list \
            and your shell history, which matters on a shared computer. The line \
            takes the same forms; quote a value with spaces: name="Sam Rivera".

            Examples:
              kith find --group "Trans Support"          (then type: sam)
              kith find --group "Trans Support" sam
              kith find sam rivera                       (every group you can read)
              kith find --group "Trans Support" phone=07700900123
              kith find --group دعم name="محمد علي" --kind member
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Search this group only (its name or id); without it, every group you can read.", valueName: "group"))
    var group: String?
    @Option(help: ArgumentHelp("Only records of this kind: member or case.", valueName: "kind"))
    var kind: RecordKind?
    @Option(help: ArgumentHelp("Show at most this many results (default 20).", valueName: "n"))
    var limit: Int = 20
    @Argument(
        help: ArgumentHelp(
            "What to find: words, or field=value to look in one field only. Leave it out (or give -) to type it, so it stays out of your shell history.",
            valueName: "text"))
    var text: [String] = []
    @OptionGroup var access: ReasonOption
    @OptionGroup var output: OutputOptions

    func execute() throws {
        guard limit >= 1 else { throw KithVaultError.invalidInput("--limit must be 1 or more") }
        let query = try text.isEmpty || text == ["-"] ? SearchQuery.parse(line: Self.typedText()) : SearchQuery.parse(text)
        let vault = try access.openVault(global)
        let outcome = try vault.search(query, groupName: group, kind: kind, limit: limit)
        if output.json {
            try Output.json(outcome)
            return
        }
        for batch in outcome.indexed {
            // On standard error: standard output is the results.
            Output.error(Terminal.safe("kith: indexed \(Output.count(batch.records, "record")) of \(batch.group) for search on this device (logged)"))
        }
        guard !outcome.results.isEmpty else {
            Output.say("no record matches \(query.description)")
            if outcome.tooMany { Output.say("(more records came up than one search checks; type more of the name)") }
            return
        }
        let showGroup = group == nil
        let rows = outcome.results.map { result -> [String] in
            let fields = result.fields.map { "\($0.name): \($0.value)" }.joined(separator: "; ")
            return [result.id.description] + (showGroup ? [result.group] : []) + [result.kind.description, result.rank.description, fields]
        }
        Output.table(["ID"] + (showGroup ? ["GROUP"] : []) + ["KIND", "MATCH", "FIELDS"], rows)
        if outcome.unchecked > 0 {
            Output.say("the \(outcome.results.count) closest shown; up to \(outcome.unchecked) more records may match less closely: type more of the name, or raise --limit")
        } else if outcome.total > outcome.results.count {
            Output.say("\(outcome.results.count) of \(outcome.total) matches shown; type more of the name, or raise --limit")
        }
        if outcome.tooMany { Output.say("more records came up than one search checks: type more of the name to see the rest") }
        Output.say("open one with: kith record show ID")
    }

    /// What to find, asked for at the terminal, or the first line of
    /// standard input: never on the command line.
    static func typedText() throws -> String {
        if Terminal.inputIsTerminal {
            FileHandle.standardError.write(Data("Who are you looking for? (a name, phone or e-mail): ".utf8))
            return readLine() ?? ""
        }
        let data = try TextFile.input("-", what: "the search text", limit: 64 << 10)
        guard let text = String(data: data, encoding: .utf8) else { throw KithVaultError.invalidInput("standard input is not UTF-8 text: give the search text as UTF-8") }
        return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
