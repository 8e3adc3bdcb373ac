import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory lock on a file (flock), shared by every process of a user:
/// what serialises their writes to files outside the store.
enum FileLock {
    /// Runs `body` holding an exclusive lock on `path` (created 0600 when missing).
    static func holding<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = try POSIX.retrying("open \(path)") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        defer { close(fd) }
        _ = try POSIX.retrying("lock \(path)") { flock(fd, LOCK_EX) }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// System calls with one rule: retried while interrupted by a signal
/// (EINTR), and any other failure turned into a storage error naming
/// what was being done and the system's reason.
package enum POSIX {
    /// Calls `call` until it is not interrupted; a negative result is an error.
    @discardableResult
    package static func retrying<T: SignedInteger>(_ what: @autoclosure () -> String, _ call: () -> T) throws -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw KithVaultError.system(errno, "cannot \(what())")
        }
    }
}
