import ArgumentParser
import Foundation
import KithVault

/// `kith recovery`: K of N trusted people can give a group's keys to a new
/// lead when nobody holding them is left.
struct Recovery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Let K of N trusted people give a group's keys to a new lead (k-of-n recovery).",
        discussion: """
            A lead sets it up once: every key of the group is also locked with a recovery key, \
            and that key is cut into N shares, one for each trustee, so that any K of them \
            together can rebuild it and fewer learn nothing. When the group loses its lead (a \
            lost or seized laptop, a forgotten passphrase), the new lead asks, K trustees \
            approve, and the new lead gets every key. The recovery is then set up again with \
            new shares and the group gets new keys, so the shares used open nothing written \
            afterwards. Everything is in the signed log.

            Steps, for a group named Support:
              kith recovery setup Support --threshold 2 --trustees tala,omar,ines
                                                 a lead, once, while all is well
              kith recovery request Support      the new lead, when it is needed
              kith recovery approve Support      each trustee, after checking with them
              kith recovery complete Support     the new lead, once K approved
              kith recovery show Support         anyone: trustees, requests, approvals

            docs/recovery.md explains it for leads and trustees.
            """,
        subcommands: [Setup.self, Show.self, Request.self, Approve.self, Complete.self])

    struct Setup: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set up (or set up again) a group's recovery with K of N trustees (leads).",
            discussion: """
                Trustees are enrolled people the network trusts: other leads, admins, auditors. \
                K must be at least 2: no single person can recover the group. Any K of the \
                trustees together could read everything in the group, so choose people who \
                would not agree to misuse it, and K high enough that a raid or a single bad \
                actor cannot reach it. Running it again (for example after a trustee left) \
                makes new shares and new keys for the group; the old shares open nothing \
                written afterwards.

                Examples:
                  kith recovery setup "Trans Support" --threshold 2 --trustees tala,omar,ines
                  kith recovery setup --group "Trans Support" --threshold 3 --trustees tala,omar,ines,yara,sami
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @Option(help: ArgumentHelp("How many trustees must approve (at least 2).", valueName: "K"))
        var threshold: Int
        @Option(help: ArgumentHelp("The trustees' handles, separated by commas.", valueName: "handles"))
        var trustees: String
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let handles = trustees.split(separator: ",").map { String($0) }
            let status = try global.openVault().setUpRecovery(groupName: named.group(), threshold: threshold, trustees: handles)
            if output.json { return try Output.json(status) }
            Output.say(
                "Recovery of \(status.group) is set up: any \(status.threshold ?? threshold) of \(status.trustees.count) trustees (\(status.trustees.map(\.handle).joined(separator: ", "))) can give its keys to a new lead."
            )
            print("Each trustee can check their share with 'kith recovery show'. Earlier shares open nothing written from now on (the group got new keys).")
            Recovery.coverage(status)
        }
    }

    struct Show: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a group's recovery: its trustees, open requests and approvals.",
            discussion: """
                Anyone enrolled may look; nothing secret is shown. For a trustee it also checks \
                that their own share opens and is the one the setup committed to.

                Example:
                  kith recovery show "Trans Support"
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let status = try global.openVault().recoveryStatus(groupName: named.group())
            if output.json { return try Output.json(status) }
            Recovery.describe(status)
        }
    }

    struct Request: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a group's trustees for its keys (the new lead, when nobody holding them is left).",
            discussion: """
                Then tell the trustees, in person or by a call: each runs 'kith recovery \
                approve'. Once enough have, run 'kith recovery complete'. You become the \
                group's lead. Auditors cannot ask (they never read records).

                Example:
                  kith recovery request "Trans Support"
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @Flag(help: "Ask again, starting over: your earlier request and its approvals become void.")
        var again = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let vault = try global.openVault()
            let group = try named.group()
            let request = try vault.requestRecovery(groupName: group, again: again)
            if output.json { return try Output.json(request) }
            let status = try vault.recoveryStatus(groupName: group)
            Output.say(
                "You asked to recover \(status.group) (request \(request.seq)). It needs \(request.needed) approvals from: \(status.trustees.filter { $0.active && !$0.isYou }.map(\.handle).joined(separator: ", ")).")
            print("Tell them yourself, face to face or by a call, and read them your key's fingerprint to compare:")
            print("  \(request.requesterFingerprint)")
            Output.say("Each runs: kith recovery approve \(Terminal.commandLineName(status.group)). Then you run: kith recovery complete \(Terminal.commandLineName(status.group))")
        }
    }

    struct Approve: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a request to recover a group, sending your share to the person who asked (trustees).",
            discussion: """
                Approve only when you have checked with the person yourself, face to face or \
                by a call you started, that they asked and why, and that the fingerprint shown \
                is the one they read to you. Your share goes to them alone, sealed; once K \
                trustees have approved, they hold every key of the group.

                Examples:
                  kith recovery approve "Trans Support"
                  kith recovery approve "Trans Support" --request 412     (when several are open)
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @Option(help: ArgumentHelp("The request's number, as 'kith recovery show' lists it.", valueName: "number"))
        var request: UInt64?
        @Flag(help: "Do not ask first (only if you checked with the person already).")
        var yes = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let vault = try global.openVault()
            let group = try named.group()
            let status = try vault.recoveryStatus(groupName: group)
            let open = status.requests.filter { !$0.isYours && !$0.approvedByYou }
            // The person approving sees who asks before anything is sent; the library checks again in the commit.
            let shown = request.flatMap { wanted in open.first { $0.seq == wanted } } ?? (open.count == 1 ? open.first : nil)
            let shownSeq = shown?.seq
            if !yes, let shown {
                guard Terminal.inputIsTerminal else {
                    throw KithVaultError.invalidInput("kith recovery approve asks before it sends your share; pass --yes only when you checked with the person already")
                }
                Output.say("\(shown.requester) asks to recover \(status.group) and become its lead (request \(shown.seq), \(RelativeTime.both(shown.timeMillis))).")
                print("Their key's fingerprint: \(shown.requesterFingerprint)")
                print("Approved so far: \(shown.approvedBy.isEmpty ? "nobody" : shown.approvedBy.map { Terminal.safe($0) }.joined(separator: ", ")) (\(shown.needed) needed).")
                guard Terminal.confirm("Did you check with them yourself that they asked, and that this fingerprint is theirs?") else {
                    print("Nothing was sent.")
                    return
                }
            }
            // Exactly the request shown (another may have opened meanwhile); the library re-checks it is still open.
            let approved = try vault.approveRecovery(groupName: group, request: shownSeq ?? request)
            if output.json { return try Output.json(approved) }
            Output.say("You approved \(approved.requester)'s request to recover \(status.group); your share went to them alone, sealed.")
            let missing = approved.needed - approved.approvedBy.count
            print(missing > 0 ? "\(Output.count(missing, "more approval")) needed." : "That is enough: they can now run 'kith recovery complete'.")
        }
    }

    struct Complete: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a group's keys once enough trustees approved your request, and set its recovery up again.",
            discussion: """
                Rebuilds the recovery key from the trustees' shares, checks every key against \
                the log, makes you the group's lead and seals the keys to you. In the same step \
                the recovery is set up again with new shares (the same trustees still enrolled, \
                less you, and the same threshold unless you name others) and every compartment \
                gets a new key, so the shares just used open nothing written afterwards.

                If the person who lost their keys may have had them taken, ask an admin to \
                remove that identity ('kith user remove'): your next write then makes new keys \
                they never see.

                Examples:
                  kith recovery complete "Trans Support"
                  kith recovery complete "Trans Support" --trustees tala,omar,yara --threshold 2
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var named: GroupArgument
        @Option(help: ArgumentHelp("The next recovery's trustees, separated by commas (default: the same).", valueName: "handles"))
        var trustees: String?
        @Option(help: ArgumentHelp("The next recovery's threshold (default: the same).", valueName: "K"))
        var threshold: Int?
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let outcome = try global.openVault().completeRecovery(
                groupName: named.group(), trustees: trustees.map { $0.split(separator: ",").map { String($0) } }, threshold: threshold)
            if output.json { return try Output.json(outcome) }
            Output.say("You now lead \(outcome.group) and hold its keys (\(Output.count(outcome.keysRecovered, "key")) recovered).")
            if !outcome.damagedShares.isEmpty {
                Output.warning(Terminal.safe("the shares from \(outcome.damagedShares.joined(separator: ", ")) were not the ones the setup committed to; the others were enough"))
            }
            if !outcome.keysLost.isEmpty {
                Output.warning("\(Output.count(outcome.keysLost.count, "key")) did not open (\(outcome.keysLost.joined(separator: ", "))): records under them stay unreadable; tell an auditor")
            }
            if !outcome.newEpochs.isEmpty {
                print("New keys were made for \(outcome.newEpochs.joined(separator: ", ")) and sealed to the group's members: the shares used open nothing written from now on.")
            }
            let next = outcome.recovery
            Output.say("The recovery is set up again with new shares: any \(next.threshold ?? 0) of \(next.trustees.map(\.handle).joined(separator: ", ")). The shares used open nothing written from now on.")
        }
    }

    /// The recovery in words.
    static func describe(_ status: RecoveryStatus) {
        guard let epoch = status.epoch, let threshold = status.threshold else {
            Output.say(
                status.rotationDue
                    ? "\(status.group)'s recovery was used and has not been set up again; a lead must run 'kith recovery setup'."
                    : "\(status.group) has no recovery set up. A lead can set one up: kith recovery setup \(Terminal.commandLineName(status.group)) --threshold 2 --trustees HANDLE,HANDLE,HANDLE")
            return
        }
        let when = status.setUpMillis.map { RelativeTime.both($0) } ?? "?"
        Output.say("Recovery of \(status.group) (setup \(epoch), by \(status.setUpBy ?? "?"), \(when)): any \(threshold) of \(status.trustees.count) trustees.")
        Output.table(
            ["TRUSTEE", "STATE"],
            status.trustees.map { trustee in
                var state = trustee.active ? "enrolled" : "removed from the vault: set the recovery up again"
                if trustee.isYou { state += status.yourShare == .good ? "; you: your share checks out" : "; you: your share is damaged, tell a lead" }
                return [trustee.handle, state]
            })
        if let frozen = status.frozen {
            let why: String
            switch frozen {
            case .setterLeft: why = "the lead who set it up is no longer a lead"
            case .sharesReleased: why = "\(status.sharesReleased) trustees have sent their shares, enough to rebuild it"
            case .holderRemoved: why = "someone holding a share was removed from the vault"
            }
            Output.warning("\(why), so new keys are no longer sealed to this recovery; a lead should set it up again ('kith recovery setup')")
        }
        if !status.workable {
            Output.warning("fewer than \(threshold) trustees are still enrolled: this recovery can no longer work; a lead must set it up again")
        } else if status.trustees.contains(where: { !$0.active }) {
            Output.warning("a trustee was removed from the vault; a lead should set the recovery up again so their share opens nothing written after")
        }
        coverage(status)
        guard !status.requests.isEmpty else { return print("No open request.") }
        print("")
        Output.table(
            ["REQUEST", "ASKED BY", "WHEN", "APPROVED BY", "FINGERPRINT"],
            status.requests.map { request in
                [
                    "\(request.seq)", request.requester + (request.isYours ? " (you)" : ""), RelativeTime.both(request.timeMillis),
                    "\(request.approvedBy.isEmpty ? "nobody" : request.approvedBy.joined(separator: ", ")) (\(request.approvedBy.count) of \(request.needed))",
                    request.requesterFingerprint,
                ]
            })
    }

    /// Says when the recovery does not hold every key of the group.
    static func coverage(_ status: RecoveryStatus) {
        guard status.epoch != nil, status.keysCovered < status.keysInGroup else { return }
        print("It holds \(status.keysCovered) of the group's \(status.keysInGroup) keys: older keys the lead who set it up never held are not in it.")
    }
}
