import ArgumentParser
import Foundation
import KithCrypto
import KithVault

/// `kith export`: what you may read, out of the vault, in plaintext.
struct Export: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the records you may read from a group, as JSON or CSV (plaintext!).",
        discussion: """
            For a subject access request, or moving records to another system. You get the \
            newest version of each record you may read; compartments your role may not read \
            are named as withheld. Every exported record is logged as read, marked as an export. \
            Attachments appear as their name, size and hash; save the files with 'kith attach get'.

            JSON has the shape of 'kith record show --json', inside {"group", "exported_at", \
            "exported_by", "records": [...]}. CSV has a row per record: the columns kith:id, \
            kith:kind, kith:case, kith:version, kith:author, kith:written and kith:withheld, \
            then one column per field, named compartment:field, so 'kith import' reads it back \
            into the same compartments.

            The output is plaintext. Write it to a file (--out, created with mode 0600, never \
            replacing one), hand it over safely, and delete it when done.

            --member ID (the group may then be left out) answers a subject access request: everything the vault holds about one \
            member, every version of their record, of the cases about them (see 'kith record add \
            --member') and of those cases' notes and attachments, and, in JSON, the log's entries \
            about them under "log" (who wrote and read what, and when). 'kith record erase ID \
            --with-linked' then answers an erasure request. --all-versions gives every version \
            of other exports too.

            Examples:
              kith export --group "Trans Support" --format json --out support.json
              kith export --group "Trans Support" --member 3f9c0a... --out sam-request.json
              kith export --group "Trans Support" --format csv --record 3f9c0a... --out sam.csv
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv
    }

    @OptionGroup var global: GlobalOptions
    @Option(help: "The group to export from (with --member or --record it may be left out: the record's own group).")
    var group: String?
    @Option(help: "json (the default) or csv.")
    var format: Format = .json
    @Option(name: .customLong("record"), help: ArgumentHelp("Export only this record; repeat for more.", valueName: "id"))
    var records: [String] = []
    @Option(help: ArgumentHelp("Export everything about this member: the record, its cases, their notes and attachments.", valueName: "id"))
    var member: String?
    @Option(help: "Only this kind: member, case, note or attachment.")
    var kind: RecordKind?
    @Flag(help: "Every version of each record, oldest first, not only the newest (always so with --member).")
    var allVersions = false
    @Option(help: ArgumentHelp("Write to this new file (mode 0600) instead of standard output.", valueName: "file"))
    var out: String?
    @OptionGroup var access: ReasonOption
    @Flag(help: "CSV only: put an apostrophe before cells starting with = + - @, so a spreadsheet shows them instead of running them.")
    var safeForSpreadsheets = false

    func execute() throws {
        let kindFilter = kind
        guard records.isEmpty || kindFilter == nil else {
            throw KithVaultError.invalidInput("give --record or --kind, not both")
        }
        guard member == nil || (records.isEmpty && kindFilter == nil) else {
            throw KithVaultError.invalidInput("--member chooses the records itself; give it without --record or --kind")
        }
        if let member { try Vault.checkRecordIDText(member) }
        for record in records { try Vault.checkRecordIDText(record) }
        guard !safeForSpreadsheets || format == .csv else {
            throw KithVaultError.invalidInput("--safe-for-spreadsheets is for --format csv")
        }
        // Refuse before anything is read (and logged), not after.
        if let out {
            if FileManager.default.fileExists(atPath: out) {
                throw KithVaultError.invalidInput("\(out) exists; choose another file (kith never overwrites)")
            }
            let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw KithVaultError.invalidInput("cannot write in \(folder): check that the folder exists and is yours")
            }
        }
        guard group != nil || member != nil || !records.isEmpty else {
            throw KithVaultError.invalidInput("name the group to export with --group GROUP (or export one member's file with --member ID)")
        }
        let vault = try access.openVault(global)
        let memberID = try member.map { try vault.recordID(matching: $0) }
        var ids = try records.map { try vault.recordID(matching: $0) }
        // Without --group, the group of the record named (every other one must be in it; the library checks).
        let group = try self.group ?? Self.groupName(of: memberID ?? ids[0], in: vault)
        if let memberID { ids = try vault.memberFile(memberID) }
        let exported = try vault.exportRecords(groupName: group, ids: ids, kind: kindFilter, format: format.rawValue, allVersions: allVersions || memberID != nil)
        // A subject's request covers what was done with their records too: the log's entries about them, in JSON.
        let log = memberID == nil || format == .csv ? nil : try vault.auditLog(AuditLogFilter(records: Set(ids)), summarised: true)
        let views = exported.records
        var bytes: [UInt8]
        switch format {
        case .csv:
            let table = RecordTable(views)
            bytes = Array(table.csv(guardFormulas: safeForSpreadsheets).utf8)
            let risky = safeForSpreadsheets ? 0 : table.formulaLikeCells
            if risky > 0 {
                Output.warning(
                    "formula protection is off: \(Output.count(risky, "cell")) \(risky == 1 ? "starts" : "start") with = + - or @, which a spreadsheet may run as a formula when the file is opened. Export again with --safe-for-spreadsheets for a file to open in a spreadsheet (kith import reads either)."
                )
            }
        case .json:
            let export = RecordExport(
                group: group, exportedAtMillis: vault.clock(), exportedBy: try vault.whoami().handle, records: views, log: log,
                about: memberID == nil ? nil : Self.aboutSubjectExport)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            // Escaped as --json output is: the file may well be printed to a terminal.
            bytes = Array(Output.jsonSafe(String(decoding: try encoder.encode(export), as: UTF8.self)).utf8) + [0x0A]
        }
        if let out {
            try PlaintextFile.create(&bytes, at: out, partials: PartialFiles(stateDirectory: GlobalOptions.checkpointMemory().directory))
            let versions = allVersions || memberID != nil ? " (every version)" : ""
            print("Exported \(Output.count(views.count, views.count == Set(views.map(\.id)).count ? "record" : "record version"))\(versions) from \(Terminal.safe(group)) to \(out).")
            if memberID != nil && format == .csv { print("The log's entries about them are in the JSON export only (--format json).") }
            if Terminal.errorIsTerminal {
                Output.warning("\(out) is plaintext: anyone who can read it reads these records. Hand it over safely and delete it when done.")
            }
        } else {
            if Terminal.outputIsTerminal {
                Output.warning("what follows is plaintext on your screen; use --out FILE to write it to a file instead.")
            }
            FileHandle.standardOutput.write(Data(bytes))
            SecureBytes.wipe(&bytes)
        }
        try Self.reportSkipped(exported.skipped)
    }

    /// What a subject access export holds, in words for the person it is handed to.
    static let aboutSubjectExport = [
        "This file holds everything the network's vault keeps about one person: their record, the cases about them, and those cases' notes and attachments, every version of each, oldest first.",
        "Each record shows who wrote it (author) and when (time); fields are grouped by compartment: profile (who the person is), notes (case work), sensitive (what could hurt most if it leaked). 'withheld' names compartments the person who exported this may not read.",
        "An attachment appears as its file name, its size, and a fingerprint of its sealed file (sealed-blake2b); the file itself is handed over separately.",
        "'log' lists every entry of the vault's signed log about these records: who did what (summary) and when. 'details' are sealed for the network's auditors: they show as null unless the exporter wrote that entry.",
    ]

    /// The name of the group `id` belongs to, as the group listing names it.
    static func groupName(of id: RecordID, in vault: Vault) throws -> String {
        guard let record = try vault.state.records.record(id) else { throw KithVaultError.notFound("record \(id)", remedy: .listRecords) }
        guard let info = try vault.groups().first(where: { $0.id == record.group }) else { throw KithVaultError.notFound("the group of record \(id)") }
        // A name another group looks like is given by id, as everywhere (the id resolves to just this group).
        return info.looksLikeAnother ? info.id.description : info.name
    }

    /// Names each record the export had to leave out and fails, so a script
    /// never mistakes a partial export for a whole one.
    static func reportSkipped(_ skipped: [SkippedRecord]) throws {
        guard let first = skipped.first else { return }
        for record in skipped {
            Output.error("kith: record \(record.id) was left out of the export: \(Terminal.safe(record.error.message))")
        }
        throw KithVaultError.integrity(
            "\(Output.count(skipped.count, "record")) could not be read and \(skipped.count == 1 ? "is" : "are") not in the export (first: \(first.id)); everything else was exported",
            remedy: .tellAuditor)
    }
}
