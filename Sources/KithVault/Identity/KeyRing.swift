import KithCrypto

/// Every key and opened name a vault keeps while it is open, in one place:
/// the directory key, the writer's detail key, the resume cache's tag key,
/// the audit key and other writers' detail keys (auditors), group keys by
/// epoch, and the names opened from the directory. Keys sit in guarded
/// memory (`KeyBox`), wiped when the ring lets go of them; `forget()` lets
/// go of all of them at once (a lock, and later a panic wipe).
final class KeyRing {
    /// The vault's directory key, opened from its envelope.
    var directory: KeyBox?
    /// This writer's key for details sealed to auditors.
    var detail: KeyBox?
    /// The key of this identity's resume-cache tags.
    var cache: KeyBox?
    /// The audit key (auditors only).
    var audit: AuditKeyBox?
    /// Other writers' detail keys, opened with the audit key.
    var writerDetail: [UserID: KeyBox] = [:]
    /// Group keys by group and epoch.
    var group: [GroupID: [KeyRef: KeyBox]] = [:]
    /// Names opened from the directory, with the sealed bytes they came from:
    /// listings would otherwise decrypt one per row.
    var names: [Identifier: (sealed: [UInt8], name: String)] = [:]

    /// Lets go of every key and name (each key's guarded memory is wiped as it goes).
    func forget() {
        directory = nil
        detail = nil
        cache = nil
        audit = nil
        writerDetail = [:]
        group = [:]
        names = [:]
    }
}
