import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a panic wipe did.
public struct DeviceWipeReport: Sendable {
    /// Files overwritten and removed.
    public let files: Int
    /// Agents that were holding unlocked keys and were stopped.
    public let agentsStopped: Int
    /// Other kith commands of this device that were still running, stopped.
    public var processesStopped = 0
    /// What could not be removed (paths), for `--verbose` only.
    public let failures: [String]
    /// Folders renamed out of the way, whose files are still to overwrite
    /// (a deferred wipe: `DeviceWipe.erase(folder:)` in another process).
    public var deferred: [String] = []
}

/// `kith panic`: everything Kith keeps on this device, gone, quickly and
/// without a passphrase. Unlocked agents are told to wipe their keys and
/// stop; the keyfiles named are overwritten with zeros, synced and removed;
/// then every file under the state folder (resume caches, search indexes,
/// remembered checkpoints, partial-file notes) and the agent folder, after
/// the partial files those notes name (saved attachments, editor files)
/// are emptied and removed wherever they are. The vault itself and other
/// people's data are never touched.
///
/// Overwriting is best effort: a journaling or copy-on-write file system,
/// or a flash disk's wear levelling, may keep old blocks (docs/duress.md).
/// The keyfile is sealed under Argon2id either way; removing it is what
/// makes a later forced unlock impossible.
public enum DeviceWipe {
    /// With `deferring`, the state folder is only renamed (at once, so
    /// nothing of it is where Kith looks) and its files are left for
    /// `erase(folder:)` to overwrite in the background: the duress
    /// passphrase answers as quickly as a wrong one however large the caches.
    public static func wipe(keyfiles: [String], stateDirectory: URL?, agentDirectory: String?, deferring: Bool = false) -> DeviceWipeReport {
        var files = 0, agents = 0
        var failures: [String] = []
        // Keys in memory first: an agent holds them unlocked.
        if let agentDirectory, let names = try? FileManager.default.contentsOfDirectory(atPath: agentDirectory) {
            for name in names where name.hasSuffix(".sock") {
                if AgentClient.lockAny(socketPath: agentDirectory + "/" + name) { agents += 1 }
            }
        }
        // Then every other kith command of this device still running: it would write its caches back after the wipe.
        let processes = stateDirectory.map { OtherProcesses.stop(sharing: $0) } ?? 0
        for keyfile in keyfiles { eraseNamed(keyfile, files: &files, failures: &failures) }
        var deferred: [String] = []
        if let stateDirectory {
            PartialFiles(stateDirectory: stateDirectory).cleanUp(evenLive: true)
            var info = stat()
            let aside = stateDirectory.deletingLastPathComponent().appendingPathComponent(".kith-wipe-\(UUID().uuidString)").path
            if deferring, lstat(stateDirectory.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, rename(stateDirectory.path, aside) == 0 {
                deferred.append(aside)
            } else {
                eraseNamed(stateDirectory.path, files: &files, failures: &failures)
                // What an earlier deferred wipe moved aside and did not finish (its helper killed).
                let parent = stateDirectory.deletingLastPathComponent().path
                for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(".kith-wipe-") {
                    let left = erase(folder: parent + "/" + name)
                    files += left.files
                }
            }
        }
        if let agentDirectory { eraseNamed(agentDirectory, files: &files, failures: &failures) }
        return DeviceWipeReport(files: files, agentsStopped: agents, processesStopped: processes, failures: failures, deferred: deferred)
    }

    /// Overwrites and removes a folder a deferred wipe renamed out of the
    /// way; only a `.kith-wipe-` folder of this user's.
    public static func erase(folder path: String) -> DeviceWipeReport {
        var files = 0
        var failures: [String] = []
        var info = stat()
        guard URL(fileURLWithPath: path).lastPathComponent.hasPrefix(".kith-wipe-"), lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR,
            info.st_uid == getuid()
        else { return DeviceWipeReport(files: 0, agentsStopped: 0, failures: [path]) }
        erase(path, files: &files, failures: &failures)
        return DeviceWipeReport(files: files, agentsStopped: 0, failures: failures)
    }

    /// A path the user named (a keyfile, the state folder): when it is a
    /// link (a keyfile kept on a USB stick), what it points to is wiped too,
    /// if it is this user's; then the link.
    static func eraseNamed(_ path: String, files: inout Int, failures: inout [String]) {
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, let target = realpath(path, nil) {
            let resolved = String(cString: target)
            free(target)
            var owned = stat()
            if lstat(resolved, &owned) == 0, owned.st_uid == getuid() { erase(resolved, files: &files, failures: &failures) }
        }
        erase(path, files: &files, failures: &failures)
    }

    /// Overwrites and removes `path`: a file, or a folder and all it holds.
    /// Links inside are removed, never followed.
    static func erase(_ path: String, files: inout Int, failures: inout [String]) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                erase(path + "/" + name, files: &files, failures: &failures)
            }
            if rmdir(path) != 0 { failures.append(path) }
        case S_IFREG:
            overwrite(path, size: Int(info.st_size))
            if unlink(path) == 0 { files += 1 } else { failures.append(path) }
        default:
            // A link, socket or fifo holds no content of its own.
            if unlink(path) != 0 { failures.append(path) }
        }
    }

    /// Zeros over the file's bytes, synced, before it is unlinked.
    private static func overwrite(_ path: String, size: Int) {
        // Never blocks on a fifo swapped in, and never zeros a file another name still links (a backup the user made).
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1 else { return }
        let zeros = [UInt8](repeating: 0, count: min(max(size, 1), 1 << 20))
        var written = 0
        while written < size {
            let chunk = min(zeros.count, size - written)
            let done = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, chunk, off_t(written)) }
            guard done > 0 else { break }
            written += done
        }
        fsync(fd)
    }
}
