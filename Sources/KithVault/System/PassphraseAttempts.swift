import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The wrong-passphrase limit of this device (off unless set): after
/// `limit` wrong passphrases in a row, the device is wiped as
/// `kith panic` wipes it. Kept in the state folder: `attempts-limit` (the
/// setting) and `attempts` (wrong ones in a row since the last right one).
///
/// It guards against someone made to type guesses on the device itself; a
/// copy of the keyfile taken away is guarded by Argon2id alone, as always.
public struct PassphraseAttempts: Sendable {
    /// The state folder.
    public let directory: URL

    /// The attempts kept in `stateDirectory`.
    public init(stateDirectory: URL) { directory = stateDirectory }

    private var limitFile: String { directory.appendingPathComponent("attempts-limit").path }
    private var countFile: String { directory.appendingPathComponent("attempts").path }

    /// The limit set on this device, or nil (off).
    public var limit: Int? {
        guard let bytes = try? SmallFile.read(limitFile, what: "passphrase limit", limit: 64) else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Sets the limit (3 to 100), or turns it off with nil.
    public func setLimit(_ limit: Int?) throws {
        guard let limit else {
            unlink(limitFile)
            unlink(countFile)
            return
        }
        guard (3...100).contains(limit) else {
            throw KithVaultError.invalidInput("the limit is a number of wrong passphrases in a row, from 3 to 100 (a typo or two must never wipe a device)")
        }
        try makeFolder()
        try AtomicFile.write(Array("\(limit)\n".utf8), to: limitFile, mode: 0o600, replace: true)
        unlink(countFile)
    }

    /// Wrong passphrases in a row so far.
    public var count: Int {
        guard let bytes = try? SmallFile.read(countFile, what: "passphrase attempts", limit: 64) else { return 0 }
        // Clamped: a count file someone edited must not overflow the next increment.
        return min(max(Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0), 1_000_000)
    }

    /// Counts one wrong passphrase; true when that reaches the limit (the
    /// caller then wipes). Without a limit nothing is written.
    public func recordFailure() -> Bool {
        guard let limit else { return false }
        let next = count + 1
        try? makeFolder()
        try? AtomicFile.write(Array("\(next)\n".utf8), to: countFile, mode: 0o600, replace: true)
        return next >= limit
    }

    /// A right passphrase: the count starts again.
    public func reset() {
        if FileManager.default.fileExists(atPath: countFile) { unlink(countFile) }
    }

    private func makeFolder() throws { try Self.makeStateFolder(directory) }

    /// Creates the state folder (0700) when missing, for the device settings kept in it.
    static func makeStateFolder(_ directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KithVaultError.storage("cannot create the state folder \(directory.path); check its permissions")
        }
    }
}
