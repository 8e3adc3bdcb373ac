import Foundation
import KithVault

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Attachments as files in one folder (mode 0700), each file (0600) named
/// by its id. A file is written under a hidden temporary name, flushed and
/// then linked into place, so a crash leaves either no file or a whole one.
/// A temporary left by a crash holds only ciphertext; the next attachment
/// written into the folder removes it (the crash matrix found them piling up).
public final class AttachmentFolder: AttachmentStore, @unchecked Sendable {
    // @unchecked: immutable; each sink and source owns its own descriptor.
    /// The folder.
    public let path: String

    /// Uses the folder at `path`, made on first write.
    public init(path: String) {
        self.path = path
    }

    private func filePath(_ id: Identifier) -> String { "\(path)/\(id)" }

    private static func failure(_ what: String) -> KithVaultError {
        .system(errno, what, advice: "check the folder's permissions and free space")
    }

    public func newAttachment(_ id: Identifier) throws -> AttachmentSink {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw Self.failure("cannot create the attachment folder \(path)")
        }
        let final = filePath(id)
        guard access(final, F_OK) != 0 else {
            throw KithVaultError.integrity("attachment \(id) already exists in \(path); refusing to overwrite it")
        }
        sweepStaleTemporaries()
        let temporary = "\(path)/.\(id).\(getpid()).partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("cannot create a file in \(path)") }
        return FileSink(fd: fd, temporary: temporary, final: final, folder: path)
    }

    /// Removes the temporaries (".<id>.<pid>.partial") of writers that are
    /// no longer running. Best effort, and only regular files of this user.
    func sweepStaleTemporaries() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names where name.hasPrefix(".") && name.hasSuffix(".partial") {
            let parts = name.split(separator: ".")
            guard parts.count == 3, let pid = Int32(parts[1]), pid > 0, pid != getpid() else { continue }
            // Still being written by a live process (ESRCH: no such process).
            guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
            var info = stat()
            let file = "\(path)/\(name)"
            guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid() else { continue }
            unlink(file)
        }
    }

    public func openAttachment(_ id: Identifier) throws -> AttachmentSource? {
        let fd = open(filePath(id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.failure("cannot open attachment \(id) in \(path)")
        }
        return FileSource(fd: fd)
    }

    public func erase(_ ids: [Identifier]) throws -> Int {
        var removed = 0
        for id in ids {
            let file = filePath(id)
            // Non-blocking, so a FIFO put in its place cannot hang the erasure; never through a link.
            let fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            guard fd >= 0 else {
                if errno == ENOENT { continue }
                if errno == ELOOP || errno == ENXIO {
                    // A link or a special file under the attachment's name: not Kith's to overwrite; the name goes.
                    guard unlink(file) == 0 else { throw Self.failure("cannot remove \(file)") }
                    removed += 1
                    continue
                }
                throw Self.failure("cannot open attachment \(id) in \(path) to erase it")
            }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw Self.failure("cannot read the size of attachment \(id)") }
            var named = stat()
            // Only a regular file that no other name links, and still the file at this name, is overwritten:
            // zeroing a device, or a file someone hard-linked here, would destroy what is not the attachment.
            let ours = (info.st_mode & S_IFMT) == S_IFREG && info.st_nlink == 1 && lstat(file, &named) == 0 && named.st_ino == info.st_ino && named.st_dev == info.st_dev
            guard ours else {
                guard unlink(file) == 0 else { throw Self.failure("cannot remove \(file)") }
                removed += 1
                continue
            }
            // Overwritten in place before the name goes, so the file system's free blocks do not keep the ciphertext
            // (as far as the file system writes in place; see docs/threat-model.md).
            let zeros = [UInt8](repeating: 0, count: 1 << 16)
            var left = Int(info.st_size)
            while left > 0 {
                let take = min(left, zeros.count)
                try zeros.withUnsafeBytes { try FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<take]), what: file) }
                left -= take
            }
            guard fsync(fd) == 0, unlink(file) == 0 else { throw Self.failure("cannot remove attachment \(id) from \(path)") }
            removed += 1
        }
        if removed > 0 {
            let dirFD = open(path, O_RDONLY | O_CLOEXEC)
            if dirFD >= 0 {
                fsync(dirFD)
                close(dirFD)
            }
        }
        return removed
    }

    private final class FileSink: AttachmentSink, @unchecked Sendable {
        // @unchecked: written by one thread at a time (the attachment pipeline hands it over).
        private var fd: Int32
        private let temporary: String
        private let final: String
        private let folder: String
        private var published = false

        init(fd: Int32, temporary: String, final: String, folder: String) {
            self.fd = fd
            self.temporary = temporary
            self.final = final
            self.folder = folder
        }

        deinit { discardUnpublished() }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard fd >= 0 else { return }
            try FileDescriptorIO.writeAll(fd, bytes, what: temporary)
        }

        func finish() throws {
            guard fsync(fd) == 0 else { throw AttachmentFolder.failure("cannot flush \(temporary) to disk") }
            close(fd)
            fd = -1
            // link, not rename: an attachment with this id is never replaced.
            guard link(temporary, final) == 0 else { throw AttachmentFolder.failure("cannot store \(final)") }
            published = true
            unlink(temporary)
            let dirFD = open(folder, O_RDONLY | O_CLOEXEC)
            if dirFD >= 0 {
                fsync(dirFD)
                close(dirFD)
            }
        }

        func discard() {
            if published {
                unlink(final)
                published = false
            }
            discardUnpublished()
        }

        private func discardUnpublished() {
            if fd >= 0 {
                close(fd)
                fd = -1
            }
            if !published { unlink(temporary) }
        }
    }

    private final class FileSource: AttachmentSource {
        private let fd: Int32

        init(fd: Int32) { self.fd = fd }

        deinit { close(fd) }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try FileDescriptorIO.readFull(fd, buffer, what: "an attachment")
        }
    }
}
