import Foundation
import KithCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Files Kith reads whole (keyfiles, requests, checkpoints, proofs, keys
/// files, policies): each is small, so a file larger than its limit, or
/// something that is not a regular file (a device, a pipe that never ends),
/// is refused before it is read, and never more than the limit is read.
public enum SmallFile {
    /// The bytes of `path`, at most `limit` of them; `what` names it in errors.
    /// Opened once, without blocking, and checked through that descriptor,
    /// so nothing swapped in between the check and the read is read.
    public static func read(_ path: String, what: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw KithVaultError.notFound("\(what) \(path)") }
            throw KithVaultError.storage("cannot read \(what) \(path); check its permissions")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw KithVaultError.invalidInput("\(path) is not a regular file; pass the \(what) file itself")
        }
        guard info.st_size <= limit else {
            throw KithVaultError.invalidInput("\(path) is \(info.st_size) bytes, more than any \(what) (at most \(limit)); pass the \(what) file itself")
        }
        // One byte more than it measured: a file that grew while being read is noticed.
        var out = [UInt8](repeating: 0, count: min(limit, Int(info.st_size)) + 1)
        let filled = try out.withUnsafeMutableBytes { try FileDescriptorIO.readFull(fd, $0, what: "\(what) \(path)") }
        guard filled < out.count else {
            SecureBytes.wipe(&out)
            throw KithVaultError.invalidInput("\(path) changed while it was being read; try again once nothing is writing it")
        }
        // Only the bytes read: the copy is the caller's; the buffer is wiped.
        let bytes = Array(out[0..<filled])
        SecureBytes.wipe(&out)
        return bytes
    }

    /// Standard input, refused past `limit` bytes.
    public static func readStandardInput(what: String, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count <= limit {
            guard let chunk = try? FileHandle.standardInput.read(upToCount: 64 << 10), !chunk.isEmpty else { return out }
            out += chunk
        }
        throw KithVaultError.invalidInput("\(what) on standard input is larger than \(limit >> 20) MiB")
    }
}
