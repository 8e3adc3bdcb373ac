/// Every failure the vault reports. Each case maps to one documented exit
/// code of the `kith` tool (`exitCode`). Messages say what is wrong and what
/// to do; none carries a secret, a record's content or a passphrase.
public enum KithVaultError: Error, Equatable, Sendable {
    /// Stored or received bytes failed an integrity check (bad signature,
    /// failed decryption under the right key, malformed encoding, broken
    /// hash chain). `detail` names the object.
    case integrity(String)
    /// A log entry's actor did not hold the right to do what it records.
    case invalidEntry(seq: Int, reason: String)
    /// Something named does not exist (vault, record, group, user, file).
    case notFound(String)
    /// The identity has no right to do this.
    case accessDenied(String)
    /// The store is locked by another writer for longer than the wait.
    case busy(String)
    /// The request itself is wrong (bad value, conflicting options).
    case invalidInput(String)
    /// The passphrase did not open the identity keyfile.
    case wrongPassphrase
    /// A file or database operation failed for a reason outside Kith.
    case storage(String)
    /// A cryptographic operation failed outside an integrity check.
    case crypto(String)

    /// The process exit code for this error (see docs/cli.md).
    public var exitCode: Int32 {
        switch self {
        case .integrity, .invalidEntry: return 65
        case .notFound: return 66
        case .accessDenied, .wrongPassphrase: return 77
        case .busy: return 75
        case .invalidInput: return 64
        case .storage, .crypto: return 1
        }
    }
}

extension KithVaultError: CustomStringConvertible {
    /// What went wrong, then what to do.
    public var description: String {
        switch self {
        case .integrity(let detail):
            return "integrity check failed: \(detail). It was altered or damaged: do not trust it, tell an admin, and restore it from a good copy."
        case .invalidEntry(let seq, let reason):
            return "log entry \(seq) is invalid: \(reason). Someone wrote an entry they had no right to; the vault must not be used until an auditor has looked at it."
        case .notFound(let what):
            return "not found: \(what)."
        case .accessDenied(let reason):
            return "access denied: \(reason)."
        case .busy(let detail):
            return "the vault is busy: \(detail). Another kith is writing; try again in a moment."
        case .invalidInput(let detail):
            return "\(detail)."
        case .wrongPassphrase:
            return "wrong passphrase: the identity keyfile did not open. Try again; the keyfile was not changed."
        case .storage(let detail):
            return "storage error: \(detail)."
        case .crypto(let detail):
            return "cryptographic operation failed: \(detail)."
        }
    }
}
