import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where plaintext being written out (an attachment saved with `attach
/// get`) is noted until it is finished, so that one killed halfway (power
/// cut, `kill -9`) leaves nothing behind for long: the next command that
/// opens a vault with the same state folder removes it.
///
/// Each note is a file `<state>/partials/<pid>-<random>` holding the
/// partial file's path. A note whose process is gone is stale: its partial
/// file is emptied, removed with its private folder, and the note dropped.
public struct PartialFiles: Sendable {
    /// `<state>/partials`.
    public let directory: URL

    /// The notes kept under `stateDirectory`.
    public init(stateDirectory: URL) { directory = stateDirectory.appendingPathComponent("partials") }

    /// Notes that `path` (inside the private folder `folder`) is being
    /// written by this process; returns the note, to `forget` when done.
    public func note(_ path: String, folder: String) throws -> URL {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KithVaultError.storage("cannot create \(directory.path) to note a file being written; check permissions")
        }
        let name = "\(getpid())-\(UUID().uuidString)"
        let url = directory.appendingPathComponent(name)
        try AtomicFile.write(Array("\(path)\n\(folder)\n".utf8), to: url.path, mode: 0o600, replace: false)
        return url
    }

    /// Empties and removes `name` in the private `folder`, then the folder:
    /// through the folder held open without following links, only if it is
    /// this user's, and emptied only when no other name links the file (a
    /// save killed just after giving the finished file its name).
    private static func remove(_ name: String, in folder: String) {
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folderFD >= 0 else { return }
        defer {
            close(folderFD)
            rmdir(folder)
        }
        var info = stat()
        guard fstat(folderFD, &info) == 0, info.st_uid == getuid() else { return }
        let fd = openat(folderFD, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 {
            var file = stat()
            if fstat(fd, &file) == 0, (file.st_mode & S_IFMT) == S_IFREG, file.st_nlink == 1 { ftruncate(fd, 0) }
            close(fd)
        }
        unlinkat(folderFD, name, 0)
    }

    /// Drops a note once its file is finished or removed.
    public func forget(_ note: URL) { unlink(note.path) }

    /// Removes every partial file whose writer is no longer running (with
    /// `evenLive`, every one: a panic wipe). Best effort: nothing here may
    /// stop the command that calls it.
    public func cleanUp(evenLive: Bool = false) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names {
            // A note's own temporary (".<pid>-<id>.<pid>.<n>.tmp"), left by a process killed while noting.
            if name.hasPrefix("."), name.hasSuffix(".tmp") {
                if let pid = name.dropFirst().split(separator: "-").first.flatMap({ Int32($0) }), pid > 0, evenLive || (kill(pid, 0) != 0 && errno == ESRCH) {
                    unlink(directory.appendingPathComponent(name).path)
                }
                continue
            }
            guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }), pid > 0 else { continue }
            // Still being written by a live process (ESRCH: no such process).
            if !evenLive && (kill(pid, 0) == 0 || errno != ESRCH) { continue }
            let note = directory.appendingPathComponent(name)
            if let bytes = try? SmallFile.read(note.path, what: "partial-file note", limit: 1 << 16) {
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
                if lines.count == 2 {
                    Self.remove(URL(fileURLWithPath: lines[0]).lastPathComponent, in: lines[1])
                    // A wipe also takes what else is in Kith's own private folder (an editor's swap and backup files).
                    let folderName = URL(fileURLWithPath: lines[1]).lastPathComponent
                    if evenLive && (folderName.hasPrefix("kith-note-") || folderName.hasPrefix(".kith-partial-")) {
                        var files = 0
                        var failures: [String] = []
                        var info = stat()
                        if lstat(lines[1], &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() {
                            DeviceWipe.erase(lines[1], files: &files, failures: &failures)
                        }
                    }
                }
            }
            unlink(note.path)
        }
    }
}
