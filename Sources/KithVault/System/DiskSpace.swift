import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Free space on the file system holding a path, for telling a full disk
/// from other I/O failures: SQLite reports a full disk while it grows its
/// shared-memory file as a plain I/O error, with no errno to read.
package enum DiskSpace {
    /// Below this many free bytes a failed write is taken to be for want of
    /// space (SQLite grows its files by 32 KiB pages of shared memory and
    /// 4 KiB pages of database).
    package static let nearlyFull = 64 << 10

    /// The bytes an unprivileged writer may still use on the file system
    /// holding `path` (or its nearest existing folder); nil when unknown.
    package static func available(at path: String) -> Int? {
        var probe = path
        var stats = statvfs()
        while statvfs(probe, &stats) != 0 {
            let parent = (probe as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != probe else { return nil }
            probe = parent
        }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    /// Whether the file system holding `path` has (almost) no space left.
    package static func isFull(at path: String) -> Bool { (available(at: path) ?? Int.max) < nearlyFull }
}
