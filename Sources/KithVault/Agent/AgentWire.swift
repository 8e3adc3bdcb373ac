import Foundation
import KithCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's protocol over its Unix socket: each message is a 4-byte
/// big-endian length, then that many bytes. A request is an operation byte
/// and its argument; a reply is a status byte (0: done, 1: refused, with a
/// message) and its result. Identity secret keys never cross it: only
/// signatures, and the keys a client asked the agent to open or derive.
enum AgentWire {
    /// What a client can ask.
    enum Operation: UInt8 {
        /// Who is unlocked, and for how long: user id (16), idle seconds
        /// left (u64), idle limit in seconds (u64).
        case hello = 1
        /// Sign the argument with the identity's Ed25519 key.
        case sign = 2
        /// Open the argument, a sealed box addressed to the identity.
        case openSealed = 3
        /// Derive a key: subkey id (u64), then the 8-byte purpose.
        case derive = 4
        /// Wipe the keys and stop.
        case lock = 5
    }

    /// The longest message either side accepts (a signed batch of entries
    /// can be large; anything beyond this is an error, not an allocation).
    static let maximumLength = 64 << 20

    static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        var frame = withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) }
        frame += bytes
        // The frame may carry an opened key on its way out: wiped even when
        // the send fails (a client that hangs up mid-reply).
        defer { SecureBytes.wipe(&frame) }
        try frame.withUnsafeBytes { try writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let sent = send(fd, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw KithVaultError.storage("the unlock agent's connection closed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// One whole message, or nil when the other side closed cleanly first.
    static func read(_ fd: Int32) throws -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 4)
        guard try readAll(fd, &header, allowEnd: true) else { return nil }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length <= maximumLength else { throw KithVaultError.invalidInput("the unlock agent got a message of \(length) bytes; that is not a Kith client") }
        var body = [UInt8](repeating: 0, count: length)
        // A reply cut short may hold part of a key: wiped before it is dropped.
        do {
            guard try readAll(fd, &body, allowEnd: false) else {
                SecureBytes.wipe(&body)
                return nil
            }
        } catch {
            SecureBytes.wipe(&body)
            throw error
        }
        return body
    }

    private static func readAll(_ fd: Int32, _ buffer: inout [UInt8], allowEnd: Bool) throws -> Bool {
        var offset = 0
        while offset < buffer.count {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset, 0) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw KithVaultError.storage("reading from the unlock agent failed: \(String(cString: strerror(errno)))") }
            if got == 0 {
                if allowEnd && offset == 0 { return false }
                throw KithVaultError.storage("the unlock agent's connection closed mid-message")
            }
            offset += got
        }
        return true
    }

    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static func u64(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
}
