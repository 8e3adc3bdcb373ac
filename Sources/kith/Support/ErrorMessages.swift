import KithVault

// The words a person reads for a library failure: the library says what is
// wrong (its code and reason) and, when it knows, what would fix it (a typed
// remedy); here that becomes one line naming the kith command to run, with
// the documented exit code (docs/cli.md).

extension KithVaultError {
    /// The process exit code for this failure.
    var exitCode: Int32 {
        switch code {
        case .integrity, .invalidEntry: return 65
        case .notFound: return 66
        case .accessDenied, .wrongPassphrase: return 77
        case .busy: return 75
        // EX_IOERR (sysexits.h): the command was right, the disk could not take it.
        case .noSpace: return 74
        case .invalidInput: return 64
        case .storage, .crypto: return 1
        }
    }

    /// What went wrong, what to do about it, and the advice every failure of its kind gets.
    var message: String {
        var text = description
        if let remedy { text += "; " + remedy.hint }
        switch code {
        case .integrity where remedy == .healVault || remedy == .askAdminToAcceptRestore:
            // A store behind what this device saw: the hint says what to do; "restore a good copy" would be the wrong advice.
            text += "."
        case .integrity:
            text += ". It was altered or damaged: do not trust it, tell an admin, and restore it from a good copy."
        case .invalidEntry:
            text += ". Someone wrote an entry they had no right to; the vault must not be used until an auditor has looked at it."
        case .busy where remedy != nil:
            text += "."
        case .busy:
            text += ". Another kith is writing; try again in a moment."
        case .noSpace:
            text += ". Nothing was half-written: free some space on that disk and run the command again."
        case .wrongPassphrase:
            text = "wrong passphrase: " + reason + ". Try again (a passphrase file or KITH_PASSPHRASE must hold your current passphrase, after a change too)."
        default:
            text += "."
        }
        return text
    }
}

extension Remedy {
    /// The remedy as this tool says it: usually the command to run.
    var hint: String {
        switch self {
        case .listRecords: return "see 'kith record list --group GROUP'"
        case .checkLogBeforeRetrying: return "look at 'kith audit log' (or the group's records) before you try again, or it may be done twice"
        case .listCases: return "see 'kith record list --group GROUP --kind case'"
        case .listAttachments: return "see 'kith attach list CASE_ID'"
        case .listGroups: return "see 'kith group list'"
        case .listUsers: return "see 'kith enroll list'"
        case .checkVault: return "check --vault or KITH_VAULT"
        case .createVault: return "check --vault or KITH_VAULT, or create a vault with 'kith init'"
        case .chooseNewFile: return "choose another file (--out, --vault) or move the old one away"
        case .startFromPolicy: return "start from 'kith policy show GROUP --json'"
        case .skipColumns: return "--skip those columns or ask the group's lead"
        case .dryRun: return "--dry-run lists every refused row"
        case .renameColumn: return "rename it with --map 'COLUMN=NEW_NAME', or --skip it"
        case .giveField: return "give one with --field name=value"
        case .giveNoteText: return "give its text with --text or --from-file"
        case .giveSearchText: return "for example: kith find --group support sam, or kith find --group support phone=07700900123"
        case .showRecord: return "read it with 'kith record show'"
        case .addAttachment: return "add the new file with 'kith attach add'"
        case .askAuditorToShareKey: return "ask an auditor who holds it to run 'kith audit log' once"
        case .rekeyGroup(let group, let mode): return "to \(mode) its records now, run 'kith group rekey \(Terminal.commandLineName(group)) --\(mode)'"
        case .unlockAgain: return "run the command again to be asked for your passphrase, or 'kith unlock'"
        case .checkAgent: return "run 'kith status' to see whether it is still unlocked"
        case .lockAgent: return "run 'kith lock' first to start a new one"
        case .newProof: return "ask for a new proof with 'kith audit prove'"
        case .giveCheckpoint: return "pass --checkpoint FILE (from 'kith audit checkpoint')"
        case .giveNoteKeys: return "pass --keys FILE (the output of 'kith audit keys', from a source you trust)"
        case .swapCheckpoints: return "swap --from and --to"
        case .upgradeKith: return "upgrade kith before using it"
        case .tellAuditor: return "tell an auditor: 'kith audit verify' checks the whole log"
        case .askForWitnessedProof:
            return "ask for a proof against a witnessed checkpoint (an auditor runs 'kith audit witness', then 'kith audit prove'), or pass --allow-unwitnessed to accept it knowing that"
        case .askAdminToAcceptRestore:
            return "if no device can heal it, an admin keeps the vault as it is with 'kith vault accept-restore' (docs/operations.md, 'When no device can heal it')"
        case .healVault:
            return "if it was restored from a backup, run 'kith vault heal' on this device (docs/operations.md, 'A store restored from a backup')"
        case .showRecovery(let group): return "see 'kith recovery show \(Terminal.commandLineName(group))'"
        case .requestRecovery(let group): return "ask its trustees first: 'kith recovery request \(Terminal.commandLineName(group))'"
        case .nameNextTrustees(let group, let threshold):
            return "for example: kith recovery complete \(Terminal.commandLineName(group)) --trustees HANDLE,HANDLE,HANDLE --threshold \(threshold)"
        case .askLeadForNewKeys(let group):
            return "ask a lead of \(Terminal.safe(group)) to run 'kith group rekey \(Terminal.commandLineName(group)) --rewrap', which makes them"
        case .waitForRekey(let group, let mode):
            return "try again once it has finished (a lead of \(Terminal.safe(group)) finishes an interrupted one with 'kith group rekey \(Terminal.commandLineName(group)) --\(mode)')"
        case .giveReason: return "run it again with --reason \"...\" saying why (for example --reason \"follow-up call\")"
        case .chooseLinkedCases(let count):
            return "add --with-linked to erase \(count == 1 ? "it" : "them") too, or --keep-cases to keep \(count == 1 ? "it" : "them")"
        case .chooseDelimiter(let delimiter): return "pass --delimiter \(delimiter), or leave --delimiter out and kith finds it from the header row"
        case .nameGroupByID: return "'kith group list --ids' shows each group's id; give it where the group's name goes"
        }
    }
}
