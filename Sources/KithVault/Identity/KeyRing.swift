import KithCrypto

/// Every key and opened name a vault keeps while it is open, in one place:
/// the directory key, the writer's detail key, the resume cache's tag key,
/// the audit key and other writers' detail keys (auditors), group keys by
/// epoch, and the names opened from the directory. Keys sit in guarded
/// memory (`KeyBox`), wiped when the ring lets go of them; `forget()` lets
/// go of all of them at once (a lock, and later a panic wipe).
final class KeyRing {
    /// The vault's directory keys by epoch, opened from the envelope and the chain.
    var directory: [UInt32: KeyBox] = [:]
    /// This writer's keys for details sealed to auditors, by audit epoch.
    var detail: [UInt32: KeyBox] = [:]
    /// The key of this identity's resume-cache tags.
    var cache: KeyBox?
    /// The audit key pairs by audit epoch (auditors only).
    var audit: [UInt32: AuditKeyBox] = [:]
    /// Other writers' detail keys by audit epoch, opened with the audit key.
    var writerDetail: [UInt32: [UserID: KeyBox]] = [:]
    /// Group keys by group and epoch.
    var group: [GroupID: [KeyRef: KeyBox]] = [:]
    /// Names opened from the directory, with the sealed bytes they came from:
    /// listings would otherwise decrypt one per row.
    var names: [Identifier: (sealed: [UInt8], name: String)] = [:]

    /// Lets go of every key and name (each key's guarded memory is wiped as it goes).
    func forget() {
        directory = [:]
        detail = [:]
        cache = nil
        audit = [:]
        writerDetail = [:]
        group = [:]
        names = [:]
    }
}
