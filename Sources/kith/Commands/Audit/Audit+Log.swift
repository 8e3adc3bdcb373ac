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
                Everyone enrolled sees the public part of each entry. Auditors also see the details \
                every writer sealed for them: the first auditor's run makes the vault's audit key, \
                and each writer's details become readable once that writer has written anything \
                after it (their client then shares its detail key with the auditors, logged).

                Another auditor gets the audit key from you only once you confirm their key \
                fingerprint: on a terminal you are shown it (and who enrolled them) and asked; \
                in a script, pass --confirm-auditor with the fingerprint they read to you. So an \
                admin cannot enrol a second identity as auditor and read every detail silently.

                The reads of one batch (an export, a case's notes, one search's checks) are one line \
                with their count; --expand lists each. A reader's --reason shows as a detail, and a \
                read the group's policy asks a reason for but that has none is marked.

                Examples:
                  kith audit log
                  kith audit log --actor sam --since 7d
                  kith audit log --type record-read --record 3f2a...c9 --json
                  kith audit log --since 2026-11-01
                  kith audit log --actor sam --expand
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
        @Flag(help: "List every read of a bulk read (an export, a case's notes) on its own line, instead of one line with a count.")
        var expand = false
        @OptionGroup var confirming: AuditorConfirmation

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
            if let actor { filter.actor = try vault.user(handle: actor, includingRemoved: true).id }
            if try vault.whoami().role == .auditor { try confirming.share(vault) }
            let lines = try vault.auditLog(filter, summarised: !expand)
            if output.json {
                try Output.json(lines)
                return
            }
            guard !lines.isEmpty else {
                print("No log entries match.")
                return
            }
            var sealed = 0
            var sealedByRemoved = 0
            for line in lines {
                Output.say("#\(line.seq)  \(Output.time(line.timeMillis))  \(line.actorHandle)  \(line.summary)")
                if let previous = line.previousTimeMillis {
                    print("      time: the writer's clock says \(Output.time(line.timeMillis)), before the latest time of the entries above (\(Output.time(previous))); neither is proven")
                }
                switch line.details {
                case .none:
                    sealed += 1
                    if vault.state.users[line.actor]?.isActive == false { sealedByRemoved += 1 }
                case .some(let details):
                    for (key, value) in details where key != "group" { Output.say("      \(key): \(value)") }
                }
                if line.reasonMissing {
                    print(Terminal.styled("      reason: NONE, though the group's policy asks for one", .red))
                }
            }
            if lines.contains(where: { $0.count > 1 }) {
                Output.error("kith: a line with a count (\"3 records, entries 16-18\") stands for the reads of one batch; --expand lists each.")
            }
            if sealed > 0 {
                var message = "kith: the details of \(sealed) entr\(sealed == 1 ? "y" : "ies") above (those without indented lines) stay sealed: "
                message +=
                    vault.state.users[vault.me]?.role == .auditor
                    ? "their writers have not written anything since this audit key was made (their next write shares them with auditors), or the key has yet to reach you."
                    : "they are sealed to auditors, and you see only your own."
                if sealedByRemoved > 0 {
                    message +=
                        sealedByRemoved == 1
                        ? " 1 of them is by someone since removed from the vault, who will not write again: it stays sealed."
                        : " \(sealedByRemoved) of them are by people since removed from the vault, who will not write again: those stay sealed."
                }
                Output.error(message)
            }
        }

        /// "2026-11-01", an ISO 8601 time, or an age such as "24h" or "7d".
        static func parseSince(_ text: String) throws -> UInt64 {
            // One reading of "since" with the web interface's log page: the library's.
            if let millis = Timestamp.millis(since: text) { return millis }
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
            case .awaitingConfirmation: break  // said by AuditorConfirmation.share
            }
        }
    }
}

/// `--confirm-auditor`: which auditors who lack the audit key it may be
/// sealed to, besides those confirmed at a terminal prompt.
struct AuditorConfirmation: ParsableArguments {
    @Option(
        name: .customLong("confirm-auditor"),
        help: ArgumentHelp("Seal the audit key to the auditor with this key fingerprint (as they read it to you); repeatable.", valueName: "fingerprint"))
    var fingerprints: [String] = []

    /// Makes or shares the audit key, asking about each auditor who lacks it.
    func share(_ vault: Vault) throws {
        let wanted = Set(fingerprints.map(Self.normalised))
        let share = try vault.shareAuditKey { pending in
            if wanted.contains(Self.normalised(pending.user.fingerprint)) { return true }
            guard Terminal.inputIsTerminal else { return false }
            Output.error(
                "\(Terminal.safe(pending.user.handle)) was enrolled as an auditor by \(Terminal.safe(pending.enrolledBy)); they would read every entry's details.")
            Output.error("  key fingerprint: \(pending.user.fingerprint)")
            return Terminal.confirm("Compare it with what \(Terminal.safe(pending.user.handle)) reads to you. Seal the audit key to them?")
        }
        try Audit.AuditLogCommand.reportShare(share)
        let waiting = try vault.auditorsAwaitingKey()
        if !waiting.isEmpty {
            Output.error(
                "kith: \(waiting.map { Terminal.safe($0.user.handle) }.joined(separator: ", ")) \(waiting.count == 1 ? "waits" : "wait") for the audit key until an auditor confirms their key fingerprint: run 'kith audit log' on a terminal, or pass --confirm-auditor FINGERPRINT."
            )
        }
    }

    /// A fingerprint as typed: upper case, without spaces or dashes.
    static func normalised(_ text: String) -> String { text.uppercased().filter { $0.isLetter || $0.isNumber } }
}
