internal import CSodium

/// SHA-256 (`crypto_hash_sha256`), one-shot and incremental. The audit log's
/// Merkle tree (RFC 9162) is built on it.
public enum SHA256 {
    /// Digest length (`crypto_hash_sha256_bytes`).
    public static var digestLength: Int { Int(crypto_hash_sha256_bytes()) }

    /// The digest of `input`.
    public static func hash(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { hash(raw: $0) }
    }

    /// The digest of raw bytes.
    public static func hash(raw input: UnsafeRawBufferPointer) -> [UInt8] {
        // sodium_init is not needed for SHA-256 (no randomness, no CPU dispatch
        // that changes results), so this stays non-throwing for the hot path.
        var out = [UInt8](repeating: 0, count: digestLength)
        out.withUnsafeMutableBytes { o in
            _ = crypto_hash_sha256(
                o.bytePointer,
                input.bytePointer, UInt64(input.count))
        }
        return out
    }
}

/// Incremental SHA-256: feed data with `update`, then `finalize` once.
public struct SHA256Hasher: ~Copyable {
    // crypto_hash_sha256_state lives on the heap, sized by libsodium, so no C
    // type appears in this module's interface.
    private let state: UnsafeMutableRawPointer

    /// A hasher with nothing fed yet.
    public init() {
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_hash_sha256_statebytes(), alignment: 16)
        _ = crypto_hash_sha256_init(state.assumingMemoryBound(to: crypto_hash_sha256_state.self))
    }

    deinit { state.deallocate() }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update(raw: $0) }
    }

    /// Feeds raw bytes.
    public mutating func update(raw bytes: UnsafeRawBufferPointer) {
        _ = crypto_hash_sha256_update(
            state.assumingMemoryBound(to: crypto_hash_sha256_state.self),
            bytes.bytePointer, UInt64(bytes.count))
    }

    /// The digest of everything fed; the hasher is used up.
    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA256.digestLength)
        out.withUnsafeMutableBytes { o in
            _ = crypto_hash_sha256_final(
                state.assumingMemoryBound(to: crypto_hash_sha256_state.self),
                o.bytePointer)
        }
        return out
    }
}
