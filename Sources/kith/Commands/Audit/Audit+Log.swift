import ArgumentParser
import Foundation
import KithLog
import KithVault

extension Audit {
    struct AuditLogCommand: KithCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "List log entries in plain words; auditors also see the sealed details (who, what, why).",
            discussion: """
                Everyone enrolled sees the public part of each entry. Auditors also see the details
                every writer sealed for them: the first auditor's run makes the vault's audit key,
                and each writer's details become readable once that writer has written anything
                after it (their client then shares its detail key with the auditors, logged).

                Examples:
                  kith audit log
                  kith audit log --actor sam --since 7d
                  kith audit log --type record-read --record 3f2a...c9 --json
                  kith audit log --since 2026-11-01
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Only entries by this handle.", valueName: "handle"))
        var actor: String?
        @Option(help: ArgumentHelp("Only entries of this type: \(EntryType.allCases.map(\.name).joined(separator: ", ")).", valueName: "type"))
        var type: String?
        @Option(help: ArgumentHelp("Only entries since a date (2026-11-01, or an ISO 8601 time) or an age (24h, 7d).", valueName: "when"))
        var since: String?
        @Option(help: ArgumentHelp("Only entries about this record (its versions, reads and notes).", valueName: "id"))
        var record: String?

        func execute() throws {
            var filter = AuditLogFilter()
            if let type {
                guard let parsed = EntryType(name: type) else {
                    throw KithVaultError.invalidInput("unknown entry type '\(type)'; use one of \(EntryType.allCases.map(\.name).joined(separator: ", "))")
                }
                filter.type = parsed
            }
            if let since { filter.sinceMillis = try Self.parseSince(since) }
            if let record { filter.record = try RecordID(parsing: record) }
            let vault = try global.openVault()
            if let actor { filter.actor = try vault.user(handle: actor).id }
            if try vault.whoami().role == .auditor { try Self.reportShare(try vault.shareAuditKey()) }
            let lines = try vault.auditLog(filter)
            if output.json {
                try Output.json(lines)
                return
            }
            guard !lines.isEmpty else {
                print("No log entries match.")
                return
            }
            var sealed = 0
            for line in lines {
                Output.say("#\(line.seq)  \(Output.time(line.timeMillis))  \(line.actorHandle)  \(line.summary)")
                if let previous = line.previousTimeMillis {
                    print("      time: the writer's clock says \(Output.time(line.timeMillis)), before the latest time of the entries above (\(Output.time(previous))); neither is proven")
                }
                switch line.details {
                case .none: sealed += 1
                case .some(let details):
                    for (key, value) in details where key != "group" { Output.say("      \(key): \(value)") }
                }
            }
            if sealed > 0 {
                Output.error("kith: the details of \(sealed) entr\(sealed == 1 ? "y are" : "ies are") sealed to auditors (or not yet shared with them by their writer).")
            }
        }

        /// "2026-11-01", an ISO 8601 time, or an age such as "24h" or "7d".
        static func parseSince(_ text: String) throws -> UInt64 {
            let now = Date().timeIntervalSince1970
            if let unit = text.last, "hd".contains(unit), let count = Double(text.dropLast()), count >= 0 {
                return UInt64(max(0, now - count * (unit == "h" ? 3600 : 86400)) * 1000)
            }
            let full = ISO8601DateFormatter()
            if let date = full.date(from: text) { return UInt64(max(0, date.timeIntervalSince1970) * 1000) }
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            if let date = day.date(from: text) { return UInt64(max(0, date.timeIntervalSince1970) * 1000) }
            throw KithVaultError.invalidInput("'\(text)' is not a date; use 2026-11-01, an ISO 8601 time (2026-11-01T09:00:00Z), or an age (24h, 7d)")
        }

        /// Says on standard error what sharing the audit key did, when it did anything.
        static func reportShare(_ share: AuditKeyShare) throws {
            switch share {
            case .upToDate: break
            case .made: Output.error("kith: made the vault's audit key; writers' details become readable to auditors as they next write.")
            case .sealed(let handles): Output.error("kith: sealed the audit key to \(handles.joined(separator: ", ")) (logged).")
            case .waitingForAnotherAuditor:
                Output.error("kith: the audit key has not been sealed to you yet; details stay sealed until another auditor runs 'kith audit log'.")
            }
        }
    }
}
