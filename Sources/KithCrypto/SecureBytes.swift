internal import CSodium

/// Secret bytes in memory that libsodium guards: allocated with
/// `sodium_malloc` (guard pages before and after, a canary, locked so it is
/// not swapped out), wiped when the value goes away. Small buffers are
/// kept, wiped, for reuse (see `SecureBufferPool`).
///
/// `SecureBytes` cannot be copied, so a key exists in exactly one place and
/// its lifetime is visible in the code. Use its contents through
/// `withUnsafeBytes`; never copy them into an `Array`, `String` or `Data`
/// except at the I/O edge, and wipe such copies afterwards.
public struct SecureBytes: ~Copyable, @unchecked Sendable {
    // @unchecked Sendable: the buffer is uniquely owned (the type is
    // ~Copyable), so moving it to another task moves the only reference.
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    /// The number of secret bytes held.
    public let count: Int

    /// Allocates `count` zeroed bytes of guarded memory.
    public init(count: Int) throws {
        try Sodium.ensureReady()
        guard count >= 0 else {
            throw KithCryptoError.invalidLength(what: "secure buffer", expected: "a non-negative size", actual: count)
        }
        // Never empty, so that an empty buffer still has a valid address to hand to C.
        guard let (pointer, capacity) = SecureBufferPool.take(count) else {
            throw KithCryptoError.outOfMemory(bytes: count)
        }
        self.base = pointer
        self.capacity = capacity
        self.count = count
    }

    /// Allocates `count` bytes filled from libsodium's CSPRNG.
    public init(randomCount count: Int) throws {
        try self.init(count: count)
        randombytes_buf(base, count)
    }

    /// Copies `bytes` into guarded memory. The caller still owns, and should
    /// wipe, the source.
    public init(copying bytes: UnsafeRawBufferPointer) throws {
        try self.init(count: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            base.copyMemory(from: source, byteCount: bytes.count)
        }
    }

    /// Moves secret bytes that arrived in an array (from a file or a prompt)
    /// into guarded memory, and wipes the array.
    public init(wiping bytes: inout [UInt8]) throws {
        defer { SecureBytes.wipe(&bytes) }
        try self.init(count: bytes.count)
        let destination = base
        bytes.withUnsafeBytes { source in
            if let address = source.baseAddress { destination.copyMemory(from: address, byteCount: source.count) }
        }
    }

    deinit {
        // Wiped at once; then pooled or freed (sodium_free wipes again before unmapping).
        SecureBufferPool.give(base, capacity: capacity)
    }

    /// Calls `body` with read access to the secret bytes. The pointer must
    /// not escape the closure.
    public func withUnsafeBytes<R: ~Copyable, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with write access to the secret bytes. The pointer must
    /// not escape the closure.
    public mutating func withUnsafeMutableBytes<R: ~Copyable, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Compares two secrets in constant time (for equal lengths).
    public func isEqual(to other: borrowing SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return other.withUnsafeBytes { theirs in
            sodium_memcmp(base, theirs.baseAddress ?? UnsafeRawPointer(base), count) == 0
        }
    }

    /// A new secure buffer holding bytes `range` of this one.
    public func copy(range: Range<Int>) throws -> SecureBytes {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw KithCryptoError.invalidLength(what: "secure buffer range", expected: "within 0..<\(count)", actual: range.upperBound)
        }
        return try SecureBytes(copying: UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// A new secure buffer holding `first` followed by `second`.
    public static func concatenate(_ first: borrowing SecureBytes, _ second: borrowing SecureBytes) throws -> SecureBytes {
        let out = try SecureBytes(count: first.count + second.count)
        let destination = out.base
        first.withUnsafeBytes { if let source = $0.baseAddress { destination.copyMemory(from: source, byteCount: $0.count) } }
        second.withUnsafeBytes { if let source = $0.baseAddress { (destination + first.count).copyMemory(from: source, byteCount: $0.count) } }
        return out
    }

    /// A new secure buffer with the same contents.
    public func duplicate() throws -> SecureBytes {
        try copy(range: 0..<count)
    }

    /// Overwrites an array with zeros in a way the optimiser cannot remove.
    /// Use it on every array that briefly held a secret at the I/O edge.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let address = buffer.baseAddress { sodium_memzero(address, buffer.count) }
        }
    }
}
