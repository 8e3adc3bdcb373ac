/// Every failure KithLog reports. Messages say what is wrong and what to do.
public enum KithLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A proof does not verify against the roots and sizes given.
    case invalidProof(String)
    /// A checkpoint, note, signature line or verifier key is malformed.
    case malformed(String)
    /// A note carries no valid signature from a key the verifier trusts, or
    /// a trusted key's signature fails.
    case badSignature(String)
    /// A size or index outside the tree.
    case outOfRange(String)

    /// What went wrong, then what to do.
    public var description: String {
        switch self {
        case .invalidProof(let detail):
            return "the proof does not verify: \(detail). The log or the proof was altered; do not trust either until an auditor has looked"
        case .malformed(let detail):
            return "malformed: \(detail). Check the file is a whole, unedited checkpoint or proof"
        case .badSignature(let detail):
            return "signature check failed: \(detail). Do not trust this checkpoint"
        case .outOfRange(let detail):
            return "out of range: \(detail)"
        }
    }
}
