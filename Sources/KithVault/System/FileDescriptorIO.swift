#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole reads and writes on a file descriptor, retried across signals and
/// short transfers, for the streaming attachment code.
package enum FileDescriptorIO {
    /// Writes all of `bytes`; `what` names the file in the error.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, what: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, base + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw KithVaultError.system(errno, "cannot write \(what)", advice: "check free space and permissions")
            }
            offset += written
        }
    }

    /// Fills `buffer` and returns how many bytes it read: fewer only at the
    /// end of the file, 0 at its end.
    package static func readFull(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, what: String) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var total = 0
        while total < buffer.count {
            let got = read(fd, base + total, buffer.count - total)
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw KithVaultError.storage("cannot read \(what): \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            total += got
        }
        return total
    }
}
