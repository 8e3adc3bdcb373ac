internal import CSodium

/// Constants of `crypto_secretstream_xchacha20poly1305`, for encrypting
/// large files as a sequence of authenticated chunks. Reordered, dropped,
/// altered or truncated chunks are all detected.
public enum SecretStream {
    /// Key length (`crypto_secretstream_xchacha20poly1305_keybytes`).
    public static var keyLength: Int { Int(crypto_secretstream_xchacha20poly1305_keybytes()) }
    /// Stream header length (`crypto_secretstream_xchacha20poly1305_headerbytes`).
    public static var headerLength: Int { Int(crypto_secretstream_xchacha20poly1305_headerbytes()) }
    /// Bytes each chunk adds (`crypto_secretstream_xchacha20poly1305_abytes`).
    public static var chunkOverhead: Int { Int(crypto_secretstream_xchacha20poly1305_abytes()) }

    static func allocateState() throws -> UnsafeMutableRawPointer {
        // The state holds key material, so it lives in guarded, wiped memory.
        let size = crypto_secretstream_xchacha20poly1305_statebytes()
        guard let state = sodium_malloc(size) else { throw KithCryptoError.outOfMemory(bytes: size) }
        return state
    }
}

/// The writing end of a secret stream.
public struct SecretStreamPusher: ~Copyable {
    private let state: UnsafeMutableRawPointer
    private var finished = false
    /// The header to store before the first chunk; the reader needs it.
    public let header: [UInt8]

    /// Starts a stream under `key` (32 bytes).
    public init(key: borrowing SecureBytes) throws {
        try Sodium.ensureReady()
        try Sodium.check("secretstream key", key.count, equals: SecretStream.keyLength)
        let state = try SecretStream.allocateState()
        var header = [UInt8](repeating: 0, count: SecretStream.headerLength)
        let status = key.withUnsafeBytes { k in
            header.withUnsafeMutableBytes { h in
                crypto_secretstream_xchacha20poly1305_init_push(
                    state.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self),
                    h.bytePointer,
                    k.bytePointer)
            }
        }
        guard status == 0 else {
            sodium_free(state)
            throw KithCryptoError.libraryUnavailable
        }
        self.state = state
        self.header = header
    }

    deinit { sodium_free(state) }

    /// Encrypts one chunk. Mark the last chunk `final`; nothing may follow it.
    public mutating func push(_ chunk: [UInt8], final: Bool, aad: [UInt8] = []) throws -> [UInt8] {
        try chunk.withUnsafeBytes { try push(raw: $0, final: final, aad: aad) }
    }

    /// Encrypts one chunk of secret bytes.
    public mutating func push(_ chunk: borrowing SecureBytes, final: Bool, aad: [UInt8] = []) throws -> [UInt8] {
        try chunk.withUnsafeBytes { try push(raw: $0, final: final, aad: aad) }
    }

    /// Encrypts one chunk given as raw bytes.
    public mutating func push(raw m: UnsafeRawBufferPointer, final: Bool, aad: [UInt8] = []) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: m.count + SecretStream.chunkOverhead)
        _ = try out.withUnsafeMutableBytes { try push(raw: m, final: final, into: $0, aad: aad) }
        return out
    }

    /// Encrypts one chunk into `out`, which must hold `m.count +
    /// chunkOverhead` bytes; returns the bytes written. For large files:
    /// one output buffer serves every chunk.
    public mutating func push(raw m: UnsafeRawBufferPointer, final: Bool, into out: UnsafeMutableRawBufferPointer, aad: [UInt8] = []) throws -> Int {
        guard !finished else { throw KithCryptoError.streamAlreadyFinished }
        let needed = m.count + SecretStream.chunkOverhead
        guard out.count >= needed else {
            throw KithCryptoError.invalidLength(what: "secretstream output buffer", expected: "at least \(needed)", actual: out.count)
        }
        let tag = final ? crypto_secretstream_xchacha20poly1305_tag_final() : crypto_secretstream_xchacha20poly1305_tag_message()
        let state = self.state
        let status = aad.withUnsafeBytes { a in
            crypto_secretstream_xchacha20poly1305_push(
                state.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self),
                out.bytePointer, nil,
                m.bytePointer, UInt64(m.count),
                a.bytePointer, UInt64(a.count),
                tag)
        }
        guard status == 0 else { throw KithCryptoError.libraryUnavailable }
        if final { finished = true }
        return needed
    }
}

/// The reading end of a secret stream.
public struct SecretStreamPuller: ~Copyable {
    private let state: UnsafeMutableRawPointer
    /// Whether the final chunk has been read. A stream that ends while this
    /// is false was truncated; `finish()` turns that into an error.
    public private(set) var isFinished = false

    /// Starts reading a stream under `key` with the writer's `header`.
    public init(key: borrowing SecureBytes, header: [UInt8]) throws {
        try Sodium.ensureReady()
        try Sodium.check("secretstream key", key.count, equals: SecretStream.keyLength)
        try Sodium.check("secretstream header", header.count, equals: SecretStream.headerLength)
        let state = try SecretStream.allocateState()
        let status = key.withUnsafeBytes { k in
            header.withUnsafeBytes { h in
                crypto_secretstream_xchacha20poly1305_init_pull(
                    state.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self),
                    h.bytePointer,
                    k.bytePointer)
            }
        }
        guard status == 0 else {
            sodium_free(state)
            throw KithCryptoError.authenticationFailed
        }
        self.state = state
    }

    deinit { sodium_free(state) }

    /// Decrypts the next chunk. Throws `authenticationFailed` for an altered,
    /// reordered or foreign chunk and `streamAlreadyFinished` for a chunk
    /// after the final one.
    public mutating func pull(_ chunk: [UInt8], aad: [UInt8] = []) throws -> SecureBytes {
        guard !isFinished else { throw KithCryptoError.streamAlreadyFinished }
        guard chunk.count >= SecretStream.chunkOverhead else {
            throw KithCryptoError.invalidLength(what: "secretstream chunk", expected: "at least \(SecretStream.chunkOverhead)", actual: chunk.count)
        }
        var plaintext = try SecureBytes(count: chunk.count - SecretStream.chunkOverhead)
        _ = try chunk.withUnsafeBytes { try pull(raw: $0, into: &plaintext, aad: aad) }
        return plaintext
    }

    /// Decrypts the next chunk into the start of `plaintext`, which must
    /// hold at least `chunk.count - chunkOverhead` bytes, and returns how
    /// many bytes it wrote. For large files: one guarded buffer serves every
    /// chunk. Throws as `pull(_:aad:)` does.
    public mutating func pull(raw chunk: UnsafeRawBufferPointer, into plaintext: inout SecureBytes, aad: [UInt8] = []) throws -> Int {
        guard !isFinished else { throw KithCryptoError.streamAlreadyFinished }
        guard chunk.count >= SecretStream.chunkOverhead else {
            throw KithCryptoError.invalidLength(what: "secretstream chunk", expected: "at least \(SecretStream.chunkOverhead)", actual: chunk.count)
        }
        let length = chunk.count - SecretStream.chunkOverhead
        guard plaintext.count >= length else {
            throw KithCryptoError.invalidLength(what: "secretstream plaintext buffer", expected: "at least \(length)", actual: plaintext.count)
        }
        var tag: UInt8 = 0
        let state = self.state
        let status = aad.withUnsafeBytes { a in
            plaintext.withUnsafeMutableBytes { m in
                crypto_secretstream_xchacha20poly1305_pull(
                    state.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self),
                    m.bytePointer, nil, &tag,
                    chunk.bytePointer, UInt64(chunk.count),
                    a.bytePointer, UInt64(a.count))
            }
        }
        guard status == 0 else { throw KithCryptoError.authenticationFailed }
        if tag == crypto_secretstream_xchacha20poly1305_tag_final() { isFinished = true }
        return length
    }

    /// Call when the input ends: throws `streamTruncated` unless the final
    /// chunk was read.
    public func finish() throws {
        guard isFinished else { throw KithCryptoError.streamTruncated }
    }
}
