import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes small files (keyfiles, requests, client state) so that a reader
/// sees either the old file or the whole new one, never a part.
enum AtomicFile {
    /// Where a write can be cut short (tests stop there, as a kill would).
    enum Step: CaseIterable {
        /// The temporary file is created, not yet written.
        case created
        /// The temporary file is written and flushed, not yet published.
        case written
        /// The file is published (renamed or linked), its folder not yet flushed.
        case published
    }

    /// Thrown where a test asked a write to stop (`stoppingAfter`).
    struct Stopped: Error {}

    /// Writes `bytes` to `path` with `mode`. With `replace: false` an
    /// existing file is never overwritten (the link that publishes the file
    /// fails instead), so a keyfile cannot be clobbered by accident.
    /// `stoppingAfter` (tests): stop after that step, leaving everything as
    /// a process killed there would (the temporary file too).
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t, replace: Bool, stoppingAfter stop: Step? = nil) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = try POSIX.retrying("create a file in \(directory) (check that the folder exists and is writable)") {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        }
        var killed = false
        defer { if !killed { unlink(temporary) } }
        func halt(_ step: Step) throws {
            guard step == stop else { return }
            killed = true
            close(fd)
            throw Stopped()
        }
        try halt(.created)
        do {
            // Whole writes, retried across signals and short writes.
            try bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(fd, $0, what: path) }
            try POSIX.retrying("set the mode of \(path)") { fchmod(fd, mode) }
            try POSIX.retrying("flush \(path) to disk") { fsync(fd) }
        } catch {
            close(fd)
            throw error
        }
        try halt(.written)
        close(fd)
        if replace {
            guard rename(temporary, path) == 0 else {
                throw KithVaultError.system(errno, "could not replace \(path)")
            }
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST {
                    throw KithVaultError.invalidInput("\(path) already exists and was left untouched; choose another file name or move the old file away first")
                }
                throw KithVaultError.system(errno, "could not create \(path)")
            }
        }
        if stop == .published {
            killed = true
            throw Stopped()
        }
        // Make the new directory entry durable too.
        let dirFD = open(directory, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    /// Reads a whole small file (a keyfile, a request, a checkpoint), with a
    /// clear error when it is missing, not a regular file, or too large.
    static func read(_ path: String, what: String, limit: Int = 1 << 20) throws -> [UInt8] {
        try SmallFile.read(path, what: what, limit: limit)
    }
}
