import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether `kith panic` first says in the vault's log that it wiped this
/// device (off unless set): a file `announce-wipe` in the state folder.
/// The entry lets leads and admins know to remove the identity; it also
/// tells anyone who can read the log's public part that this user wiped a
/// device, and when.
public struct WipeAnnouncement: Sendable {
    /// The state folder.
    public let directory: URL

    /// The setting kept in `stateDirectory`.
    public init(stateDirectory: URL) { directory = stateDirectory }

    private var file: String { directory.appendingPathComponent("announce-wipe").path }

    /// Whether it is on.
    public var isOn: Bool { FileManager.default.fileExists(atPath: file) }

    /// Turns it on or off.
    public func set(_ on: Bool) throws {
        guard on else {
            unlink(file)
            return
        }
        try PassphraseAttempts.makeStateFolder(directory)
        try AtomicFile.write(Array("on\n".utf8), to: file, mode: 0o600, replace: true)
    }
}
