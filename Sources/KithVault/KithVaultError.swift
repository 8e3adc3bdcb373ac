#if canImport(Glibc)
    import Glibc
#endif

/// Every failure the vault reports, as a value an interface can act on:
/// a stable `code`, the `reason` in plain words (what is wrong and about
/// what; never a secret, a record's content or a passphrase, and never a
/// command or flag name), and, when the library knows what would fix it, a
/// typed `remedy`. The words a person reads for the code and the remedy,
/// the hints that name `kith` commands and the exit codes belong to the
/// interfaces (the CLI's `Diagnostics`, later the web interface).
public struct KithVaultError: Error, Equatable, Sendable, Encodable, CustomStringConvertible {
    /// What kind of failure, stable across versions (in JSON as written here).
    public enum Code: String, Sendable, Encodable, CaseIterable {
        /// Stored or received bytes failed an integrity check (bad signature,
        /// failed decryption under the right key, malformed encoding, broken
        /// hash chain, a rolled-back or forked store).
        case integrity
        /// A log entry's actor did not hold the right to do what it records.
        case invalidEntry = "invalid-entry"
        /// Something named does not exist (vault, record, group, user, file).
        case notFound = "not-found"
        /// The identity has no right to do this.
        case accessDenied = "access-denied"
        /// The store stayed locked by other writers for longer than the wait.
        case busy
        /// The request itself is wrong (bad value, conflicting choices).
        case invalidInput = "invalid-input"
        /// The passphrase did not open the identity keyfile.
        case wrongPassphrase = "wrong-passphrase"
        /// A file or database operation failed for a reason outside Kith.
        case storage
        /// The disk (this device's, or the database server's) is full or over
        /// its quota; what failed was not written, and it works once space is freed.
        case noSpace = "no-space"
        /// A cryptographic operation failed outside an integrity check.
        case crypto
    }

    /// What kind of failure.
    public let code: Code
    /// What is wrong, in plain words.
    public let reason: String
    /// The log entry at fault (`invalidEntry`), if any.
    public let entry: Int?
    /// What would fix it, when known.
    public let remedy: Remedy?

    /// Names a failure.
    public init(_ code: Code, _ reason: String, entry: Int? = nil, remedy: Remedy? = nil) {
        self.code = code
        self.reason = reason
        self.entry = entry
        self.remedy = remedy
    }

    /// Stored or received bytes failed an integrity check.
    public static func integrity(_ reason: String, remedy: Remedy? = nil) -> KithVaultError { .init(.integrity, reason, remedy: remedy) }
    /// A log entry's actor did not hold the right to do what it records.
    public static func invalidEntry(seq: Int, reason: String) -> KithVaultError { .init(.invalidEntry, reason, entry: seq) }
    /// Something named does not exist; `what` names it.
    public static func notFound(_ what: String, remedy: Remedy? = nil) -> KithVaultError { .init(.notFound, what, remedy: remedy) }
    /// The identity has no right to do this.
    public static func accessDenied(_ reason: String, remedy: Remedy? = nil) -> KithVaultError { .init(.accessDenied, reason, remedy: remedy) }
    /// The store stayed locked by other writers.
    public static func busy(_ reason: String, remedy: Remedy? = nil) -> KithVaultError { .init(.busy, reason, remedy: remedy) }
    /// The request itself is wrong.
    public static func invalidInput(_ reason: String, remedy: Remedy? = nil) -> KithVaultError { .init(.invalidInput, reason, remedy: remedy) }
    /// The passphrase did not open the identity keyfile.
    public static let wrongPassphrase = KithVaultError(.wrongPassphrase, "the identity keyfile did not open with that passphrase; the keyfile was not changed")
    /// A file or database operation failed for a reason outside Kith.
    public static func storage(_ reason: String, remedy: Remedy? = nil) -> KithVaultError { .init(.storage, reason, remedy: remedy) }
    /// A cryptographic operation failed outside an integrity check.
    public static func crypto(_ reason: String) -> KithVaultError { .init(.crypto, reason) }
    /// The disk is full; `reason` says what could not be written ("cannot write the vault at ...").
    public static func noSpace(_ reason: String) -> KithVaultError { .init(.noSpace, reason) }

    /// A failed system call's `errno` as the failure it is: a full disk or
    /// quota as `noSpace` (naming `what` was being written), anything else
    /// as `storage` with the system's words and `advice`.
    public static func system(_ number: Int32, _ what: String, advice: String? = nil) -> KithVaultError {
        if number == ENOSPC || number == EDQUOT { return .noSpace(what) }
        let words = String(cString: strerror(number))
        return .storage("\(what): \(words)" + (advice.map { "; " + $0 } ?? ""))
    }

    /// The code's plain label and the reason, with no advice: "not found: record 3f…".
    public var description: String {
        switch code {
        case .integrity: return "integrity check failed: \(reason)"
        case .invalidEntry: return "log entry \(entry ?? -1) is invalid: \(reason)"
        case .notFound: return "not found: \(reason)"
        case .accessDenied: return "access denied: \(reason)"
        case .busy: return "the vault is busy: \(reason)"
        case .invalidInput, .wrongPassphrase: return reason
        case .storage: return "storage error: \(reason)"
        case .noSpace: return "the disk is full: \(reason)"
        case .crypto: return "cryptographic operation failed: \(reason)"
        }
    }
}

/// What would fix a failure, as the library knows it. Each interface says
/// it in its own words: the CLI names the `kith` command, a web page would
/// offer the link. New cases are added as new failures need them.
public enum Remedy: Equatable, Sendable, Encodable {
    /// The change may or may not have been saved (a connection lost while it
    /// was committed, and the store could not be asked): look at the log
    /// before doing it again, or it may be done twice.
    case checkLogBeforeRetrying
    /// Look the record up among the group's records (its id was not found).
    case listRecords
    /// Look the case up among the group's cases.
    case listCases
    /// Look the attachment up among the case's attachments.
    case listAttachments
    /// See the groups this identity can name.
    case listGroups
    /// See the enrolled users.
    case listUsers
    /// Check which vault is being opened (the address or path given).
    case checkVault
    /// Found a vault there first.
    case createVault
    /// Choose an output file that does not exist yet, or move the old one away.
    case chooseNewFile
    /// Start from the group's current policy, as the tool shows it.
    case startFromPolicy
    /// Leave out the columns this role may not write, or ask the group's lead.
    case skipColumns
    /// Check the whole file first without writing, which lists every refused row.
    case dryRun
    /// Rename the column, or map it to another field name.
    case renameColumn
    /// Give a field (name=value).
    case giveField
    /// Give the note's text.
    case giveNoteText
    /// Give what to search for: a name, a word, a number, or field=value.
    case giveSearchText
    /// Read the record as a record, not as an attachment.
    case showRecord
    /// Add the new file as a new attachment.
    case addAttachment
    /// Ask an auditor who holds the audit key to read the audit log once (which shares it).
    case askAuditorToShareKey
    /// Rekey the group's records now, in this mode.
    case rekeyGroup(group: String, mode: RekeyMode)
    /// Run the command again (the passphrase will be asked), or unlock again.
    case unlockAgain
    /// Check whether the unlock agent is still unlocked.
    case checkAgent
    /// Lock the running agent before starting another.
    case lockAgent
    /// Ask for a new proof.
    case newProof
    /// Give a signed checkpoint to check the proof against.
    case giveCheckpoint
    /// Give the vault's note keys, from a source you trust, to check signatures.
    case giveNoteKeys
    /// Swap the two checkpoints (the older goes first).
    case swapCheckpoints
    /// Upgrade Kith before using this store.
    case upgradeKith
    /// Tell an auditor, who can check the whole log and the store.
    case tellAuditor
    /// Name the group by its id, as the group listing shows it.
    case nameGroupByID
    /// Ask a lead of the group to make its new keys (any write or rekey by a lead does).
    case askLeadForNewKeys(group: String)
    /// Try again once the group's pending rekey has finished (its lead resumes it).
    case waitForRekey(group: String, mode: RekeyMode)
    /// Say why: give a reason for the read or export (it is sealed to auditors).
    case giveReason
    /// Say whether the `count` cases about a member are erased with them or kept.
    case chooseLinkedCases(count: Int)
    /// Read the file's cells as separated by this delimiter.
    case chooseDelimiter(CSVDelimiter)
    /// Ask for a proof against a checkpoint an auditor witnessed, or accept
    /// an unwitnessed one knowingly.
    case askForWitnessedProof
    /// The store was restored from an older backup: heal it from a device
    /// that saw what it lacks, or have an admin decide.
    case healVault
    /// Only an admin's acceptance of the store as it is can settle it.
    case askAdminToAcceptRestore
    /// See the group's recovery: its trustees, requests and approvals.
    case showRecovery(group: String)
    /// Ask the group's trustees first.
    case requestRecovery(group: String)
    /// Name who holds the shares of the recovery set up after this one.
    case nameNextTrustees(group: String, threshold: Int)
}
