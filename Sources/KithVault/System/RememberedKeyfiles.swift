import Foundation

/// The keyfiles opened on this device, by absolute path, kept in the state
/// folder (`keyfiles`, mode 0600), so that a wipe (`kith panic`, the duress
/// passphrase) finds every one of them whatever folder it runs in. The list
/// goes with the state folder in the wipe.
public struct RememberedKeyfiles: Sendable {
    /// The list's file.
    public let file: URL

    /// The list kept in `stateDirectory`.
    public init(stateDirectory: URL) { file = stateDirectory.appendingPathComponent("keyfiles") }

    /// The paths remembered.
    public var paths: [String] {
        guard let bytes = try? SmallFile.read(file.path, what: "remembered keyfiles", limit: 1 << 16) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix("/") }
    }

    /// Adds `path` (made absolute) when it is new. Best effort: a command
    /// never fails because its keyfile could not be noted.
    public func remember(_ path: String) {
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        let known = paths
        guard !known.contains(full), known.count < 64 else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try? AtomicFile.write(Array((known + [full]).map { $0 + "\n" }.joined().utf8), to: file.path, mode: 0o600, replace: true)
    }
}
