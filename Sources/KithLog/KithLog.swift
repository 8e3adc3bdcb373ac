/// KithLog: the audit log as an RFC 9162 Merkle tree (see issue 5).
public enum KithLogInfo {
    /// The log format version this build writes.
    public static let formatVersion: UInt8 = 1
}
